import { PROBLEM_CONTENT_TYPE, problem } from "@repo/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AsyncRoute } from "./route.ts";

/**
 * Registers an async controller's endpoints as Fastify routes. A handler that is not an `async`
 * function is refused at start-up: blocking work belongs in sync-api, where it cannot stall the
 * streams and upstream calls this event loop carries.
 */
export function mountAsyncRoute(app: FastifyInstance, { controller, handlers }: AsyncRoute): void {
  if ((controller.runtime as string) !== "async") {
    throw new Error(`async-api only serves async controllers; ${controller.name} is ${controller.runtime}`);
  }
  for (const [name, endpoint] of Object.entries(controller.endpoints)) {
    const handler = handlers[name];
    if (typeof handler !== "function") {
      throw new Error(`${controller.name}.${name} has no handler`);
    }
    if (handler.constructor.name !== "AsyncFunction") {
      throw new Error(`${controller.name}.${name} is not an async function; async-api handlers must be async`);
    }
    app.route({
      method: endpoint.method,
      url: endpoint.path,
      handler: async (request, reply) => {
        const result = await handler({ id: request.id });
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
