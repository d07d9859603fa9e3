/**
 * OpenTelemetry traces (docs/observability.md, "Traces"), with real parts: real nginx on the infra
 * template in front of both apps from source, each exporting its spans as OTLP/HTTP JSON to a
 * receiver in this test. One request with a `traceparent` is one trace from nginx to sync-api,
 * through async-api's undici call, and both apps' access lines name it. With tracing off (the
 * default), no OpenTelemetry module is loaded and no call carries a `traceparent`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type AppProcess,
  ASYNC_PREFIX,
  freePort,
  type NginxProcess,
  nginxInFront,
  nginxMissing,
  runsHere,
  startApp,
  stopAll,
  testDatabaseUrl,
  waitForHttp,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";

/** A span as OTLP/JSON gives it, with the service that sent it. */
interface ReceivedSpan {
  readonly service: string;
  /** The instrumentation that made it. */
  readonly scope: string;
  readonly name: string;
  /** OTLP's SpanKind: 2 server, 3 client. */
  readonly kind: number;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
}

interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { scope?: { name?: string }; spans?: Omit<ReceivedSpan, "service" | "scope">[] }[];
  }[];
}

const SERVER = 2;
const CLIENT = 3;

/** An OTLP/HTTP receiver: every span POSTed to /v1/traces as JSON. */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport;
        for (const resourceSpans of body.resourceSpans ?? []) {
          const service =
            resourceSpans.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "";
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? [])
              spans.push({ ...span, service, scope: scope.scope?.name ?? "", parentSpanId: span.parentSpanId ?? "" });
          }
        }
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

/** A stand-in for sync-api: answers /readyz, keeping each request's headers. */
async function startStandIn(): Promise<{ port: number; seen: IncomingHttpHeaders[]; server: Server }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(200, { "content-type": "application/json" }).end('{"status":"ready"}');
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { port: (server.address() as AddressInfo).port, seen, server };
}

