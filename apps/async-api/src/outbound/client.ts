import { REQUEST_ID_HEADER } from "@repo/contracts";
import { Agent, type Dispatcher, interceptors, request } from "undici";
import type { AsyncApiSettings } from "../settings/index.ts";
import { CircuitBreaker } from "./breaker.ts";
import { retryPolicy } from "./retry.ts";

export type CallOutcome =
  | {
      readonly outcome: "ok" | "failed";
      readonly httpStatus: number;
      readonly body: unknown;
      readonly elapsedMs: number;
    }
  | { readonly outcome: "timeout" | "unreachable"; readonly detail: string; readonly elapsedMs: number };

/** The client went away: the call was cancelled, there is no one to answer. */
export class CallCancelled extends Error {
  override readonly name = "CallCancelled";
}

export type Method = "GET" | "HEAD" | "OPTIONS" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface CallOptions {
  readonly method?: Method;
  /** Sent as JSON (`content-type: application/json`). */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** The client leaving: cancels the call (and its retries). */
  readonly signal?: AbortSignal;
  /** The request being served: sent on as `X-Request-ID`, so the upstream's logs name it too. */
  readonly requestId?: string;
}

/** One upstream, by its settings name: base URL, headers and circuit breaker applied to every call. */
export interface Upstream {
  readonly name: string;
  /** Calls `path` (joined to the upstream's base URL) and reads the answer as JSON when it is. */
  call(path: string, options?: CallOptions): Promise<CallOutcome>;
}

type OutboundSettings = AsyncApiSettings["outbound"];

/** Told of every call to a named upstream as it ends (the metrics): its outcome, or `cancelled`. */
export type CallObserver = (
  upstream: string,
  method: Method,
  outcome: CallOutcome["outcome"] | "cancelled",
  seconds: number,
) => void;
type UpstreamSettings = AsyncApiSettings["upstreams"][string];

/**
 * Every outbound call of async-api goes through one undici Agent: a keep-alive pool per upstream
 * origin, connect and request timeouts from settings, and undici's retry interceptor for
 * idempotent methods (backoff with jitter, `Retry-After` honoured). A call ends one of four ways
 * (ok, failed status, timeout, unreachable) and never throws, except when the caller's signal
 * cancels it. `requestTimeoutMs` bounds the whole call, retries included.
 */
export class Outbound {
  readonly #agent: Agent;
  readonly #dispatcher: Dispatcher;
  readonly #settings: OutboundSettings;
  readonly #upstreams: Record<string, UpstreamSettings>;
  readonly #secretHeaders: Record<string, Record<string, string>>;
  readonly #bound = new Map<string, Upstream>();
  #observe: CallObserver | undefined;

  constructor(
    settings: OutboundSettings,
    upstreams: {
      upstreams?: AsyncApiSettings["upstreams"];
      upstreamSecrets?: AsyncApiSettings["upstreamSecrets"];
    } = {},
  ) {
    this.#settings = settings;
    this.#upstreams = upstreams.upstreams ?? {};
    this.#secretHeaders = upstreams.upstreamSecrets ?? {};
    this.#agent = new Agent({
      connect: { timeout: settings.connectTimeoutMs },
      connections: settings.connections,
      headersTimeout: settings.requestTimeoutMs,
      bodyTimeout: settings.requestTimeoutMs,
    });
    this.#dispatcher = this.#agent.compose(interceptors.retry(retryPolicy(settings.retry)));
  }

  /**
   * The upstream named `name` in the `upstreams` setting, its calls relative to its URL. Asked
   * for when a route table is built, so that a handler naming an upstream the settings lack
   * stops the app at start-up, not at its first request.
   */
  /** Tells `observe` of every upstream call from now on (a process has one observer: its metrics). */
  observe(observe: CallObserver): void {
    this.#observe = observe;
  }

  upstream(name: string): Upstream {
    const known = this.#bound.get(name);
    if (known) return known;
    const entry = this.#upstreams[name];
    if (!entry) {
      const names = Object.keys(this.#upstreams).join(", ") || "none";
      throw new Error(
        `upstreams.${name}: a handler calls this upstream, which the settings do not name (they name ${names})`,
      );
    }
    const base = entry.url.replace(/\/+$/, "");
    const headers = { ...entry.headers, ...this.#secretHeaders[name] };
    const breaker = new CircuitBreaker(this.#settings.breaker);
    const upstream: Upstream = {
      name,
      call: (path, options = {}) => {
        const called = breaker.run(
          () => this.request(`${base}${path}`, { ...options, headers: { ...headers, ...options.headers } }),
          (elapsedMs) => ({
            outcome: "unreachable",
            detail: `${name}: circuit open after repeated failures`,
            elapsedMs,
          }),
        );
        const observe = this.#observe;
        if (!observe) return called;
        const method = options.method ?? "GET";
        const started = performance.now();
        return called.then(
          (outcome) => {
            observe(name, method, outcome.outcome, outcome.elapsedMs / 1_000);
            return outcome;
          },
          (error: unknown) => {
            observe(name, method, "cancelled", (performance.now() - started) / 1_000);
            throw error;
          },
        );
      },
    };
    this.#bound.set(name, upstream);
    return upstream;
  }

  /** Calls an absolute URL: within the request timeout; `signal` (the client leaving) cancels it. */
  async request(url: string, options: CallOptions = {}): Promise<CallOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const timeout = AbortSignal.timeout(this.#settings.requestTimeoutMs);
    const { signal, method = "GET", requestId } = options;
    const hasBody = options.body !== undefined;
    try {
      const response = await request(url, {
        method,
        dispatcher: this.#dispatcher,
        headers: {
          accept: "application/json",
          ...(hasBody ? { "content-type": "application/json" } : {}),
          ...(requestId ? { [REQUEST_ID_HEADER]: requestId } : {}),
          ...options.headers,
        },
        ...(hasBody ? { body: JSON.stringify(options.body) } : {}),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const text = await response.body.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: keep the text.
      }
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return { outcome: ok ? "ok" : "failed", httpStatus: response.statusCode, body, elapsedMs: elapsed() };
    } catch (error) {
      if (signal?.aborted) throw new CallCancelled(`cancelled: ${String(signal.reason)}`);
      const code = (error as { code?: string }).code ?? "";
      const timedOut =
        timeout.aborted ||
        code === "UND_ERR_HEADERS_TIMEOUT" ||
        code === "UND_ERR_BODY_TIMEOUT" ||
        code === "UND_ERR_CONNECT_TIMEOUT";
      return timedOut
        ? { outcome: "timeout", detail: `no answer within ${this.#settings.requestTimeoutMs} ms`, elapsedMs: elapsed() }
        : { outcome: "unreachable", detail: (error as Error).message || code, elapsedMs: elapsed() };
    }
  }

  /** GET a JSON document from an absolute URL (for a caller that polls a feed, say). */
  getJson(url: string, options: Omit<CallOptions, "method" | "body"> = {}): Promise<CallOutcome> {
    return this.request(url, options);
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
