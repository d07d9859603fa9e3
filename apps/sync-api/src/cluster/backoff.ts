/** PM2's exponential restart delay, as a small state machine the supervisor keeps. */
export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
}

export class RestartBackoff {
  #crashes = 0;
  readonly #settings: BackoffSettings;

  constructor(settings: BackoffSettings) {
    this.#settings = settings;
  }

  /**
   * The delay before replacing a worker that crashed after `uptimeMs`: `initialMs`, doubling with
   * each crash in a row, at most `maxMs`. A worker that ran `resetAfterMs` or longer was stable:
   * the count starts again.
   */
  nextDelay(uptimeMs: number): number {
    if (uptimeMs >= this.#settings.resetAfterMs) this.#crashes = 0;
    const delay = Math.min(this.#settings.maxMs, this.#settings.initialMs * 2 ** this.#crashes);
    this.#crashes++;
    return delay;
  }

  get crashesInARow(): number {
    return this.#crashes;
  }
}
