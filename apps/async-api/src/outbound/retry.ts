import type { RetryHandler } from "undici";
import type { AsyncApiSettings } from "../settings/index.ts";

/**
 * Methods a retry cannot repeat the effect of (RFC 9110 §9.2.2): only these are retried. A POST
 * or PATCH that failed half-way may have taken effect; retrying it is the caller's decision.
 */
export const IDEMPOTENT_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"] as const;

/** Answers worth another try: the upstream is overloaded or a gateway in front of it failed. */
export const RETRIED_STATUSES = [429, 502, 503, 504] as const;

/** Connection failures worth another try (undici's own list, as its retry handler keeps it). */
const RETRIED_ERRORS = ["ECONNRESET", "ECONNREFUSED", "ENOTFOUND", "EPIPE", "EHOSTUNREACH", "UND_ERR_SOCKET"];

/**
 * The options for undici's retry interceptor: its rules (methods, statuses, errors, Retry-After),
 * with "full jitter" backoff (a random wait up to the exponential bound, AWS's advice), so that
 * the clients an outage hit together do not all come back at the same instant.
 */
export function retryPolicy(settings: AsyncApiSettings["outbound"]["retry"]): RetryHandler.RetryOptions {
  return {
    maxRetries: settings.maxRetries,
    methods: [...IDEMPOTENT_METHODS],
    statusCodes: [...RETRIED_STATUSES],
    errorCodes: RETRIED_ERRORS,
    // The last answer is the caller's to see, not an exception.
    throwOnError: false,
    retry(error, { state, opts }, next) {
      const { statusCode, code, headers } = error as Error & {
        statusCode?: number;
        code?: string;
        headers?: Record<string, string | string[] | undefined>;
      };
      const retryable =
        state.counter <= settings.maxRetries &&
        (IDEMPOTENT_METHODS as readonly string[]).includes(opts.method) &&
        (statusCode === undefined
          ? code === undefined || code === "UND_ERR_REQ_RETRY" || RETRIED_ERRORS.includes(code)
          : (RETRIED_STATUSES as readonly number[]).includes(statusCode));
      if (!retryable) return next(error);
      const bound = Math.min(settings.baseDelayMs * 2 ** (state.counter - 1), settings.maxDelayMs);
      const retryAfter = retryAfterMs(headers?.["retry-after"]);
      // An upstream that says when to come back is believed, up to the longest wait we allow.
      const wait = retryAfter === undefined ? Math.random() * bound : Math.min(retryAfter, settings.maxDelayMs);
      // The timer is returned so that undici can cancel the wait when the caller aborts.
      return setTimeout(() => next(null), wait);
    },
  };
}

/** `Retry-After` in seconds or as an HTTP date, in ms from now. */
function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
