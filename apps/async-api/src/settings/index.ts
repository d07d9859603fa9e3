/**
 * async-api's settings stack: the ordered list of layers (docs/settings.md). Later
 * layers win; the merged result is validated once by `asyncApiSchema`. `pnpm settings async-api`
 * prints every resolved value with the layer it came from.
 */
import { availableParallelism } from "node:os";
import { rateLimitRoutesCheck } from "@repo/contracts";
import {
  byEnvironment,
  defineSettings,
  dotenvFiles,
  envVars,
  isPostgresUrl, // #example
  jsonFile,
  type LayerSource,
  layer,
  type Resolution,
  type Settings,
  secret,
  sharedLayers,
  sharedSchema,
  targetOf,
  testRoutesOnlyUnderTest,
} from "@repo/shared-settings";
import { z } from "zod";

/** An HTTP header's name, as undici sends it. */
const HEADER_NAME = z.string().regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, "a lower-case header name");

/** The route tables async-api can serve (src/routes/index.ts); the `routeTable` setting picks one. */
export const ROUTE_TABLES = ["main", "test"] as const;

export const asyncApiSchema = sharedSchema.extend({
  /** Which route table to serve: Django's ROOT_URLCONF. `test` adds test-only routes. */
  routeTable: z.enum(ROUTE_TABLES),
  /** The undici client every outbound call goes through. */
  outbound: z.strictObject({
    connectTimeoutMs: z.int().positive(),
    /** Per call, headers and body each: a slower upstream is a timeout (504). */
    requestTimeoutMs: z.int().positive(),
    /** Keep-alive connections kept per upstream origin. */
    connections: z.int().positive(),
    /**
     * Retries of idempotent calls (GET, HEAD, OPTIONS, PUT, DELETE; never POST or PATCH) that found
     * no connection or got 429, 502, 503 or 504: waits up to `baseDelayMs` × 2^n, at random
     * (jitter), `Retry-After` believed up to `maxDelayMs`. All within `requestTimeoutMs`.
     */
    retry: z.strictObject({
      /** 0 turns retries off. */
      maxRetries: z.int().min(0).max(10),
      baseDelayMs: z.int().positive(),
      maxDelayMs: z.int().positive(),
    }),
    /** A circuit breaker per upstream (src/outbound/breaker.ts). */
    breaker: z.strictObject({
      /** Calls in a row that failed (timeout, no connection, 5xx) to open it; 0 turns it off. */
      failures: z.int().min(0),
      /** How long calls fail at once before one trial call is let through. */
      openMs: z.int().positive(),
    }),
  }),
  /**
   * The services async-api calls, by name (docs/settings.md, "Upstreams"): a base URL, the path
   * that tells its status, and whether `/async/status` asks it (`status`, default true). Each
   * layer merges into the entries before it; `null` removes an entry (`ASYNC_API_UPSTREAMS=
   * '{"weather":null}'`). The development URL goes in this app's layer below, another
   * environment's in `byEnvironment` or in that environment's `ASYNC_API_UPSTREAMS`.
   */
  upstreams: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "a lower-case name"),
      z
        .strictObject({
          url: z.url(),
          statusPath: z.string().startsWith("/"),
          /** Asked by `/async/status`, whose answer is a 502 or 504 when it is down. */
          status: z.boolean().default(true),
          /** Sent with every call to it (an API version, say); secret ones go in `upstreamSecrets`. */
          headers: z.record(HEADER_NAME, z.string()).default({}),
        })
        .nullable(),
    )
    .transform((entries) => withoutRemoved(entries)),
  /**
   * Secret headers per upstream (an API key, a bearer token): `{"weather":{"x-api-key":"…"}}`,
   * best from a file, `ASYNC_API_UPSTREAM_SECRETS_FILE=/run/secrets/upstream_secrets`. Never
   * printed, and censored in the logs.
   */
  upstreamSecrets: secret(z.record(z.string(), z.record(HEADER_NAME, z.string()))),
  // #region example
  /** Where note changes come from (sync-api's outbox feed), and how they are relayed. */
  noteEvents: z.strictObject({
    /** The upstream whose `/note-events` feed is polled. */
    upstream: z.string(),
    pollIntervalMs: z.int().positive(),
    /**
     * PostgreSQL (sync-api's database): a URL, `postgres://user:password@host:5432/name`, on which
     * the relay LISTENs for the NOTIFY each note change sends as it commits, and reads the feed at
     * once instead of at its next poll. Empty, or a file's path (what sync-api's `database.url`
     * holds on SQLite, so that both apps may read one secret): polling only. Secret: the URL
     * carries the password (`ASYNC_API_NOTE_EVENTS__LISTEN_URL_FILE` reads it from a file).
     */
    listenUrl: secret(
      z.string().refine(
        // A server named, and a URL that parses (anything at all after `postgres://`).
        (url) => !url.includes("://") || (isPostgresUrl(url) && /:\/\/./.test(url) && URL.canParse(url)),
        "a postgres:// URL; empty, or a file's path, for polling only",
      ),
    ),
    /** The poll interval while that connection listens: a safety net only, so a long one. */
    listeningPollIntervalMs: z.int().positive(),
    /** Recent events kept for Last-Event-ID resume without asking the upstream. */
    bufferSize: z.int().positive(),
    /** Events per read of the feed; a stream further behind than the buffer reads one page at a time. */
    pageSize: z.int().min(1).max(1_000),
  }),
  sse: z.strictObject({
    /** A comment line this often keeps proxies and clients from timing the stream out. */
    heartbeatIntervalMs: z.int().positive(),
    /**
     * Bytes of events given to a client at once: the next ones are read (from the buffer or the
     * feed) only once it has taken them, so a client that does not read holds at most this much.
     */
    maxQueuedBytes: z.int().positive(),
  }),
  websocket: z.strictObject({
    /** Larger messages close the connection with 1009. */
    maxMessageBytes: z.int().positive(),
    /** A ping this often; a client that has not answered the previous one is dropped. */
    pingIntervalMs: z.int().positive(),
    /** Bytes of messages waiting unsent for a client; past this it is closed with 1008. */
    maxQueuedBytes: z.int().positive(),
  }),
  /** Both streams, SSE and WebSocket together. */
  streams: z.strictObject({
    /**
     * Bytes all of this process's streams may hold unsent; a stream that would pass it is dropped
     * (it can resume). Keeps many slow readers from taking the process's memory.
     */
    maxQueuedBytes: z.int().positive(),
    /**
     * Streams one client (the address the app trusts) may hold open at once; past it, a 429
     * problem (src/streams/stream-limits.ts).
     */
    maxPerClient: z.int().positive(),
  }),
  // #endregion example
  /** The event loop's guard and delay monitor (src/http/event-loop.ts). */
  eventLoop: z.strictObject({
    /**
     * asyncio's `slow_callback_duration`: a handler whose synchronous stretch (from its call to
     * its first `await`) takes longer is logged with its route and request id. 0 turns it off.
     */
    blockWarnMs: z.int().min(0),
    /** The window over which readiness reports the loop's delay (p50, p99, max). */
    delayWindowMs: z.int().positive(),
    /** Readiness answers 503 while the last window's p99 delay is above this: load shedding. 0 turns it off. */
    maxDelayMs: z.int().min(0),
  }),
  /**
   * Combined mode (`pnpm start:combined`, apps/combined): this server also serves sync-api's
   * routes, its handlers on a pool of worker threads. Read only in combined mode.
   */
  combined: z.strictObject({
    /** Combined mode's one port: the public entry, where the proxy would otherwise listen. */
    port: z.int().min(0).max(65_535),
    /** Worker threads running sync handlers, each with its own resources (database connection). */
    threads: z.int().min(1).max(512),
    /** Sync requests waiting for a thread; past this they are answered 503 with Retry-After. */
    maxQueue: z.int().min(0),
    /**
     * A sync handler still running after this is answered 504 and its thread replaced (a thread
     * cannot be interrupted, as the cluster's worker timeout replaces a process). 0 turns it off.
     */
    taskTimeoutMs: z.int().min(0),
    /**
     * `pool` (the mode): sync handlers on the threads. `inline`: on the event loop itself, the naive
     * monolith that blocks every stream while one runs, for the benchmark's comparison only.
     */
    syncHandlers: z.enum(["pool", "inline"]),
  }),
});

