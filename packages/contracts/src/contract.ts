import type { z } from "zod";

/** A controller runs on exactly one runtime: `sync` (sync-api, Express) or `async` (async-api, Fastify). */
export type Runtime = "sync" | "async";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Response body schemas by status code. */
export type Responses = { readonly [status: number]: z.ZodType };

/** One endpoint, described once: how it is called and what it may answer. */
export interface EndpointContract {
  readonly method: HttpMethod;
  /** Path inside its app. An async controller's paths are mounted under the async prefix. */
  readonly path: `/${string}`;
  readonly summary: string;
  readonly responses: Responses;
}

export interface Controller<
  R extends Runtime = Runtime,
  E extends Record<string, EndpointContract> = Record<string, EndpointContract>,
> {
  readonly name: string;
  readonly runtime: R;
  readonly endpoints: E;
}

/** Groups endpoints under one runtime. A controller is never mixed: its runtime covers every endpoint. */
export function controller<const R extends Runtime, const E extends Record<string, EndpointContract>>(
  name: string,
  runtime: R,
  endpoints: E,
): Controller<R, E> {
  return { name, runtime, endpoints };
}

/** What an endpoint may answer: one `{ status, body }` per declared status, body typed by its schema. */
export type ResponseOf<E extends EndpointContract> = {
  [S in keyof E["responses"] & number]: { readonly status: S; readonly body: z.input<E["responses"][S]> };
}[keyof E["responses"] & number];

/** A sync controller's handlers return their response directly: never a Promise. */
export type SyncHandlers<C extends Controller<"sync">> = {
  readonly [K in keyof C["endpoints"]]: (request: HandlerRequest) => ResponseOf<C["endpoints"][K]>;
};

/** An async controller's handlers return a Promise of their response. */
export type AsyncHandlers<C extends Controller<"async">> = {
  readonly [K in keyof C["endpoints"]]: (request: HandlerRequest) => Promise<ResponseOf<C["endpoints"][K]>>;
};

/** What every handler is given, whichever framework runs it. */
export interface HandlerRequest {
  /** The request id (from `X-Request-ID`, or made for this request). */
  readonly id: string;
}
