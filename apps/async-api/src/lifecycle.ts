/**
 * The process's life as the app's parts see it: readiness reads `draining`; long-lived streams
 * (SSE, WebSocket) register a closer, so a drain can tell their clients to reconnect.
 */
export class Lifecycle {
  #draining = false;
  readonly #streams = new Set<() => void>();

  get draining(): boolean {
    return this.#draining;
  }

  /** Registers a stream's closer; returns the function that forgets it (call it when the stream ends). */
  track(close: () => void): () => void {
    this.#streams.add(close);
    return () => this.#streams.delete(close);
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** From now on readiness fails and new requests get 503; every open stream is told to reconnect. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const close of [...this.#streams]) close();
    this.#streams.clear();
  }
}
