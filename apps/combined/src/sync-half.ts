/**
 * sync-api's half of the API on combined mode's Fastify server: every sync endpoint with the same
 * contract layer as async-api's own (validation, problems, request ids, access log), its handler
 * run on a pool thread (or, for the benchmark's naive monolith, inline on the event loop); and the
 * API reference, which sync-api serves in split mode.
 */

import { readFile } from "node:fs/promises";
import fastifyStatic from "@fastify/static";
import { type MountedEndpoint, mountEndpoints } from "@repo/async-api/mount";
import type { AsyncServerOptions, FeedReader } from "@repo/async-api/server";
import type { AsyncApiSettings } from "@repo/async-api/settings";
import { type HandlerResult, implementedEndpoints, type OpenApiDocument } from "@repo/contracts";
import type { RateLimitSettings } from "@repo/shared-settings";
import { API_REFERENCE } from "@repo/sync-api/docs";
import type { SyncRoute } from "@repo/sync-api/host";
import { WELCOME_DOCS_PATH, welcomeDocFile, welcomePage, welcomeToken } from "@repo/sync-api/welcome";
import type { SyncPool } from "./pool/sync-pool.ts";
import { handlerKey } from "./pool/task.ts";

/**
 * The sync endpoints, each answered by `pool` (or inline when there is no pool). Internal ones
 * are left out: this process is the public entry, with no proxy in front to refuse them (the
 * relay reads the feed through `feedReader` instead).
 */
export function syncEndpoints(routes: readonly SyncRoute[], pool: SyncPool | undefined): MountedEndpoint[] {
  return routes.flatMap(({ controller, handlers }) =>
    implementedEndpoints("sync", controller, handlers)
      .filter(({ endpoint }) => !endpoint.internal)
      .map(({ name, where, endpoint, security, handler }) => {
        if (!pool) return { where, endpoint, security, handler };
        const key = handlerKey(controller.name, name);
        return {
          where,
          endpoint,
          security,
          // Plain data crosses to the thread: the id, the validated parts and the principal (the
          // token was verified here, on the main thread), never the request.
          handler: ({ id, params, query, headers, body, principal }) =>
            pool.run({ handler: key, request: { id, params, query, headers, body, principal } }),
        };
      }),
  );
}

/**
 * The relay's feed reader in combined mode: `GET <self>/note-events?after=&limit=` answered by
 * the internal endpoint's handler itself (on the pool, or inline), never over the network.
 */
export function feedReader(routes: readonly SyncRoute[], pool: SyncPool | undefined): FeedReader {
  const feed = routes
    .flatMap(({ controller, handlers }) =>
      implementedEndpoints("sync", controller, handlers).map((e) => ({
        ...e,
        key: handlerKey(controller.name, e.name),
      })),
    )
    .find(({ endpoint }) => endpoint.internal && endpoint.method === "GET" && endpoint.path === "/note-events");
  if (!feed) throw new Error("combined: no internal GET /note-events in sync-api's route table for the relay");
  return {
    async getJson(url) {
      const started = performance.now();
      const search = new URL(url).searchParams;
      // The validated query the handler expects, as the contract's schema would give it.
      const query = feed.endpoint.query?.parse(Object.fromEntries(search)) ?? {};
      const request = { id: "note-events-relay", params: undefined, query, headers: undefined, body: undefined };
      try {
        const result = (await (pool
          ? pool.run({ handler: feed.key, request })
          : feed.handler(request))) as HandlerResult;
        const elapsedMs = Math.round(performance.now() - started);
        return {
          outcome: result.status === 200 ? "ok" : "failed",
          httpStatus: result.status,
          body: result.body,
          elapsedMs,
        };
      } catch (error) {
        const elapsedMs = Math.round(performance.now() - started);
        return { outcome: "unreachable", detail: error instanceof Error ? error.message : String(error), elapsedMs };
      }
    },
  };
}

/** The plugin that serves them, and the OpenAPI document and `/docs`, at the root. */
export function syncHalf(
  endpoints: readonly MountedEndpoint[],
  document: OpenApiDocument,
  settings: AsyncApiSettings,
  {
    welcome,
    apiReference,
    rateLimit,
  }: { readonly welcome: boolean; readonly apiReference: boolean; readonly rateLimit: RateLimitSettings },
): NonNullable<AsyncServerOptions["root"]> {
  const json = JSON.stringify(document);
  return (app, { guard, authenticate }) => {
    // The guard times the sync handlers too: inline, they are what blocks the event loop.
    // Counted here, on the main thread, before a task goes to the pool: one process, one count.
    mountEndpoints(app, endpoints, {
      responseValidation: settings.http.responseValidation,
      rateLimit,
      authenticate,
      ...(guard ? { guard } : {}),
    });
    if (apiReference) {
      app.get("/openapi.json", (_request, reply) => reply.type("application/json").send(json));
      app.get("/docs", (_request, reply) => reply.type("text/html; charset=utf-8").send(API_REFERENCE.page));
      app.get("/docs/init.js", (_request, reply) => reply.type("text/javascript").send(API_REFERENCE.init));
      app.register(fastifyStatic, {
        root: API_REFERENCE.assetsDir,
        prefix: "/docs/assets/",
        decorateReply: false,
        index: false,
        maxAge: "1h",
      });
    }
    if (welcome) {
      // sync-api's welcome page and its docs links, as sync-api serves them in split mode.
      app.get("/", async (_request, reply) => {
        const page = welcomePage(settings.asyncPrefix, await welcomeToken(settings.auth));
        return reply.header("cache-control", "no-store").type("text/html; charset=utf-8").send(page);
      });
      app.get(`${WELCOME_DOCS_PATH}/*`, async (request, reply) => {
        const file = welcomeDocFile((request.params as { "*": string })["*"]);
        const text = file ? await readFile(file, "utf8").catch(() => undefined) : undefined;
        if (text === undefined) return reply.callNotFound();
        return reply.type("text/markdown; charset=utf-8").send(text);
      });
    }
  };
}
