/**
 * The bytes this process's streams hold for clients that have not taken them yet (an SSE
 * response's or a WebSocket's unsent data), against one bound (`streams.maxQueuedBytes`): each
 * connection has its own bound too, but many slow ones together must not outgrow the process.
 * Bytes are counted per connection even where frames are shared, so the count errs high.
 */
export class StreamBudget {
  readonly #max: number;
  readonly #held = new Map<object, number>();
  #total = 0;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Every connection's bytes, added up. */
  get total(): number {
    return this.#total;
  }

  /**
   * Records that `holder` now holds `bytes`. Growing past the process's bound is refused (false,
   * nothing recorded): the caller drops that connection. Shrinking is always accepted.
   */
  hold(holder: object, bytes: number): boolean {
    const before = this.#held.get(holder) ?? 0;
    const total = this.#total - before + bytes;
    if (bytes > before && total > this.#max) return false;
    this.#total = total;
    this.#held.set(holder, bytes);
    return true;
  }

  /** The connection is gone: its bytes no longer count. */
  release(holder: object): void {
    this.#total -= this.#held.get(holder) ?? 0;
    this.#held.delete(holder);
  }
}
