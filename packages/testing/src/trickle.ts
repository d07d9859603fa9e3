import { connect } from "node:net";
import { parseAnswer, type RawAnswer } from "./raw-exchange.ts";

export interface TrickleOptions {
  /** The time between two pieces. */
  readonly everyMs: number;
  /** Written in turn after the head, one every `everyMs`. */
  readonly pieces: readonly string[];
  /** Start over once they are all written, until the server closes (a client that never ends). */
  readonly repeat?: boolean;
}

/**
 * Writes `head` to `origin` on a fresh connection, then `pieces` one at a time, and resolves once
 * the server closes the connection with what it answered before (undefined: nothing). A slow
 * client: a body or a head trickled in, or an upload that is slow but steady.
 */
export function trickle(origin: string, head: string, { everyMs, pieces, repeat = false }: TrickleOptions) {
  const { hostname, port } = new URL(origin);
  return new Promise<RawAnswer | undefined>((resolve, reject) => {
    let answer = "";
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let at = 0;
    const timer = setInterval(() => {
      if (at === pieces.length && !repeat) {
        clearInterval(timer);
        return;
      }
      socket.write(pieces[at++ % pieces.length] as string);
    }, everyMs);
    const done = () => {
      clearInterval(timer);
      socket.destroy();
      resolve(answer ? parseAnswer(answer) : undefined);
    };
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("latin1");
    });
    socket.on("close", done);
    // A server may reset a connection it cut while bytes were still coming: closed all the same.
    socket.on("error", (error: NodeJS.ErrnoException) => (error.code === "ECONNRESET" ? done() : reject(error)));
  });
}
