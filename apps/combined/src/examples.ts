/**
 * The examples' parts of combined mode: the relay's note feed, read in-process, and the welcome
 * page on Fastify.
 */
import { readFile } from "node:fs/promises";
import type { FeedReader } from "@repo/async-api/server";
import { type AuthSettings, type HandlerResult, implementedEndpoints } from "@repo/contracts";
import type { SyncRoute } from "@repo/sync-api/host";
import { WELCOME_DOCS_PATH, welcomeDocFile, welcomePage, welcomeToken } from "@repo/sync-api/welcome";
import type { FastifyInstance } from "fastify";
import type { SyncPool } from "./pool/sync-pool.ts";
import { handlerKey } from "./pool/task.ts";

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

/**
 * sync-api's welcome page and its docs links, as sync-api serves them in split mode: built per
 * load, with a short-lived development token (never one in production).
 */
export function serveWelcome(app: FastifyInstance, asyncPrefix: string, auth: AuthSettings): void {
  app.get("/", async (_request, reply) => {
    const page = welcomePage(asyncPrefix, await welcomeToken(auth));
    return reply.header("cache-control", "no-store").type("text/html; charset=utf-8").send(page);
  });
  app.get(`${WELCOME_DOCS_PATH}/*`, async (request, reply) => {
    const file = welcomeDocFile((request.params as { "*": string })["*"]);
    const text = file ? await readFile(file, "utf8").catch(() => undefined) : undefined;
    if (text === undefined) return reply.callNotFound();
    return reply.type("text/markdown; charset=utf-8").send(text);
  });
}
