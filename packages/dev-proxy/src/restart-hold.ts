/**
 * Reloads that drop nothing: under `pnpm dev` an app's watcher restarts it on every save, and for
 * a second or two nothing listens on its port. A request arriving then waits here until the app
 * accepts connections again (up to `restartHoldMs`), instead of failing with a 502.
 */
import { get, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Methods a request can be sent twice with (RFC 9110 §9.2.2), should a reset leave it unanswered. */
export const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
/** The largest body kept to send again; a larger one, refused, is a 502 as before. */
export const KEPT_BODY_MAX_BYTES = 1024 * 1024;
/** How often a held request's upstream is tried: short, since the new process listens at once. */
const PROBE_INTERVAL_MS = 50;

export interface RestartHoldOptions {
  /** Longest a request waits for its app; past it the client gets the 502 (0: never wait). */
  readonly holdMs: number;
  /**
   * An app stopped answering: said once per restart, not once per request. `starting`: it has
   * not answered the proxy yet (`pnpm dev` has just started it), so it is not restarting.
   */
  readonly onDown?: (upstream: string, starting: boolean) => void;
  /** It answers again (or for the first time), after `downMs`. */
  readonly onBack?: (upstream: string, downMs: number, starting: boolean) => void;
  /**
   * Each target's readiness path. An app is back when its readiness answers anything but a 503
   * (a draining process's answer), not merely when its port accepts: the old process still
   * accepts while it drains. Without one, a target is back when it accepts a connection.
   */
  readonly readinessPaths?: ReadonlyMap<string, string>;
}

interface Outage {
  readonly since: number;
  /** Settles true once the target accepts a connection, false when the hold runs out. */
  readonly back: Promise<boolean>;
}

export class RestartHold {
  readonly #options: RestartHoldOptions;
  readonly #outages = new Map<string, Outage>();
  /** Targets that have answered a request: one that has not is starting, not restarting. */
  readonly #answered = new Set<string>();

  constructor(options: RestartHoldOptions) {
    this.#options = options;
  }

  /** The app at `target` answered a request. */
  answered(target: string): void {
    this.#answered.add(target);
  }

  /** Is this target known to be restarting? Requests for it wait before they are forwarded. */
  isDown(target: string): boolean {
    return this.#outages.has(target);
  }

  /**
   * Can this failed exchange be tried again once the app is back? Only when the failure is a
   * restart's and trying again cannot do anything twice: a refused connection (the app saw
   * nothing), or a reset one for an idempotent method. `bodyKept`: the proxy holds the whole
   * body to send again (a body without a copy, once forwarded, cannot be sent twice).
   */
  canRetry(error: Error, req: IncomingMessage, bodyKept: boolean): boolean {
    const code = (error as NodeJS.ErrnoException).code;
    if (this.#options.holdMs <= 0 || !(bodyKept || !hasBody(req))) return false;
    return code === "ECONNREFUSED" || (code === "ECONNRESET" && IDEMPOTENT.has(req.method ?? ""));
  }

  /**
   * The app said it is draining (an answer with `Connection: close`): its next requests wait for
   * the process that replaces it, instead of racing the old one's close of its connections and
   * its listening socket (a write sent just then would be reset, and could not be sent again).
   */
  draining(target: string, upstream: string): void {
    if (this.#options.holdMs > 0) void this.waitUntilBack(target, upstream);
  }

  /** Resolves true when `target` accepts connections again, false if it did not within the hold. */
  waitUntilBack(target: string, upstream: string): Promise<boolean> {
    if (this.#options.holdMs <= 0) return Promise.resolve(false);
    const known = this.#outages.get(target);
    if (known) return known.back;
    const since = Date.now();
    const starting = !this.#answered.has(target);
    this.#options.onDown?.(upstream, starting);
    const back = this.#probe(target, since).then((up) => {
      this.#outages.delete(target);
      if (up) this.#options.onBack?.(upstream, Date.now() - since, starting);
      return up;
    });
    this.#outages.set(target, { since, back });
    return back;
  }

  async #probe(target: string, since: number): Promise<boolean> {
    const { hostname, port } = new URL(target);
    const readinessPath = this.#options.readinessPaths?.get(target);
    while (Date.now() - since < this.#options.holdMs) {
      const back = readinessPath
        ? await isReady(new URL(readinessPath, target))
        : await accepts(hostname.replace(/^\[|\]$/g, ""), Number(port));
      if (back) return true;
      await sleep(PROBE_INTERVAL_MS);
    }
    return false;
  }
}

export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Does the app answer its readiness check there now, with anything but a draining 503? On a
 * connection of its own, closed after: a kept-alive one would hold the old process's drain open.
 */
function isReady(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false, timeout: 1_000 }, (answer) => {
      answer.resume();
      resolve(answer.statusCode !== 503);
    });
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(false));
  });
}

/** Does something accept a TCP connection there now? */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000);
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.once("timeout", () => done(false));
  });
}
