import {
  type Authenticate,
  allowHeader,
  checkResponse,
  type HandlerResult,
  type HttpMethod,
  handlerRequest,
  type ImplementedEndpoint,
  implementedEndpoints,
  methodsByPath,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  parseRequest,
  problem,
  problemForRequest,
  type RequestParts,
} from "@repo/contracts";
import type { RateLimitSettings } from "@repo/shared-settings";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { tokenHook } from "./auth.ts";
import type { EventLoopGuard } from "./event-loop.ts";
import { rateLimitHook } from "./rate-limit.ts";
import type { AsyncRoute } from "./route.ts";

export interface MountOptions {
  /** Check every answer against its contract (development and test). */
  readonly responseValidation: boolean;
  /** Times each handler's synchronous stretch; off when left out. */
  readonly guard?: EventLoopGuard;
  /** The app's `rateLimit` settings, for the endpoints whose contract (or settings) limit them. */
  readonly rateLimit?: RateLimitSettings;
  /** Verifies bearer tokens, for the endpoints whose contract declares `security`. */
  readonly authenticate?: Authenticate;
}

/**
 * An endpoint ready to mount: its contract and what answers it. async-api's own handlers
 * (`asyncEndpoints`), or, in combined mode, a dispatch of a sync handler to a pool thread.
 */
export type MountedEndpoint = Pick<ImplementedEndpoint, "where" | "endpoint" | "security" | "handler">;

/** A route table's endpoints, checked to be async controllers whose every handler is async. */
export function asyncEndpoints(routes: readonly AsyncRoute[]): MountedEndpoint[] {
  return routes.flatMap(({ controller, handlers }) => implementedEndpoints("async", controller, handlers));
}

declare module "fastify" {
  interface FastifyRequest {
    /** The request's parts, validated against the endpoint's contract in `preValidation`. */
    contract: RequestParts | null;
  }
}

/**
 * Registers endpoints as native Fastify routes: a `preValidation` hook validates every part of
 * the request against the contract (so user `preHandler` hooks see validated data), the handler
 * runs and its answer is checked. Then, per path, OPTIONS answers with `Allow` and any other
 * method with a 405 problem.
 */
export function mountEndpoints(
  app: FastifyInstance,
  endpoints: readonly MountedEndpoint[],
  { responseValidation, guard, rateLimit, authenticate }: MountOptions,
): void {
  if (!app.hasRequestDecorator("contract")) app.decorateRequest("contract", null);
  const timed = guard?.enabled ? guard : undefined;
  for (const { where, endpoint, security, handler } of endpoints) {
    const { accessLogLevel } = endpoint;
    if (security && !authenticate) throw new Error(`${where} requires a bearer token, but was given no authenticator`);
    // Counted in `onRequest`, before the body is read (a refused request costs no read); on a
    // secured route after the token is checked, by its subject, so one address's callers each
    // have a quota.
    const limiter = rateLimit && rateLimitHook(app, endpoint, rateLimit, security !== undefined);
    app.route({
      method: endpoint.method,
      url: endpoint.path,
      onRequest: [
        ...(security && authenticate ? [tokenHook(app, security, authenticate)] : []),
        ...(limiter ? [limiter] : []),
      ],
      preValidation: (request, _reply, done) => {
        // What its access line is logged at, when the contract lowers it (request-log.ts).
        if (accessLogLevel) request.accessLogLevel = accessLogLevel;
        try {
          request.contract = parseRequest(
            endpoint,
            { params: request.params, query: request.query, headers: request.headers, body: request.body },
            request.headers["content-type"],
          );
        } catch (error) {
          done(error as Error);
          return;
        }
        done();
      },
      // A plain function that sends when the handler's promise settles: an async one, awaiting it
      // and returning the (thenable) reply, cost two more promise jobs on every request.
      handler: (request, reply) => {
        const parts = request.contract as RequestParts;
        const started = timed ? performance.now() : 0;
        // A promise from an async handler; combined mode's inline sync handlers answer at once.
        const answer = handler(handlerRequest(request.id, parts, reply.raw, request.principal)) as
          | HandlerResult
          | Promise<HandlerResult>;
        // The route is described only for a report: Fastify builds `routeOptions` on each read.
        const blockedMs = timed?.blocked(started);
        if (blockedMs !== undefined) {
          const url = request.routeOptions.url ?? request.url;
          timed?.report(blockedMs, { method: request.method, url, requestId: request.id });
        }
        const respond = (result: HandlerResult) => {
          try {
            if (responseValidation) checkResponse(where, endpoint, result);
            if (result.headers) reply.headers(result.headers);
            if (result.status >= 400 && result.body !== undefined) {
              sendProblem(request, reply, result.body as ProblemDetails);
            } else {
              reply.code(result.status).send(result.body);
            }
          } catch (error) {
            reply.send(asError(error));
          }
        };
        if (answer instanceof Promise) answer.then(respond, (error: unknown) => reply.send(asError(error)));
        else respond(answer);
      },
    });
  }
  for (const [path, methods] of methodsByPath(endpoints.map(({ endpoint }) => endpoint))) {
    refuseOtherMethods(app, path, methods);
  }
}

/** What a handler threw, as Fastify's error path takes it: an Error (anything else would be sent as a body). */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Every other method Fastify knows (TRACE, PROPFIND, QUERY…) on a declared path: 405 with `Allow`,
 * or 204 for OPTIONS. Answered in `onRequest`, so no body is read for it.
 */
export function refuseOtherMethods(app: FastifyInstance, path: string, methods: readonly HttpMethod[]): void {
  const allow = allowHeader(methods);
  const declared = new Set<string>([...methods, ...(methods.includes("GET") ? ["HEAD"] : [])]);
  app.route({
    method: app.supportedMethods.filter((method) => !declared.has(method)),
    url: path,
    // Answers without calling `done`: the rest of the lifecycle (body included) never runs.
    onRequest: (request, reply) => {
      reply.header("allow", allow);
      if (request.method === "OPTIONS") {
        reply.code(204).send();
        return;
      }
      sendProblem(
        request,
        reply,
        problem({ status: 405, detail: `${request.method} is not allowed here; use ${allow}` }),
      );
    },
    handler: async () => undefined,
  });
}

/** Sends a problem+json answer, filling in the request's path (its bearer token redacted) and id. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, body: ProblemDetails) {
  return reply
    .code(body.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problemForRequest(body, request.url, request.id)));
}
