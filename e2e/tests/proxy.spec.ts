import { expect, test } from "@playwright/test";
import { ASYNC_PREFIX } from "@repo/testing";

test("every answer through the proxy carries an X-Request-ID, kept from the client when sane", async ({ request }) => {
  for (const path of ["/healthz", `${ASYNC_PREFIX}/healthz`, "/no-such-route", `${ASYNC_PREFIX}/no-such-route`]) {
    const made = await request.get(path);
    expect(made.headers()["x-request-id"], path).toMatch(/^[0-9a-f]{32}$/);
    const kept = await request.get(path, { headers: { "x-request-id": "e2e-kept-1" } });
    expect(kept.headers()["x-request-id"], path).toBe("e2e-kept-1");
  }
});

test("an oversized body is a 413 problem, whichever app it was meant for", async ({ request }) => {
  for (const path of ["/_test/echo/1?limit=1", `${ASYNC_PREFIX}/_test/echo/1?limit=1`]) {
    const response = await request.post(path, {
      headers: { "content-type": "application/json" },
      data: JSON.stringify({ title: "x".repeat(1_200_000) }),
    });
    expect(response.status(), path).toBe(413);
    expect(response.headers()["content-type"], path).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 413, title: "Content Too Large" });
    expect(response.headers()["x-request-id"]).toBeTruthy();
  }
});

test("the proxy routes exactly the async prefix to async-api", async ({ request }) => {
  expect((await (await request.get(`${ASYNC_PREFIX}/healthz`)).json()).runtime).toBe("async");
  expect((await (await request.get("/healthz")).json()).runtime).toBe("sync");
  // /asyncx is not under the prefix: sync-api answers it (with its 404).
  const other = await request.get(`${ASYNC_PREFIX}x`);
  expect(other.status()).toBe(404);
  expect((await other.json()).instance).toBe(`${ASYNC_PREFIX}x`);
});
