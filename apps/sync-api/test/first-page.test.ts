/**
 * The first page at `/` where no other page is (the examples have one, until
 * `init-project --no-examples` removes it): what the API serves and where to read more, in
 * development; nothing under production settings. Combined mode serves the same page.
 */
import { stopAll } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startSyncApi } from "./support.ts";

afterEach(stopAll);

/** Without the examples' page at `/`: as the app is once they are removed. */
const withoutWelcome: Record<string, string> = {
  SYNC_API_WELCOME_PAGE: "false", // #example
};

describe("the first page", () => {
  it("lists the API's operations with links to the reference and the document, where the reference is served", async () => {
    const { url } = await startSyncApi(1, withoutWelcome);
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toContain('<a href="/docs">API reference</a>');
    expect(page).toContain('<a href="/openapi.json">OpenAPI document</a>');
    // Its rows come from the published document: the health routes are in every API.
    expect(page).toMatch(/<code>GET<\/code><\/td><td><code>\/healthz<\/code>/);
    expect(page).toMatch(/<code>GET<\/code><\/td><td><code>\/[a-z]+\/healthz<\/code>/);
  });

  it("is not served under production settings, where the reference is off", async () => {
    const { url } = await startSyncApi(1, {
      NODE_ENV: "production",
      SYNC_API_SECRET_KEY: "k".repeat(32),
      SYNC_API_AUTH__JWT_SECRET: "j".repeat(32),
    });
    const response = await fetch(`${url}/`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});
