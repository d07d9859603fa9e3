/**
 * The process's life as the app's parts see it: readiness reads `draining`; long-lived streams
 * (SSE, WebSocket) register a closer, so a drain can tell their clients to reconnect.
 */
/** What `count` needs of a response: Node's ServerResponse. */
export interface ResponseEvents {
  on(event: "close", listener: (this: object) => void): unknown;
}

export class Lifecycle {
  #draining = false;
  /** The responses in flight: a set, so that a response counts once however its end is reported. */
  readonly #inFlight = new Set<object>();
  #onIdle: (() => void) | undefined;
  readonly #streams = new Set<() => void>();

  /**
   * Counts a request from its arrival until its response's 'close' (its connection done with it,
   * an SSE stream included). One listener shared by every response: no closure per request.
   */
  count(response: ResponseEvents): void {
    this.#inFlight.add(response);
    response.on("close", this.#closed);
  }

  /** The 'close' listener: Node calls it with the response as `this`. */
  readonly #closed: (this: object) => void;

  constructor() {
    const lifecycle = this;
    this.#closed = function (this: object) {
      lifecycle.#done(this);
    };
  }

  #done(response: object): void {
    if (!this.#inFlight.delete(response)) return;
    if (this.#inFlight.size === 0) this.#onIdle?.();
  }

  /** Resolves once no request is in flight. */
  idle(): Promise<void> {
    if (this.#inFlight.size === 0) return Promise.resolve();
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
    return this.#inFlight.size;
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