/** The upstream entries a layer did not remove (`null`). */
function withoutRemoved<T>(entries: Record<string, T | null>): Record<string, T> {
  return Object.fromEntries(Object.entries(entries).filter((entry): entry is [string, T] => entry[1] !== null));
}

/** A problem for each key (`[key, upstream name]`) that names an upstream the settings lack. */
function unknownUpstreams(
  settings: Pick<z.output<typeof asyncApiSchema>, "upstreams">,
  references: readonly (readonly [key: string, name: string])[],
) {
  const names = Object.keys(settings.upstreams).join(", ");
  return references
    .filter(([, name]) => !settings.upstreams[name])
    .map(([key]) => ({ key, message: `names no upstream; the upstreams are ${names}` }));
}

/**
 * sync-api beside async-api on one machine, as `pnpm dev` and `pnpm start` run them: the `sync-api`
 * upstream follows sync-api's own SYNC_API_PORT and SYNC_API_HOST, so that moving sync-api moves
 * what async-api calls. The one place async-api reads another app's variables; a deployment that
 * runs them apart names the URL in ASYNC_API_UPSTREAMS, a later layer, which wins.
 */
function syncApiBeside(): LayerSource {
  return ({ env }) => {
    const port = env.SYNC_API_PORT;
    if (!port || !/^\d{1,5}$/.test(port)) return { layers: [], problems: [] };
    const url = targetOf({ host: env.SYNC_API_HOST || "127.0.0.1", port: Number(port) });
    return {
      layers: [layer("env SYNC_API_PORT (sync-api beside this app)", { upstreams: { "sync-api": { url } } })],
      problems: [],
    };
  };
}

