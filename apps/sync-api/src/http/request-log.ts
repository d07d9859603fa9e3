import { type AccessLogLevel, REQUEST_ID_HEADER, requestIdFrom } from "@repo/contracts";
import type { Express as ExpressApp, NextFunction, Request, Response } from "express";
import type { Logger } from "pino";

// Express's way to add to its Request type: the global `Express.Request` interface it extends.
declare global {
  namespace Express {
    interface Request {
      /** The request id: the client's `X-Request-ID` if sane, otherwise made here. */
      id: string;
      /** A logger whose lines carry `reqId`, made the first time it is used. */
      readonly log: Logger;
      /** The level of this request's access line, set by the route that answers it. */
      accessLogLevel?: AccessLogLevel;
    }
  }
}

const childLogger = Symbol("childLogger");

/**
 * Request ids and access logging, by hand rather than with pino-http, which makes two child
 * loggers per request and serialises the request into one before the handler runs: in a profile
 * of `GET /healthz` that was a quarter of a worker's time. Here a request costs its id, one
 * listener and, when it is done, one log line with the same fields async-api logs. The metrics
 * (`hooks`) ride on that listener rather than add their own.
 */
export interface RequestHooks {
  /** As the request arrives (the metrics' requests in flight). */
  readonly onStart?: () => void;
  /** When its response is done or the client left: from the same listener as the access line. */
  readonly onDone?: (req: Request, res: Response, startedAt: number) => void;
}

export function requestLogging(app: ExpressApp, logger: Logger, { onStart, onDone }: RequestHooks = {}) {
  // `req.log` is made on first use only: most requests never log anything but their access line.
  Object.defineProperty(app.request, "log", {
    get(this: Request & { [childLogger]?: Logger }) {
      this[childLogger] ??= logger.child({ reqId: this.id });
      return this[childLogger];
    },
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    req.id = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    const started = performance.now();
    onStart?.();
    res.once("close", () => {
      onDone?.(req, res, started);
      const failed = res.statusCode >= 500;
      const level: "error" | AccessLogLevel = failed ? "error" : (req.accessLogLevel ?? "info");
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        // `req` and `res` as the shared serializers show them: method, URL, client address, status.
        { reqId: id, req, res, responseTime: Math.round((performance.now() - started) * 100) / 100 },
        !res.writableFinished ? "request aborted" : failed ? "request errored" : "request completed",
      );
    });
    next();
  };
}
