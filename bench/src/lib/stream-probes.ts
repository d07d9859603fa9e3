/**
 * The isolation scenario's probes of the examples' streams: WebSocket echo round trips and SSE
 * heartbeat jitter, each one at a time, through the same origin as its HTTP probe.
 */
import { readSse } from "@repo/testing";
import WebSocket from "ws";
import { ANSWER_TIMEOUT_MS, type Sampled } from "./probe.ts";

/**
 * Echo round trips on one WebSocket, one at a time, until `count` or the time budget; the first
 * one whatever the budget (opening the socket may take it all on a blocked event loop).
 */
export async function roundTrips(url: string, count: number, seconds: number): Promise<Sampled> {
  const deadline = performance.now() + seconds * 1000;
  const socket = new WebSocket(url);
  const times: number[] = [];
  let timedOut = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${url}: not open within ${ANSWER_TIMEOUT_MS} ms`)),
        ANSWER_TIMEOUT_MS,
      );
      socket.once("open", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    while (times.length === 0 || (performance.now() < deadline && times.length < count)) {
      const text = `#${times.length}`;
      const started = performance.now();
      const answered = await new Promise<boolean>((resolve, reject) => {
        const done = (result: boolean | Error) => {
          clearTimeout(timer);
          socket.off("message", onMessage);
          socket.off("close", onClose);
          if (result instanceof Error) reject(result);
          else resolve(result);
        };
        const onMessage = (data: WebSocket.RawData) => {
          const message = JSON.parse(String(data)) as { type?: string; text?: string };
          if (message.type === "echo" && message.text === text) done(true);
        };
        const onClose = () => done(new Error(`${url}: the socket closed during a round trip`));
        const timer = setTimeout(() => done(false), ANSWER_TIMEOUT_MS);
        socket.on("message", onMessage);
        socket.once("close", onClose);
        socket.send(JSON.stringify({ type: "echo", text }));
      });
      if (!answered) {
        timedOut = true;
        break;
      }
      times.push(performance.now() - started);
    }
  } finally {
    socket.terminate();
  }
  return { values: times, complete: times.length >= count, timedOut };
}

/**
 * How far each SSE heartbeat interval strays from the interval the server was set to, until
 * `count` intervals or the time budget (a hard one: the stream is cut when it is spent).
 */
export async function heartbeatJitter(
  url: string,
  heartbeatMs: number,
  count: number,
  seconds: number,
): Promise<Sampled> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), seconds * 1000);
  const jitter: number[] = [];
  let last: number | undefined;
  try {
    for await (const message of readSse(url, { signal: stop.signal })) {
      if (message.comment !== "heartbeat") continue;
      const now = performance.now();
      if (last !== undefined) jitter.push(Math.abs(now - last - heartbeatMs));
      last = now;
      if (jitter.length >= count) stop.abort();
    }
  } catch (error) {
    // The budget ran out before the stream's first answer (fetch itself was aborted).
    if (!stop.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return { values: jitter, complete: jitter.length >= count, timedOut: false };
}
