import { REQUEST_ID_HEADER, requestIdFrom } from "@repo/contracts";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { mountSyncRoute, sendProblem } from "./mount.ts";
import type { SyncRoute } from "./route.ts";

/** The Express app one worker serves: logging, the route table, then the problem+json fallbacks. */
export function createApp(routes: readonly SyncRoute[], logger: Logger): express.Express {
  const app = express();
  app.disable("x-powered-by");

  // One JSON line per request, carrying the request id; the id is echoed to the client too.
  app.use(
    pinoHttp({
      logger,
      // Every line logged for a request carries `reqId`, named as in async-api's logs.
      quietReqLogger: true,
      customAttributeKeys: { reqId: "reqId" },
      genReqId: (req, res) => {
        const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
        res.setHeader(REQUEST_ID_HEADER, id);
        return id;
      },
    }),
  );

  const router = express.Router();
  for (const route of routes) mountSyncRoute(router, route);
  app.use(router);

  app.use((req: Request, res: Response) => {
    sendProblem(req, res, 404, `No route for ${req.method} ${req.path}`);
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // Errors that carry a 4xx status (body-parser's, http-errors') are the client's: keep the status.
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      sendProblem(req, res, status, error instanceof Error ? error.message : undefined);
      return;
    }
    // Anything else is a bug: log it whole, answer without internals.
    req.log.error({ err: error }, "unhandled error");
    sendProblem(req, res, 500);
  });
  return app;
}
