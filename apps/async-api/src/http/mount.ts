import { implementedEndpoints, PROBLEM_CONTENT_TYPE, problem } from "@repo/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AsyncRoute } from "./route.ts";

/**
 * Registers an async controller's endpoints as Fastify routes. A handler that is not an `async`
 * function is refused at start-up: blocking work belongs in sync-api, where it cannot stall the
 * streams and upstream calls this event loop carries.
 */
export function mountAsyncRoute(app: FastifyInstance, { controller, handlers }: AsyncRoute): void {
  for (const { endpoint, handler } of implementedEndpoints("async", controller, handlers)) {
    app.route({
      method: endpoint.method,
      url: endpoint.path,
      handler: async (request, reply) => {
        const result = (await handler({ id: request.id })) as { status: number; body: unknown };
        return reply.code(result.status).send(result.body);
      },
    });
  }
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, status: number, detail?: string) {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem({ status, detail, instance: request.url, requestId: request.id })));
}
