import { REQUEST_ID_HEADER, requestIdFrom } from "@repo/contracts";
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from "fastify";
import type { Logger } from "pino";
import type { AsyncApiSettings } from "../settings/index.ts";
import { mountAsyncRoute, sendProblem } from "./mount.ts";
import type { AsyncRoute } from "./route.ts";

/** The Fastify app: request ids and logging, the route table under the async prefix, problem+json errors. */
export function buildApp(settings: AsyncApiSettings, routes: readonly AsyncRoute[], logger: Logger) {
  const app = Fastify({
    loggerInstance: logger,
    // The request id: the client's X-Request-ID if sane (the proxy makes one otherwise).
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    logController: new OneLinePerRequest(),
  });

  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, `No route for ${request.method} ${request.url}`),
  );
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return sendProblem(request, reply, status, error instanceof Error ? error.message : undefined);
    }
    request.log.error({ err: error }, "unhandled error");
    return sendProblem(request, reply, 500);
  });

  app.register(
    async (scope) => {
      for (const route of routes) mountAsyncRoute(scope, route);
    },
    { prefix: settings.asyncPrefix },
  );
  return app;
}

/** One log line per request, when it completes, with the request and the response (as pino-http does). */
class OneLinePerRequest extends LogController {
  constructor() {
    super({ requestIdLogLabel: "reqId" });
  }
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, "request errored");
    else reply.log.info(fields, "request completed");
  }
}
