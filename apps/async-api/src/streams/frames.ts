import type { NoteEvent, SocketServerMessage } from "@repo/contracts";

/**
 * One note event, serialised once for every client: its SSE frame and its WebSocket message are
 * built on first use and the same Buffer is written to each socket (a socket keeps a reference, it
 * does not copy), so a thousand clients of one event cost one copy of it, not a thousand.
 */
export class EventFrame {
  readonly event: NoteEvent;
  #sse: Buffer | undefined;
  #ws: Buffer | undefined;

  constructor(event: NoteEvent) {
    this.event = event;
  }

  get id(): number {
    return this.event.id;
  }

  /** `id:`, `event: note` and `data:` lines, with the blank line that ends an SSE event. */
  get sse(): Buffer {
    this.#sse ??= Buffer.from(`id: ${this.event.id}\nevent: note\ndata: ${JSON.stringify(this.event)}\n\n`);
    return this.#sse;
  }

  /** The WebSocket channel's `note` message. */
  get ws(): Buffer {
    const message: SocketServerMessage = { type: "note", event: this.event };
    this.#ws ??= Buffer.from(JSON.stringify(message));
    return this.#ws;
  }
}

/** The first frames whose SSE bytes add up to at most `maxBytes` (always one, however large). */
export function upToBytes(frames: readonly EventFrame[], maxBytes: number): EventFrame[] {
  let bytes = 0;
  let count = 0;
  for (const frame of frames) {
    bytes += frame.sse.length;
    if (count > 0 && bytes > maxBytes) break;
    count++;
  }
  return frames.slice(0, count);
}
