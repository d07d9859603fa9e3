/**
 * async-api's request logging: one line per request when it completes, and each request's logger,
 * made only when something is written through it.
 */
import type { AccessLogLevel } from "@repo/contracts";
import {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import type { Bindings, ChildLoggerOptions, Level, LevelWithSilentOrString, Logger } from "pino";

declare module "fastify" {
  interface FastifyRequest {
    /** The level of the request's access line when its route lowers it (probes, polls): set by the route. */
    accessLogLevel: AccessLogLevel | undefined;
  }
}

/** Declares the request property the routes set (before any route is registered). */
export function decorateAccessLogLevel(app: { decorateRequest(name: "accessLogLevel", value: undefined): unknown }) {
  app.decorateRequest("accessLogLevel", undefined);
}

/**
 * One log line per request, when it completes, in the same shape as sync-api's: the request id
 * (bound to `reply.log`), method, URL and client address, status, and time taken. A route's
 * contract may lower its line to `debug` (probes, polls).
 */
export class OneLinePerRequest extends LogController {
  constructor() {
    super({ requestIdLogLabel: "reqId" });
  }
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null, request: FastifyRequest, reply: FastifyReply): void {
    const failed = Boolean(error) || reply.statusCode >= 500;
    // The route's level is a property its own code set: `request.routeOptions` builds an object on each read.
    const level = failed ? "error" : (request.accessLogLevel ?? "info");
    const log = reply.log as RequestLogger;
    if (!log.isLevelEnabled(level)) return;
    // `req` and `res` as the shared serializers show them: method, URL, client address, status.
    const fields = {
      req: request,
      res: reply,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
      ...(error ? { err: error } : {}),
    };
    log[level](fields, failed ? "request errored" : "request completed");
  }
}

/**
 * Fastify's `childLoggerFactory`: each request's logger, bound to its id. A pino child made for
 * every request (its bindings serialized, an object for the collector) was a measured share of a
 * request's cost, and most requests write nothing (a probe's access line is at `debug`); so the
 * child is made on the first line written through it. Options (a route's `logLevel`) make it at once.
 */
export const requestLogger: NonNullable<FastifyServerOptions["childLoggerFactory"]> = (logger, bindings, options) => {
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  return new RequestLogger(logger as Logger, bindings) as unknown as FastifyBaseLogger;
};

type Write = (...args: unknown[]) => void;

/** What Fastify and the routes use of a request's logger, with pino's child made only on a write. */
export class RequestLogger {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #logger(): Logger {
    this.#child ??= this.#parent.child(this.#bindings);
    return this.#child;
  }

  #write(level: Level, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.#logger()[level] as Write)(...args);
  }

  get level(): LevelWithSilentOrString {
    return (this.#child ?? this.#parent).level;
  }
  set level(level: LevelWithSilentOrString) {
    this.#logger().level = level;
  }
  isLevelEnabled(level: LevelWithSilentOrString): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }
  bindings(): Bindings {
    return { ...this.#parent.bindings(), ...this.#bindings };
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.#logger().child(bindings, options);
  }
  fatal(...args: unknown[]): void {
    this.#write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.#write("error", args);
  }
  warn(...args: unknown[]): void {
    this.#write("warn", args);
  }
  info(...args: unknown[]): void {
    this.#write("info", args);
  }
  debug(...args: unknown[]): void {
    this.#write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.#write("trace", args);
  }
  silent(): void {}
}
