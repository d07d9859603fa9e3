/** A stream holding bytes for its client; `drop` closes it when the process needs the room. */
export interface BudgetHolder {
  drop(): void;
}

/**
 * The bytes this process's streams hold for clients that have not taken them yet (an SSE
 * response's or a WebSocket's unsent data), against one bound (`streams.maxQueuedBytes`): each
 * connection has its own bound too, but many slow ones together must not outgrow the process.
 * When a stream needs room the process lacks, the streams whose clients have taken nothing for the
 * longest are dropped first (they can resume): clients that do not read cannot keep out those that
 * do. Bytes are counted per connection even where frames are shared, so the count errs high.
 */
export class StreamBudget {
  readonly #max: number;
  readonly #held = new Map<BudgetHolder, { bytes: number; progressAt: number }>();
  #total = 0;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Every connection's bytes, added up. */
  get total(): number {
    return this.#total;
  }

  /**
   * Records that `holder` now holds `bytes` (`progressed`: its client has just taken what it had).
   * Growing past the process's bound first drops the streams stalled longest; if that is not
   * enough, it is refused (false, nothing recorded) and the caller drops its own connection.
   */
  hold(holder: BudgetHolder, bytes: number, progressed = false): boolean {
    const entry = this.#held.get(holder) ?? { bytes: 0, progressAt: performance.now() };
    if (progressed) entry.progressAt = performance.now();
    const growth = bytes - entry.bytes;
    if (growth > 0 && this.#total + growth > this.#max) this.#evict(holder, this.#total + growth - this.#max);
    if (growth > 0 && this.#total + growth > this.#max) return false;
    this.#total += growth;
    entry.bytes = bytes;
    this.#held.set(holder, entry);
    return true;
  }

  /** The connection is gone: its bytes no longer count. */
  release(holder: BudgetHolder): void {
    this.#total -= this.#held.get(holder)?.bytes ?? 0;
    this.#held.delete(holder);
  }

  /** Drops streams that hold bytes, the longest without progress first, until `needed` bytes are free. */
  #evict(except: BudgetHolder, needed: number): void {
    const stalled = [...this.#held]
      .filter(([holder, entry]) => holder !== except && entry.bytes > 0)
      .sort(([, a], [, b]) => a.progressAt - b.progressAt);
    let freed = 0;
    for (const [holder, entry] of stalled) {
      if (freed >= needed) break;
      freed += entry.bytes;
      this.release(holder);
      holder.drop();
    }
  }
}
