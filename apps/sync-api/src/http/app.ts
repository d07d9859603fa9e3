import {
  answerForError,
  BODY_PROBLEM_DETAIL,
  openApiDocument,
  problem,
  REQUEST_ID_HEADER,
  requestIdFrom,
} from "@repo/contracts";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import type { SyncApiSettings } from "../settings/index.ts";
import { docsRouter } from "./docs.ts";
import { type MountOptions, mountRouteTable, sendProblem } from "./mount.ts";
import type { SyncRoute } from "./route.ts";

/** body-parser's errors, by its `type`, as the client should read them. */
const BODY_ERRORS: Readonly<Record<string, string>> = {
  "entity.parse.failed": BODY_PROBLEM_DETAIL.invalidJson,
  "entity.too.large": BODY_PROBLEM_DETAIL.tooLarge,
  "encoding.unsupported": "The body's encoding is not supported",
  "charset.unsupported": "The body's charset is not supported",
};

/**
 * The Express app one worker serves: request ids and logging, JSON bodies up to the limit, the
 * route table, then problem+json for everything that goes wrong.
 */
/** How the worker around the app takes part in its requests. */
export interface AppHooks {
  /** While true, every answer carries `Connection: close`, so clients move to other workers. */
  readonly isDraining?: () => boolean;
  readonly onHandlerStart?: MountOptions["onHandlerStart"];
  readonly onResponseFinished?: () => void;
}

export function createApp(
  settings: SyncApiSettings,
  routes: readonly SyncRoute[],
  logger: Logger,
  hooks: AppHooks = {},
): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // X-Forwarded-For/-Proto count only from the proxy hop; `req.ip` is then the client's address.
  app.set("trust proxy", settings.http.trustProxy);

  app.use((_req: Request, res: Response, next: NextFunction) => {
    if (hooks.isDraining?.()) res.setHeader("connection", "close");
    if (hooks.onResponseFinished) res.once("finish", hooks.onResponseFinished);
    next();
  });

  // One JSON line per request, carrying the request id; the id is echoed to the client too.
  app.use(
    pinoHttp({
      logger,
      // Every line logged for a request carries `reqId`, named as in async-api's logs.
      quietReqLogger: true,
      customAttributeKeys: { reqId: "reqId" },
      // The client's address as `trust proxy` resolves it, beside the socket's (the proxy's).
      serializers: { req: (req: { raw: Request } & Record<string, unknown>) => ({ ...req, ip: req.raw.ip }) },
      genReqId: (req, res) => {
        const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
        res.setHeader(REQUEST_ID_HEADER, id);
        return id;
      },
    }),
  );
  app.use(express.json({ limit: settings.http.bodyLimitBytes, type: ["application/json", "application/*+json"] }));

  const router = express.Router();
  mountRouteTable(router, routes, {
    responseValidation: settings.http.responseValidation,
    ...(hooks.onHandlerStart ? { onHandlerStart: hooks.onHandlerStart } : {}),
  });
  app.use(router);
  app.use(docsRouter(openApiDocument({ asyncPrefix: settings.asyncPrefix })));

  app.use((req: Request, res: Response) => {
    sendProblem(req, res, problem({ status: 404, detail: `No route for ${req.method} ${req.path}` }));
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const answer = answerForError(error, {
      exposeErrors: settings.http.exposeErrors,
      // body-parser's errors, by their `type`, in the words async-api uses too.
      clientDetail: (e) => BODY_ERRORS[String((e as { type?: unknown }).type)],
    });
    if (answer.unexpected) req.log.error({ err: error }, "unhandled error");
    res.set(answer.headers);
    sendProblem(req, res, answer.body);
  });
  return app;
}
