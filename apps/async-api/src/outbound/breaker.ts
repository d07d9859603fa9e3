import type { AsyncApiSettings } from "../settings/index.ts";
import type { CallOutcome } from "./client.ts";

/**
 * A circuit breaker for one upstream: after `failures` calls in a row fail (a timeout, no
 * connection, or a 5xx answer), calls fail at once for `openMs` instead of each waiting out its
 * timeout and retries; then one trial call is let through, and its outcome closes the circuit
 * or opens it again. It protects both sides of an outage: our event loop and sockets are not
 * tied up by calls that cannot succeed, and a recovering upstream is not hit by every waiting
 * client at once. Plain state checked on each call: no timer of its own.
 */
export class CircuitBreaker {
  readonly #failures: number;
  readonly #openMs: number;
  #failed = 0;
  #openUntil = 0;
  #trial = false;

  constructor(settings: AsyncApiSettings["outbound"]["breaker"]) {
    this.#failures = settings.failures;
    this.#openMs = settings.openMs;
  }

  /** Runs `call` unless the circuit is open, in which case `refuse` gives the outcome at once. */
  async run(call: () => Promise<CallOutcome>, refuse: (elapsedMs: number) => CallOutcome): Promise<CallOutcome> {
    if (this.#failures === 0) return call();
    if (this.#failed >= this.#failures) {
      // Open: refuse until the time is up, then let one trial through while the rest are refused.
      if (performance.now() < this.#openUntil || this.#trial) return refuse(0);
      this.#trial = true;
    }
    try {
      const outcome = await call();
      this.#record(isFailure(outcome));
      return outcome;
    } finally {
      this.#trial = false;
    }
  }

  #record(failed: boolean): void {
    if (!failed) {
      this.#failed = 0;
      return;
    }
    this.#failed += 1;
    if (this.#failed >= this.#failures) this.#openUntil = performance.now() + this.#openMs;
  }
}

/** A call that tells of an upstream in trouble; a 4xx is the upstream working as it should. */
function isFailure(outcome: CallOutcome): boolean {
  return "httpStatus" in outcome ? outcome.httpStatus >= 500 : true;
}
