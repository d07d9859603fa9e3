/**
 * sync-api's half of the API on combined mode's Fastify server: every sync endpoint with the same
 * contract layer as async-api's own (validation, problems, request ids, access log), its handler
 * run on a pool thread (or, for the benchmark's naive monolith, inline on the event loop); and the
 * API reference, which sync-api serves in split mode.
 */

import fastifyStatic from "@fastify/static";
import { type MountedEndpoint, mountEndpoints } from "@repo/async-api/mount";
import type { AsyncServerOptions } from "@repo/async-api/server";
import type { AsyncApiSettings } from "@repo/async-api/settings";
import { implementedEndpoints, type OpenApiDocument } from "@repo/contracts";
import type { RateLimitSettings } from "@repo/shared-settings";
import { API_REFERENCE } from "@repo/sync-api/docs";
import type { SyncRoute } from "@repo/sync-api/host";
import { serveWelcome } from "./examples.ts"; // #example
import type { SyncPool } from "./pool/sync-pool.ts";
import { handlerKey } from "./pool/task.ts";

/**
 * The sync endpoints, each answered by `pool` (or inline when there is no pool). Internal ones
 * are left out: this process is the public entry, with no proxy in front to refuse them (what
 * needs one calls its handler in-process, as the examples' relay does: examples.ts).
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

/** The plugin that serves them, and the OpenAPI document and `/docs`, at the root. */
export function syncHalf(
  endpoints: readonly MountedEndpoint[],
  document: OpenApiDocument,
  settings: AsyncApiSettings,
  options: {
    readonly welcome: boolean; // #example
    readonly apiReference: boolean;
    readonly rateLimit: RateLimitSettings;
  },
): NonNullable<AsyncServerOptions["root"]> {
  const json = JSON.stringify(document);
  return (app, { guard, authenticate }) => {
    // The guard times the sync handlers too: inline, they are what blocks the event loop.
    // Counted here, on the main thread, before a task goes to the pool: one process, one count.
    mountEndpoints(app, endpoints, {
      responseValidation: settings.http.responseValidation,
      rateLimit: options.rateLimit,
      authenticate,
      ...(guard ? { guard } : {}),
    });
    if (options.apiReference) {
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
    if (options.welcome) serveWelcome(app, settings.asyncPrefix, settings.auth); // #example
    // The first page, as sync-api's docsRouter serves it, where no other page took `/`.
    if (options.apiReference && !app.hasRoute({ method: "GET", url: "/" })) {
      const first = API_REFERENCE.firstPage(document);
      app.get("/", (_request, reply) => reply.type("text/html; charset=utf-8").send(first));
    }
  };
}