/** This app's folder (src/settings/ and dist/settings/ are both two levels down). */
const appDir = new URL("../../", import.meta.url);

export const asyncApiSettings = defineSettings({
  app: "async-api",
  envPrefix: "ASYNC_API_",
  // Combined mode's one port is the public entry, where the proxy listens otherwise: PORT moves it.
  envAliases: { PORT: ["combined", "port"] },
  schema: asyncApiSchema,
  layers: [
    // 1. the shared components (server, logging, http, routing, security), 2. what NODE_ENV changes in them
    ...sharedLayers(),
    // 3. this app's own layer, and what NODE_ENV changes in it
    layer("async-api", {
      port: 3002,
      // The port after sync-api's 9464, so both apps' metrics listen side by side on one machine.
      metrics: { port: 9465 },
      routeTable: "main",
      outbound: {
        connectTimeoutMs: 2_000,
        requestTimeoutMs: 5_000,
        connections: 16,
        retry: { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1_000 },
        breaker: { failures: 5, openMs: 5_000 },
      },
      upstreams: { "sync-api": { url: "http://127.0.0.1:3001", statusPath: "/readyz" } },
      upstreamSecrets: {},
      // #region example
      noteEvents: {
        upstream: "sync-api",
        pollIntervalMs: 500,
        listenUrl: "",
        listeningPollIntervalMs: 30_000,
        bufferSize: 1_000,
        pageSize: 100,
      },
      sse: { heartbeatIntervalMs: 15_000, maxQueuedBytes: 512 * 1024 },
      websocket: { maxMessageBytes: 16_384, pingIntervalMs: 30_000, maxQueuedBytes: 512 * 1024 },
      streams: { maxQueuedBytes: 64 * 1024 * 1024, maxPerClient: 32 },
      // #endregion example
      eventLoop: { blockWarnMs: 100, delayWindowMs: 5_000, maxDelayMs: 0 },
      combined: {
        port: 8080,
        threads: availableParallelism(),
        maxQueue: 256,
        taskTimeoutMs: 30_000,
        syncHandlers: "pool",
      },
    }),
    syncApiBeside(),
    byEnvironment("async-api", {
      development: {},
      // Off under test, where many instances run at once: a test that wants metrics gives a free port.
      test: { routeTable: "test", metrics: { port: 0 } },
      production: {},
    }),
    // 4. the developer's own, git-ignored file (see settings.local.example.json)
    jsonFile(new URL("settings.local.json", appDir), { optional: true, name: "settings.local.json" }),
    // 5. .env files in this folder, then ASYNC_API_* variables, last
    dotenvFiles(appDir),
    envVars(),
  ],
  checks: [
    testRoutesOnlyUnderTest,
    rateLimitRoutesCheck("async"),
    (settings) =>
      unknownUpstreams(
        settings,
        Object.keys(settings.upstreamSecrets).map((name) => [`upstreamSecrets.${name}`, name]),
      ),
    // #region example
    (settings) => unknownUpstreams(settings, [["noteEvents.upstream", settings.noteEvents.upstream]]),
    // #endregion example
  ],
});

export type AsyncApiSettings = Settings<typeof asyncApiSchema>;

/** 127.0.0.0/8, localhost and ::1: an address that is this machine wherever the app runs. */
const LOOPBACK_HOST = /^(127(\.\d{1,3}){3}|localhost|\[::1\])$/i;

/**
 * The upstreams whose URL is a loopback address only because a layer in the code says so (the
 * app's own, development URL; a generated upstream's `http://127.0.0.1:4000`), not a variable a
 * deployment set: under production, calls that reach nothing, or the wrong thing. A warning each
 * at start-up names the key and where the URL came from.
 */
export function loopbackUpstreamWarnings(resolution: Resolution<typeof asyncApiSchema>): string[] {
  if (!resolution.ok) return [];
  return Object.entries(resolution.settings.upstreams).flatMap(([name, { url }]) => {
    const source = resolution.sources.get(`upstreams.${name}.url`) ?? "";
    // A variable (`env ASYNC_API_UPSTREAMS`, `.env ASYNC_API_UPSTREAMS`) is the deployment's own choice.
    const fromVariable = source.startsWith("env ") || /\s(ASYNC|SYNC)_API_\w+$/.test(source);
    if (fromVariable || !LOOPBACK_HOST.test(new URL(url).hostname)) return [];
    return [
      `upstreams.${name}.url is ${url} (from ${source}), a loopback address, under production: set the URL this deployment calls in ${asyncApiSettings.variable(["upstreams"])}`,
    ];
  });
}
