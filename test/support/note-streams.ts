/**
 * The examples' streams under the prefix, through a proxy: a note created through the typed client
 * is relayed to an SSE client, and the WebSocket echoes. Both need a token, signed with `jwtSecret`
 * (the key the stack's apps verify with).
 */
import { createClient, NOTES_WRITE_SCOPE, notes, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { readSse } from "@repo/testing";
import { expect } from "vitest";

export async function expectNoteStreamsServed(
  stack: { readonly url: string; readonly asyncPrefix: string },
  jwtSecret: string,
): Promise<void> {
  const P = stack.asyncPrefix;
  const token = await signToken(
    { ...developmentAuth, jwtSecret },
    { subject: "routing", scopes: [NOTES_WRITE_SCOPE], ttlS: 600 },
  );
  const client = createClient({ baseUrl: stack.url, asyncPrefix: stack.asyncPrefix, token });

  const title = `routing ${P} ${Math.random()}`;
  const controller = new AbortController();
  // From the first event on (Last-Event-ID 0), so the note is relayed even if it is made
  // before the stream is subscribed.
  const stream = readSse(`${stack.url}${P}/events/notes`, {
    headers: { "last-event-id": "0", authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const opened = stream.next();
  const created = await client.controller(notes).create({ body: { title } });
  expect(created.status).toBe(201);
  let relayed = false;
  for (let next = await opened; !next.done; next = await stream.next()) {
    if (next.value.event === "note" && next.value.data?.includes(title)) {
      relayed = true;
      break;
    }
  }
  controller.abort();
  expect(relayed).toBe(true);

  const socket = new WebSocket(`${stack.url.replace(/^http/, "ws")}${P}/ws?access_token=${token}`);
  const echo = await new Promise<string>((resolve, reject) => {
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "echo", text: "ping" })));
    socket.addEventListener("message", (event) => resolve(String(event.data)), { once: true });
    socket.addEventListener("error", () => reject(new Error(`WebSocket ${P}/ws failed`)));
  });
  socket.close();
  expect(JSON.parse(echo)).toMatchObject({ type: "echo", text: "ping" });
}