/** Polls `check` until it holds; fails naming `what` (what was seen) after `timeoutMs`. */
async function until(check: () => boolean, what: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The JSON lines of an app's output. */
function logLines(app: AppProcess): Record<string, unknown>[] {
  return app
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const servers: Server[] = [];
const nginxes: NginxProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(nginxes.splice(0).map((nginx) => nginx.stop("SIGQUIT")));
  await stopAll();
  for (const server of servers.splice(0)) server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const withNginx = describe.skipIf(!runsHere("traces through nginx", nginxMissing()));

withNginx("tracing on", () => {
  it("one traceparent sent through nginx is one trace: async-api's server span, its undici call, sync-api's Express span; both access lines name it", async () => {
    const receiver = await startReceiver();
    servers.push(receiver.server);
    const dir = mkdtempSync(join(tmpdir(), "tracing-"));
    dirs.push(dir);
    const otel = {
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
      OTEL_BSP_SCHEDULE_DELAY: "50",
    };
    const [syncPort, asyncPort] = await Promise.all([freePort(), freePort()]);
    const sync = startApp("sync-api", {
      env: {
        ...otel,
        SYNC_API_TRACING__ENABLED: "true",
        SYNC_API_PORT: String(syncPort),
        SYNC_API_WORKERS: "1",
        SYNC_API_DATABASE__URL: testDatabaseUrl(dir),
        SYNC_API_LOG__LEVEL: "debug",
      },
    });
    const async = startApp("async-api", {
      env: {
        ...otel,
        ASYNC_API_TRACING__ENABLED: "true",
        ASYNC_API_PORT: String(asyncPort),
        SYNC_API_PORT: String(syncPort),
        ASYNC_API_LOG__LEVEL: "debug",
      },
    });
    const syncUrl = `http://127.0.0.1:${syncPort}`;
    const asyncUrl = `http://127.0.0.1:${asyncPort}`;
    await waitForHttp(`${syncUrl}/healthz`, { abortIf: sync.exitReason });
    await waitForHttp(`${asyncUrl}${ASYNC_PREFIX}/healthz`, { abortIf: async.exitReason });
    const { url, nginx } = await nginxInFront({ syncUrl, asyncUrl } as Parameters<typeof nginxInFront>[0]);
    nginxes.push(nginx);

    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const sentSpanId = "00f067aa0ba902b7";
    const response = await fetch(`${url}${ASYNC_PREFIX}/status`, {
      headers: { traceparent: `00-${traceId}-${sentSpanId}-01` },
    });
    expect(response.status).toBe(200);

    const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
    const syncServer = () => inTrace().find((s) => s.service === "sync-api" && s.kind === SERVER);
    await until(
      () => syncServer() !== undefined && inTrace().some((s) => s.service === "async-api" && s.kind === SERVER),
      () => `the trace's spans (received: ${JSON.stringify(receiver.spans)})`,
    );
    const spans = inTrace();
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const asyncServer = spans.find((s) => s.service === "async-api" && s.kind === SERVER);
    expect(asyncServer?.parentSpanId).toBe(sentSpanId);
    // sync-api's server span's parent is async-api's undici client span, a descendant of
    // async-api's server span.
    const client = byId.get(syncServer()?.parentSpanId ?? "");
    expect(client).toMatchObject({ service: "async-api", kind: CLIENT });
    let ancestor = client;
    while (ancestor && ancestor.spanId !== asyncServer?.spanId) ancestor = byId.get(ancestor.parentSpanId);
    expect(ancestor, "the client span descends from async-api's server span").toBeDefined();
    // Express's instrumentation patched Express, imported as ESM: its spans are in the trace.
    expect(
      spans.filter((s) => s.service === "sync-api" && s.parentSpanId === syncServer()?.spanId).map((s) => s.name),
    ).toContainEqual(expect.stringMatching(/^(middleware|request handler) - /));

    // @fastify/otel's spans (buildApp registered its plugin) are in the trace too.
    expect(spans.some((s) => s.service === "async-api" && s.scope === "@fastify/otel")).toBe(true);

    // The access lines (each app's line for a request with its `res`).
    await until(
      () =>
        [sync, async].every((app) => logLines(app).some((line) => line.res !== undefined && line.trace_id === traceId)),
      () => `access lines with trace_id ${traceId}:\n${sync.output()}\n${async.output()}`,
    );
    // A line outside any request has no trace fields.
    expect(logLines(async).filter((line) => line.res === undefined && line.trace_id !== undefined)).toEqual([]);
  });
});

describe("tracing off (the default)", () => {
  it("loads no OpenTelemetry module, in async-api nor in sync-api's supervisor and worker, and adds no traceparent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tracing-off-"));
    dirs.push(dir);
    const standIn = await startStandIn();
    servers.push(standIn.server);
    const recorder = pathToFileURL(join(import.meta.dirname, "support/loaded-modules.ts")).href;
    const [syncPort, asyncPort] = await Promise.all([freePort(), freePort()]);
    const loaded = { sync: join(dir, "sync-modules"), async: join(dir, "async-modules") };
    const sync = startApp("sync-api", {
      env: {
        NODE_OPTIONS: `--import=${recorder}`,
        REPO_TESTING_LOADED_MODULES: loaded.sync,
        SYNC_API_PORT: String(syncPort),
        SYNC_API_WORKERS: "1",
        SYNC_API_DATABASE__URL: testDatabaseUrl(dir),
        SYNC_API_LOG__LEVEL: "fatal",
      },
    });
    const async = startApp("async-api", {
      env: {
        NODE_OPTIONS: `--import=${recorder}`,
        REPO_TESTING_LOADED_MODULES: loaded.async,
        ASYNC_API_PORT: String(asyncPort),
        SYNC_API_PORT: String(standIn.port),
        ASYNC_API_LOG__LEVEL: "fatal",
      },
    });
    await waitForHttp(`http://127.0.0.1:${syncPort}/healthz`, { abortIf: sync.exitReason });
    await waitForHttp(`http://127.0.0.1:${asyncPort}${ASYNC_PREFIX}/healthz`, { abortIf: async.exitReason });
    const status = await fetch(`http://127.0.0.1:${asyncPort}${ASYNC_PREFIX}/status`, {
      headers: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    expect(status.status).toBe(200);
    expect(standIn.seen.length).toBeGreaterThan(0);
    for (const headers of standIn.seen) expect(headers.traceparent).toBeUndefined();

    for (const file of [loaded.sync, loaded.async]) {
      const modules = readFileSync(file, "utf8")
        .split("\n")
        .map((line) => line.split(" ") as [url: string, importer: string]);
      // The recorder saw the apps' own modules (Express's and Fastify's)…
      expect(modules.some(([url]) => /\/node_modules\/(express|fastify)\//.test(url))).toBe(true);
      // …and nothing of OpenTelemetry's: no SDK, no instrumentation, no loader hook. The one
      // exception is the API alone (no-op without an SDK, patching nothing), which the metrics
      // library (@prometheus-io/client) requires for its exemplars; nothing of ours imports it.
      const otel = modules.filter(([url]) => /@opentelemetry|@fastify\/otel|import-in-the-middle/.test(url));
      const api = (url: string) => url.includes("/node_modules/@opentelemetry/api/");
      expect(otel.filter(([url]) => !api(url))).toEqual([]);
      expect(
        otel.filter(([url, importer]) => api(url) && !api(importer) && !importer.includes("/@prometheus-io/client/")),
      ).toEqual([]);
    }
  });
});
