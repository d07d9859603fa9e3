/**
 * The process's life as the app's parts see it: readiness reads `draining`; long-lived streams
 * (SSE, WebSocket) register a closer, so a drain can tell their clients to reconnect.
 */
export class Lifecycle {
  #draining = false;
  #inFlight = 0;
  #onIdle: (() => void) | undefined;
  readonly #streams = new Set<() => void>();

  /** A request arrived (http/in-flight.ts calls this, and `requestEnded` once when it is done). */
  requestStarted(): void {
    this.#inFlight++;
  }

  requestEnded(): void {
    this.#inFlight--;
    if (this.#inFlight === 0) this.#onIdle?.();
  }

  /** Resolves once no request is in flight. */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onIdle = resolve;
    });
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Registers a stream's closer; returns the function that forgets it (call it when the stream ends). */
  track(close: () => void): () => void {
    if (this.#draining) {
      close();
      return () => {};
    }
    this.#streams.add(close);
    return () => this.#streams.delete(close);
  }

  get inFlight(): number {
    return this.#inFlight;
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
