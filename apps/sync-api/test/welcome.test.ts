/** The welcome page's token: a short-lived development one per load, and none under production settings. */
import { stopAll } from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startSyncApi } from "./support.ts";

afterEach(stopAll);

/** The token the page's script calls the API with (`null` when it has none). */
async function pageToken(url: string): Promise<{ token: string | null; cacheControl: string | null }> {
  const response = await fetch(`${url}/`);
  expect(response.status).toBe(200);
  const found = /const token = (null|"[^"]+");/.exec(await response.text());
  if (!found) throw new Error("the page declares no token");
  return {
    token: JSON.parse(found[1] as string) as string | null,
    cacheControl: response.headers.get("cache-control"),
  };
}

const create = (url: string, token: string | null) =>
  fetch(`${url}/notes`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ title: "from the welcome page" }),
  });

describe("the welcome page", () => {
  it("carries a development token the API takes for writing notes, never cached", async () => {
    const { url } = await startSyncApi(1);
    const { token, cacheControl } = await pageToken(url);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(cacheControl).toBe("no-store");
    expect((await create(url, token)).status).toBe(201);
  });

  it("carries none under production settings, even when turned on there", async () => {
    const { url } = await startSyncApi(1, {
      NODE_ENV: "production",
      SYNC_API_WELCOME_PAGE: "true",
      SYNC_API_SECRET_KEY: "k".repeat(32),
      SYNC_API_AUTH__JWT_SECRET: "j".repeat(32),
    });
    const { token } = await pageToken(url);
    expect(token).toBeNull();
    expect((await create(url, token)).status).toBe(401);
  });
});
