import { expect, test } from "@playwright/test";
import { ASYNC_PREFIX } from "@repo/testing";
import { e2eToken } from "./token.ts";

test("a page on the proxy's origin receives SSE note events and a WebSocket echo from async-api", async ({ page }) => {
  await page.goto("/healthz");
  const result = await page.evaluate(
    async ({ token, prefix }) => {
      const withTimeout = <T>(what: string, promise: Promise<T>) =>
        Promise.race([
          promise,
          new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no ${what}`)), 10_000)),
        ]);

      // SSE: the browser's own EventSource, through the proxy; a note created in sync-api arrives.
      // EventSource cannot set headers: the token goes in the query.
      const source = new EventSource(`${prefix}/events/notes?access_token=${token}`);
      const opened = new Promise<void>((resolve) => source.addEventListener("open", () => resolve(), { once: true }));
      const title = `from the browser ${Math.random()}`;
      const event = new Promise<{ id: string; data: { type: string; note: { title: string } } }>((resolve) =>
        source.addEventListener("note", (e) => {
          const message = e as MessageEvent<string>;
          const data = JSON.parse(message.data);
          if (data.note?.title === title) resolve({ id: message.lastEventId, data });
        }),
      );
      await withTimeout("SSE open", opened);
      const created = await fetch("/notes", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ title }),
      });
      const sse = await withTimeout("SSE event", event);
      source.close();

      // WebSocket: same origin, upgraded through the proxy.
      const socket = new WebSocket(`${location.origin.replace("http", "ws")}${prefix}/ws?access_token=${token}`);
      await withTimeout(
        "WebSocket open",
        new Promise((resolve) => socket.addEventListener("open", resolve, { once: true })),
      );
      const reply = new Promise<{ type: string; text: string }>((resolve) =>
        socket.addEventListener("message", (e) => resolve(JSON.parse(String(e.data))), { once: true }),
      );
      socket.send(JSON.stringify({ type: "echo", text: "ping from Chromium" }));
      const echo = await withTimeout("echo", reply);
      socket.close();
      return { createdStatus: created.status, sse, echo };
    },
    { token: await e2eToken(), prefix: ASYNC_PREFIX },
  );
  expect(result.createdStatus).toBe(201);
  expect(result.sse.data.type).toBe("created");
  expect(Number(result.sse.id)).toBeGreaterThan(0);
  expect(result.echo).toMatchObject({ type: "echo", text: "ping from Chromium" });
});

test("without a token, the browser's EventSource and WebSocket are refused through the proxy", async ({ page }) => {
  await page.goto("/healthz");
  const result = await page.evaluate(async (prefix) => {
    const withTimeout = <T>(what: string, promise: Promise<T>) =>
      Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no ${what}`)), 10_000))]);
    // A 401 is not a stream: EventSource gives up (CLOSED) instead of reconnecting.
    const source = new EventSource(`${prefix}/events/notes`);
    await withTimeout("SSE error", new Promise((resolve) => source.addEventListener("error", resolve, { once: true })));
    const sseState = source.readyState;
    source.close();
    const socket = new WebSocket(`${location.origin.replace("http", "ws")}${prefix}/ws?access_token=not-a-jwt`);
    const closed = await withTimeout(
      "WebSocket close",
      new Promise<{ code: number; opened: boolean }>((resolve) => {
        let opened = false;
        socket.addEventListener("open", () => {
          opened = true;
        });
        socket.addEventListener("close", (event) => resolve({ code: event.code, opened }));
      }),
    );
    const refused = await fetch(`${prefix}/events/notes`);
    return {
      sseState,
      closed,
      status: refused.status,
      challenge: refused.headers.get("www-authenticate"),
      type: refused.headers.get("content-type"),
    };
  }, ASYNC_PREFIX);
  expect(result.sseState).toBe(2);
  // The upgrade was refused (1006: no WebSocket close frame, the HTTP answer was a 401).
  expect(result.closed).toEqual({ code: 1006, opened: false });
  expect(result.status).toBe(401);
  expect(result.challenge).toBe('Bearer realm="api"');
  expect(result.type).toMatch(/^application\/problem\+json/);
});
