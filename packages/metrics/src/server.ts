import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "@prometheus-io/client";
import { listenFailure } from "@repo/shared-settings";

/** What a scrape answers: the exposition text and its content type (the registry's). */
export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

/** A single process's exposition: its registry as it is now. */
export function registryExposition(registry: Registry): () => Promise<Exposition> {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}

export interface MetricsServer {
  readonly server: Server;
  /** Where it listens (the port the OS chose, when given 0). */
  readonly port: number;
  close(): Promise<void>;
}

export const METRICS_PATH = "/metrics";

/**
 * The metrics listener: `GET /metrics` (and HEAD) on a port of its own, never the app's, so no
 * proxy in front of the app can expose it; a 404 problem for every other path, a 405 for other
 * methods. `collect` runs once per scrape. Resolves once listening; rejects with the listen
 * error (EADDRINUSE…), for the caller to name its setting.
 */
export function serveMetrics({
  host,
  port,
  collect,
  onError,
}: {
  readonly host: string;
  readonly port: number;
  readonly collect: () => Promise<Exposition>;
  /** A scrape that failed (its answer is a 500): for the app's log. */
  readonly onError?: (error: unknown) => void;
}): Promise<MetricsServer> {
  const server = createServer((req, res) => void answer(req, res, collect, onError));
  // A scrape is one short request: nothing else should hold the listener open.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  collect: () => Promise<Exposition>,
  onError?: (error: unknown) => void,
): Promise<void> {
  const path = (req.url ?? "/").split("?", 1)[0];
  if (path !== METRICS_PATH)
    return problem(res, 404, `No route for ${req.method} ${path}; metrics are at ${METRICS_PATH}`);
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return problem(res, 405, `${req.method} is not allowed here; use GET, HEAD`);
  }
  try {
    const { contentType, body } = await collect();
    res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
  } catch (error) {
    onError?.(error);
    problem(res, 500, "Collecting the metrics failed");
  }
}

/** An RFC 9457 problem, as the apps answer theirs (without a request id: nothing here is logged per request). */
function problem(res: ServerResponse, status: 404 | 405 | 500, detail: string): void {
  const titles = { 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error" };
  res.writeHead(status, { "content-type": "application/problem+json" });
  res.end(JSON.stringify({ type: "about:blank", title: titles[status], status, detail }));
}

/** What `serveScrapes` logs with: pino's shape. */
interface ScrapeLog {
  error(object: object, message: string): void;
  error(message: string): void;
  debug(object: object, message: string): void;
}

/**
 * An app's metrics listener: `serveMetrics`, and a port it cannot have is one error line (a known
 * cause worded by `listenFailure`, naming the app's variables for its host and metrics port) while the app serves on without it: the API's
 * availability does not hang on its telemetry (Prometheus's `up` says the target is down), and
 * several instances on one machine (the bench's) do not stop each other. Undefined when not listening.
 */
export async function serveScrapes({
  host,
  port,
  collect,
  log,
  variables,
}: {
  readonly host: string;
  readonly port: number;
  readonly collect: () => Promise<Exposition>;
  readonly log: ScrapeLog;
  /** The app's variables for `host` and `metrics.port`, as a failure names them. */
  readonly variables: { readonly host: string; readonly port: string };
}): Promise<MetricsServer | undefined> {
  try {
    const server = await serveMetrics({
      host,
      port,
      collect,
      onError: (error) => log.error({ err: error }, "metrics scrape failed"),
    });
    log.debug({ host, port: server.port }, "metrics listening");
    return server;
  } catch (error) {
    const known = listenFailure(error, { host, port, variables });
    if (known) log.error(`metrics: ${known}; serving without metrics meanwhile`);
    else log.error({ err: error }, "metrics cannot listen; serving without metrics meanwhile");
    return undefined;
  }
}
