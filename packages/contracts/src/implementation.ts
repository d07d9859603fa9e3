import type { Controller, EndpointContract, HttpMethod, Runtime } from "./contract.ts";
import { type Principal, requiredSecurity, type SecurityRequirement } from "./security.ts";
import type { RequestParts } from "./validation.ts";

export interface ImplementedEndpoint {
  readonly name: string;
  /** `controller.name (METHOD /path)`, for messages. */
  readonly where: string;
  readonly endpoint: EndpointContract;
  /** What a caller needs (the endpoint's declaration, else its controller's); undefined when public. */
  readonly security: SecurityRequirement | undefined;
  /**
   * The handler, as an app calls it: with the request id and the validated parts (and, for an
   * async handler, the signal of the client going away).
   */
  readonly handler: (request: HandlerInput) => unknown;
}

/** A handler's argument as an app builds it: plain data, but for async handlers' `signal`. */
export type HandlerInput = {
  readonly id: string;
  readonly signal?: AbortSignal;
  readonly principal?: Principal | undefined;
} & RequestParts;

const APP_OF: Record<Runtime, string> = { sync: "sync-api", async: "async-api" };

/**
 * The start-up check both apps run on every controller they mount, for the mistakes the compiler
 * cannot see (JavaScript, `any`, casts): a controller of the other runtime, an endpoint without a
 * handler, an `async` handler in the sync app or a plain one in the async app. The error names the
 * controller and the handler.
 */
export function implementedEndpoints(
  runtime: Runtime,
  controller: Controller,
  handlers: Readonly<Record<string, unknown>>,
): ImplementedEndpoint[] {
  const app = APP_OF[runtime];
  if (controller.runtime !== runtime) {
    throw new Error(`${app} only serves ${runtime} controllers; ${controller.name} is ${controller.runtime}`);
  }
  return Object.entries(controller.endpoints).map(([name, endpoint]) => {
    const handler = handlers[name];
    const where = `${controller.name}.${name}`;
    const described = `${where} (${endpoint.method} ${endpoint.path})`;
    if (typeof handler !== "function") throw new Error(`${where} has no handler`);
    const isAsync = handler.constructor.name === "AsyncFunction";
    if (runtime === "sync" && isAsync) {
      throw new Error(`${where} is an async function; ${app} handlers must be synchronous`);
    }
    if (runtime === "async" && !isAsync) {
      throw new Error(`${where} is not an async function; ${app} handlers must be async`);
    }
    const security = requiredSecurity(controller.security, endpoint.security);
    return { name, where: described, endpoint, security, handler: handler as ImplementedEndpoint["handler"] };
  });
}

/** Methods a path (or OPTIONS) may be asked with; the rest get 405 with an `Allow` header. */
export const ANSWERED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** The methods declared for each path, for 405 answers and `Allow` headers. */
export function methodsByPath(endpoints: Iterable<EndpointContract>): Map<string, HttpMethod[]> {
  const byPath = new Map<string, HttpMethod[]>();
  for (const endpoint of endpoints) byPath.set(endpoint.path, [...(byPath.get(endpoint.path) ?? []), endpoint.method]);
  return byPath;
}

/**
 * The paths of the API's internal endpoints as the proxies see them (async ones under the
 * prefix), as patterns a proxy refuses: `:name` matches one path segment.
 */
export function internalPaths(controllers: readonly Controller[], asyncPrefix: string): RegExp[] {
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return controllers.flatMap((ctrl) =>
    Object.values(ctrl.endpoints)
      .filter((endpoint) => endpoint.internal)
      .map((endpoint) => {
        const path = `${ctrl.runtime === "async" ? asyncPrefix : ""}${endpoint.path}`;
        const pattern = path
          .split(/(:[A-Za-z0-9_]+)/)
          .map((part) => (part.startsWith(":") ? "[^/]+" : escapeRegExp(part)));
        // Case-insensitive with an optional trailing slash: how Express matches routes by default.
        return new RegExp(`^${pattern.join("")}/?$`, "i");
      }),
  );
}

/** The `Allow` header for a path: its methods, HEAD with GET, and OPTIONS. */
export function allowHeader(methods: readonly HttpMethod[]): string {
  return [...methods, ...(methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
}

/** A response as `clientGone` watches it: Node's ServerResponse or Express's Response. */
interface WatchedResponse {
  once(event: "close", listener: () => void): unknown;
  readonly writableFinished: boolean;
  readonly closed: boolean;
}

/**
 * A signal aborted when the connection closes before the answer is sent (the client went away),
 * for the handler's `signal`.
 */
export function clientGone(res: WatchedResponse): AbortSignal {
  const gone = () => new Error("the client went away");
  if (res.closed) return res.writableFinished ? new AbortController().signal : AbortSignal.abort(gone());
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(gone());
  });
  return controller.signal;
}

/**
 * What an app passes its handler: the request id, the validated parts and `signal`. The signal
 * is made when the handler first reads it: most handlers never do, and an AbortController and a
 * listener per request is a cost every request would pay.
 */
export function handlerRequest(
  id: string,
  parts: RequestParts,
  res: WatchedResponse,
  principal?: Principal,
): HandlerInput & { readonly signal: AbortSignal } {
  return new HandlerRequest(id, parts, res, principal);
}

/**
 * A class, not an object literal with a `get signal()`: V8 gives each such literal a hidden class
 * of its own, held in old space with the getter's closure, so every request's response outlived
 * the young generation until the next full collection (measured: 12 MB promoted per scavenge
 * under load, GC the largest cost async-api added to Fastify).
 */
class HandlerRequest implements HandlerInput {
  readonly id: string;
  readonly principal: Principal | undefined;
  readonly params: unknown;
  readonly query: unknown;
  readonly headers: unknown;
  readonly body: unknown;
  readonly #res: WatchedResponse;
  #signal: AbortSignal | undefined;

  constructor(id: string, parts: RequestParts, res: WatchedResponse, principal: Principal | undefined) {
    this.id = id;
    this.principal = principal;
    this.params = parts.params;
    this.query = parts.query;
    this.headers = parts.headers;
    this.body = parts.body;
    this.#res = res;
  }

  get signal(): AbortSignal {
    this.#signal ??= clientGone(this.#res);
    return this.#signal;
  }
}
