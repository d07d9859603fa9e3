import {
  type AccessLogLevel,
  ANSWERED_METHODS,
  allowHeader,
  checkResponse,
  type HandlerResult,
  handlerRequest,
  implementedEndpoints,
  methodsByPath,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  parseRequest,
  problem,
  type RequestParts,
} from "@repo/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AsyncRoute } from "./route.ts";

/** What a route tells the access log (Fastify's route `config`). */
export interface RouteLogConfig {
  readonly accessLogLevel?: AccessLogLevel;
}

export interface MountOptions {
  /** Check every answer against its contract (development and test). */
  readonly responseValidation: boolean;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The request's parts, validated against the endpoint's contract in `preValidation`. */
    contract: RequestParts | null;
  }
}

/**
 * Registers a route table as native Fastify routes: a `preValidation` hook validates every part
 * of the request against the contract (so user `preHandler` hooks see validated data), the
 * handler runs the async handler and checks its answer. Then, per path, OPTIONS answers with
 * `Allow` and any other method with a 405 problem.
 */
export function mountRouteTable(app: FastifyInstance, routes: readonly AsyncRoute[], options: MountOptions): void {
  app.decorateRequest("contract", null);
  for (const { controller, handlers } of routes) {
    for (const { name, endpoint, handler } of implementedEndpoints("async", controller, handlers)) {
      const where = `${controller.name}.${name} (${endpoint.method} ${endpoint.path})`;
      app.route({
        method: endpoint.method,
        url: endpoint.path,
        config: (endpoint.accessLogLevel ? { accessLogLevel: endpoint.accessLogLevel } : {}) satisfies RouteLogConfig,
        preValidation: (request, _reply, done) => {
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
        handler: async (request, reply) => {
          const parts = request.contract as RequestParts;
          const result = (await handler(handlerRequest(request.id, parts, reply.raw))) as HandlerResult;
          if (options.responseValidation) checkResponse(where, endpoint, result);
          if (result.headers) reply.headers(result.headers);
          if (result.status >= 400 && result.body !== undefined) {
            return sendProblem(request, reply, result.body as ProblemDetails);
          }
          return reply.code(result.status).send(result.body);
        },
      });
    }
  }
  for (const [path, methods] of methodsByPath(routes.map((r) => r.controller))) {
    const allow = allowHeader(methods);
    app.route({
      method: ANSWERED_METHODS.filter((method) => !(methods as string[]).includes(method)),
      url: path,
      handler: async (request, reply) => {
        reply.header("allow", allow);
        if (request.method === "OPTIONS") return reply.code(204).send();
        return sendProblem(
          request,
          reply,
          problem({ status: 405, detail: `${request.method} is not allowed here; use ${allow}` }),
        );
      },
    });
  }
}

/** Sends a problem+json answer, filling in the request's path and id. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, body: ProblemDetails) {
  return reply
    .code(body.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify({ ...body, instance: body.instance ?? request.url, requestId: request.id }));
}
