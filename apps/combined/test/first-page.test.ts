/** Combined mode's first page at `/`, as sync-api serves it where no other page took `/`. */
import { stopAll } from "@repo/testing";
import { afterAll, expect, it } from "vitest";
import { startCombined } from "./support.ts";

afterAll(stopAll);

it("serves the first page listing the API's operations where no other page took /", async () => {
  const { url } = await startCombined({
    NODE_ENV: "development",
    SYNC_API_WELCOME_PAGE: "false", // #example
  });
  const response = await fetch(`${url}/`);
  expect(response.status).toBe(200);
  const page = await response.text();
  expect(page).toContain('<a href="/docs">API reference</a>');
  expect(page).toMatch(/<code>GET<\/code><\/td><td><code>\/healthz<\/code>/);
});
