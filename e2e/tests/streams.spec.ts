import { expect, test } from "@playwright/test";
import { ASYNC_PREFIX } from "@repo/testing";

test("a page on the proxy's origin receives SSE note events and a WebSocket echo from async-api", async ({ page }) => {
  await page.goto("/healthz");
  const result = await page.evaluate(async (prefix) => {
    const withTimeout = <T>(what: string, promise: Promise<T>) =>
      Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no ${what}`)), 10_000))]);

    // SSE: the browser's own EventSource, through the proxy; a note created in sync-api arrives.
    const source = new EventSource(`${prefix}/events/notes`);
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
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title }),
    });
    const sse = await withTimeout("SSE event", event);
    source.close();

    // WebSocket: same origin, upgraded through the proxy.
    const socket = new WebSocket(`${location.origin.replace("http", "ws")}${prefix}/ws`);
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
  }, ASYNC_PREFIX);
  expect(result.createdStatus).toBe(201);
  expect(result.sse.data.type).toBe("created");
  expect(Number(result.sse.id)).toBeGreaterThan(0);
  expect(result.echo).toMatchObject({ type: "echo", text: "ping from Chromium" });
});
