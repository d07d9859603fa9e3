import { problem } from "@repo/contracts";
import type { preHandlerHookHandler } from "fastify";
import { sendProblem } from "../http/mount.ts";
import { cameAsUpgrade } from "./socket-handshake.ts";

/**
 * Open streams (SSE and WebSocket together) per client, the client being the address the app
 * trusts (`request.ip`: the peer, or X-Forwarded-For from a trusted proxy hop). In the app itself,
 * not only in nginx, since async-api can be reached without it (`pnpm dev`, a direct port).
 */
export class StreamSlots {
  readonly #open = new Map<string, number>();
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Takes a slot for `client`: the function that gives it back (once), or undefined when it has none left. */
  take(client: string): (() => void) | undefined {
    const open = this.#open.get(client) ?? 0;
    if (open >= this.max) return undefined;
    this.#open.set(client, open + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.#open.get(client) ?? 1) - 1;
      if (left > 0) this.#open.set(client, left);
      else this.#open.delete(client);
    };
  }
}

/**
 * The stream routes' `preHandler`: after the token is checked (a refused client takes no slot),
 * before the stream opens. Beyond the limit, a 429 problem; a slot is given back when its
 * connection closes (an SSE response ends, a WebSocket's socket closes).
 */
export function streamLimitHook(slots: StreamSlots): preHandlerHookHandler {
  return (request, reply, done) => {
    // HEAD answers at once and holds nothing open.
    if (request.method !== "GET") return done();
    const release = slots.take(request.ip);
    if (!release) {
      sendProblem(
        request,
        reply,
        problem({
          status: 429,
          detail: `This client has ${slots.max} streams open, the most it may (SSE and WebSocket together): close one first`,
        }),
      );
      return;
    }
    // An upgraded request's response is a stand-in; the WebSocket lives as long as the socket.
    (cameAsUpgrade(request.raw) ? request.raw.socket : reply.raw).once("close", release);
    done();
  };
}
