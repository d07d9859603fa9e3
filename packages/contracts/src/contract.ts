import type { z } from "zod";
import type { RateLimit } from "./rate-limit.ts";
import type { Principal, Security } from "./security.ts";

/** A controller runs on exactly one runtime: `sync` (sync-api, Express) or `async` (async-api, Fastify). */
export type Runtime = "sync" | "async";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Response body schemas by status code; `null` for a response without a body (204). */
export type Responses = { readonly [status: number]: z.ZodType | null };

/** One endpoint, described once: how it is called and what it may answer. */
export interface EndpointContract {
  readonly method: HttpMethod;
  /**
   * Path inside its app, with `:name` for a path parameter (the syntax of Express and Fastify).
   * An async controller's paths are served under the async prefix.
   */
  readonly path: `/${string}`;
  readonly summary: string;
  readonly description?: string;
  /** Path parameters: one key per `:name` in the path. */
  readonly params?: z.ZodObject;
  /** Query string. Values arrive as strings: use `z.coerce` for numbers and booleans. */
  readonly query?: z.ZodObject;
  /** Request headers, by lower-case name. Headers it does not name are let through. */
  readonly headers?: z.ZodObject;
  /** JSON request body. */
  readonly body?: z.ZodType;
  readonly responses: Responses;
  /**
   * The level of this endpoint's access log line; `info` when left out. Probes and polls, which
   * would otherwise fill the log with lines nobody reads, say `debug`.
   */
  readonly accessLogLevel?: AccessLogLevel;
  /**
   * Internal: served by its app for the other app (or for operators) on their own network only.
   * In no public OpenAPI document, and refused by both proxies (nginx and the dev proxy) with a
   * 404 problem, as if it did not exist.
   */
  readonly internal?: boolean;
  /**
   * At most `limit` requests per client address in each window of `windowMs`, counted by its app
   * (docs/contracts.md, "Rate limits"); the `rateLimit` settings change or turn it off.
   */
  readonly rateLimit?: RateLimit;
  /**
   * Who may call it: `bearer("scope", ...)` or `PUBLIC` (security.ts). Overrides its controller's;
   * public when neither says.
   */
  readonly security?: Security;
}

export type AccessLogLevel = "debug" | "info";

export interface Controller<
  R extends Runtime = Runtime,
  E extends Record<string, EndpointContract> = Record<string, EndpointContract>,
  N extends string = string,
> {
  /** Its name, kept as a literal type: the compiler's route-table check names a controller by it. */
  readonly name: N;
  readonly runtime: R;
  readonly endpoints: E;
  /** What every endpoint requires unless it declares its own `security`; public when left out. */
  readonly security?: Security;
}

/**
 * Groups endpoints under one runtime. A controller is never mixed: its runtime covers every
 * endpoint, and decides which app may serve it and what its handlers must return.
 */
export function controller<
  const N extends string,
  const R extends Runtime,
  const E extends Record<string, EndpointContract>,
>(name: N, runtime: R, endpoints: E, options: { readonly security?: Security } = {}): Controller<R, E, N> {
  return { name, runtime, endpoints, ...(options.security ? { security: options.security } : {}) };
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler is given: every part of the request, validated against its contract. */
export interface HandlerRequest<E extends EndpointContract = EndpointContract> {
  /** The request id (the client's `X-Request-ID` if sane, otherwise made for this request). */
  readonly id: string;
  /** Aborted when the client goes away before the answer: pass it to outbound calls. */
  readonly signal: AbortSignal;
  readonly params: Parsed<E["params"]>;
  readonly query: Parsed<E["query"]>;
  readonly headers: Parsed<E["headers"]>;
  readonly body: Parsed<E["body"]>;
  /** Who the verified bearer token speaks for; undefined on a public endpoint. */
  readonly principal?: Principal | undefined;
}

/** What an endpoint may answer: one `{ status, body }` per declared status, body typed by its schema. */
export type ResponseOf<E extends EndpointContract> = {
  [S in keyof E["responses"] & number]: E["responses"][S] extends z.ZodType
    ? {
        readonly status: S;
        readonly body: z.input<E["responses"][S]>;
        readonly headers?: Readonly<Record<string, string>>;
      }
    : { readonly status: S; readonly body?: undefined; readonly headers?: Readonly<Record<string, string>> };
}[keyof E["responses"] & number];

/**
 * What a sync handler is given: the request's validated parts and its id, all plain data, so that
 * the same handler runs in a cluster worker, in a pool thread (combined mode) or inline. No
 * `signal`: a synchronous handler cannot be interrupted by one, and a live connection cannot
 * cross to another thread.
 */
export type SyncHandlerRequest<E extends EndpointContract = EndpointContract> = Omit<HandlerRequest<E>, "signal">;

/** A sync controller's handlers return their response directly: never a Promise. */
export type SyncHandlers<C extends Controller<"sync">> = {
  readonly [K in keyof C["endpoints"]]: (
    request: SyncHandlerRequest<C["endpoints"][K]>,
  ) => ResponseOf<C["endpoints"][K]> & { readonly then?: never };
};

/** An async controller's handlers return a Promise of their response. */
export type AsyncHandlers<C extends Controller<"async">> = {
  readonly [K in keyof C["endpoints"]]: (
    request: HandlerRequest<C["endpoints"][K]>,
  ) => Promise<ResponseOf<C["endpoints"][K]>>;
};

/** `:id` → `{id}`, for OpenAPI. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}
