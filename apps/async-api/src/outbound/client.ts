import { Agent, request } from "undici";
import type { AsyncApiSettings } from "../settings/index.ts";

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

/**
 * Every outbound call of async-api goes through one undici Agent: a keep-alive pool per upstream
 * origin, connect and request timeouts from settings. A call ends one of four ways (ok, failed
 * status, timeout, unreachable) and never throws, except when the caller's signal cancels it.
 */
export class Outbound {
  readonly #agent: Agent;
  readonly #requestTimeoutMs: number;

  constructor(settings: AsyncApiSettings["outbound"]) {
    this.#requestTimeoutMs = settings.requestTimeoutMs;
    this.#agent = new Agent({
      connect: { timeout: settings.connectTimeoutMs },
      connections: settings.connections,
      headersTimeout: settings.requestTimeoutMs,
      bodyTimeout: settings.requestTimeoutMs,
    });
  }

  /** GET a JSON document, within the request timeout; `signal` (the client leaving) cancels it. */
  async getJson(url: string, { signal }: { signal?: AbortSignal } = {}): Promise<CallOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const timeout = AbortSignal.timeout(this.#requestTimeoutMs);
    try {
      const response = await request(url, {
        method: "GET",
        dispatcher: this.#agent,
        headers: { accept: "application/json" },
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
        ? { outcome: "timeout", detail: `no answer within ${this.#requestTimeoutMs} ms`, elapsedMs: elapsed() }
        : { outcome: "unreachable", detail: (error as Error).message || code, elapsedMs: elapsed() };
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
