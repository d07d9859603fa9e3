import { createRequire } from "node:module";
import { type Logger, pino } from "pino";
import sonicBoom from "sonic-boom";
import { z } from "zod";
import { withoutAccessToken } from "../access-token.ts";
import { layer } from "../layer.ts";

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const loggingSchema = {
  log: z.strictObject({
    level: z.enum(LOG_LEVELS),
    /**
     * `json`: one JSON object per line, for machines (production, tests). `pretty`: one short,
     * coloured line per entry, for a developer's terminal (pino-pretty, loaded only then).
     */
    format: z.enum(["json", "pretty"]),
  }),
};

export const loggingLayer = layer("shared/logging", {
  log: { level: "info", format: "json" },
});

/**
 * Readable while developing (`info`: probes and polls log at `debug`, so an idle `pnpm dev` is
 * quiet), quiet in tests (they read logs at the level they ask for).
 */
export const loggingByEnvironment = {
  development: { log: { level: "info", format: "pretty" } },
  test: { log: { level: "warn" } },
  production: { log: { level: "info" } },
};

/** A request as both apps' frameworks give it: Node's, Express's or Fastify's. */
interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  /** Express: the URL as received, before routers rewrote `url`. */
  readonly originalUrl?: string;
  /** The client's address as the framework's `trust proxy` resolved it. */
  readonly ip?: string;
  readonly socket?: { readonly remoteAddress?: string };
}

/**
 * What a log line shows of a request and a response, in every app: method, URL, client address,
 * status. Never headers, so no credential or cookie reaches a log through them.
 */
export const logSerializers = {
  req: (req: LoggedRequest) => ({
    method: req.method,
    url: withoutAccessToken(req.originalUrl ?? req.url),
    ip: req.ip ?? req.socket?.remoteAddress,
  }),
  res: (res: { readonly statusCode?: number }) => ({ statusCode: res.statusCode }),
};

/**
 * Where `@repo/tracing` leaves, once its SDK runs in this process, the function that gives a log
 * line its `trace_id` and `span_id` (the active span's). Read here, never imported: with tracing
 * off (the default) nothing of OpenTelemetry is loaded, and a log line costs nothing more.
 */
const TRACE_LOG_FIELDS = Symbol.for("@repo/tracing.logFields");

/**
 * pino's options for an app, from its `log` settings: the same shape of log line in every app.
 * `secrets` are the values of the settings marked secret: any log line that would contain one has
 * it replaced, whatever logged it and under whatever key. With tracing on (started before the
 * logger is made), each line within a span carries `trace_id` and `span_id` (pino's `mixin`).
 */
export function loggerOptions(
  name: string,
  log: { readonly level: (typeof LOG_LEVELS)[number] },
  secrets: readonly string[] = [],
) {
  // As they appear inside a JSON string (quotes and backslashes escaped).
  const censored = secrets.map((value) => JSON.stringify(value).slice(1, -1)).filter((value) => value !== "");
  const traceFields = (globalThis as { [TRACE_LOG_FIELDS]?: () => object })[TRACE_LOG_FIELDS];
  return {
    name,
    level: log.level,
    serializers: logSerializers,
    ...(traceFields ? { mixin: traceFields } : {}),
    ...(censored.length > 0
      ? {
          hooks: {
            streamWrite: (line: string) => censored.reduce((out, value) => out.replaceAll(value, "[redacted]"), line),
          },
        }
      : {}),
  };
}

/**
 * An app's logger: pino with `loggerOptions`, writing to stdout through a buffered destination:
 * lines collect in memory and go out together, 4 KiB at a time or every 100 ms, so a request's
 * line costs its handler no system call of its own; whatever is still buffered is written, in
 * order, at exit.
 */
export function createLogger(
  name: string,
  log: { readonly level: (typeof LOG_LEVELS)[number]; readonly format?: "json" | "pretty" },
  secrets: readonly string[] = [],
): Logger {
  return pino(loggerOptions(name, log, secrets), log.format === "pretty" ? prettyDestination() : stdoutDestination());
}

/**
 * A developer's terminal: pino-pretty in this process, writing synchronously (so exits keep every
 * line in order). An access line reads `GET /compute/primes 200 3.1 ms`; pid and host are left out.
 */
function prettyDestination(): NodeJS.WritableStream {
  // Loaded here only: production never loads pino-pretty.
  const pretty = createRequire(import.meta.url)("pino-pretty") as typeof import("pino-pretty");
  return pretty({
    destination: 1,
    sync: true,
    singleLine: true,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname,req,res,responseTime",
    messageFormat: (line: Record<string, unknown>, messageKey: string) => {
      const req = line.req as { method?: string; url?: string } | undefined;
      const res = line.res as { statusCode?: number } | undefined;
      if (!req?.method || !res) return String(line[messageKey] ?? "");
      return `${req.method} ${req.url} ${res.statusCode} ${line.responseTime} ms`;
    },
  });
}

// A CommonJS module: its class is a property of what it exports.
const { SonicBoom } = sonicBoom;

/**
 * Exits once the log lines written so far have reached stdout. Gives up after `timeoutMs`: a full
 * pipe nobody reads must not hold the exit.
 */
export function exitWhenLogged(logger: Logger, code: number, timeoutMs = 1_000): void {
  setTimeout(() => process.exit(code), timeoutMs).unref();
  logger.flush(() => process.exit(code));
}

/** Write errors that mean nobody reads the log any more: the reader exited, the fd was closed. */
const READER_GONE = new Set(["EPIPE", "EBADF", "ECONNRESET"]);

/** A buffer's worth: about 15 access lines. */
const BATCH_BYTES = 4_096;
/** The longest a line waits in the buffer when the app is quiet. */
const FLUSH_EVERY_MS = 100;

/**
 * stdout as a sonic-boom stream that never holds up the process's exit. Writes are synchronous
 * but batched: no write is ever in flight on another thread, so the exit flush writes every line
 * still buffered, in order (with asynchronous writes, a line in flight at exit could come out after
 * the ones queued behind it), and batching measured at least as fast as asynchronous writes.
 * pino's own destination flushes at exit too and, on a pipe whose reader has gone, retries that
 * write forever: a SIGTERM'd app would never exit. Here a dead reader turns logging off, and the
 * exit flush gives up at the first error, whatever it is.
 */
function stdoutDestination(): InstanceType<typeof SonicBoom> {
  const stream = new SonicBoom({ fd: 1, sync: true, minLength: BATCH_BYTES, periodicFlush: FLUSH_EVERY_MS });
  let readerGone = false;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (!READER_GONE.has(error.code ?? "")) throw error;
    readerGone = true;
    stream.write = () => true;
  });
  process.once("exit", () => {
    if (readerGone) return;
    try {
      stream.flushSync();
    } catch {
      // Nobody is left to read it.
    }
  });
  return stream;
}
