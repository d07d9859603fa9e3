/**
 * The rate limits of async-api's routes (and, in combined mode, of the sync routes it serves):
 * @fastify/rate-limit counts, in this process's memory (one process: its count is the whole
 * count, and no blocking disk write lands on the event loop), keyed by the client's address as
 * `trustProxy` resolves it, or on a secured route by the verified token's subject (its hook runs
 * after the token's there: `subjectKey`). The answers are sync-api's, header for header: the IETF
 * `RateLimit`/`RateLimit-Policy` headers (draft 8) on every limited route, and past the limit
 * the 429 problem with `Retry-After`.
 */
import { createHash } from "node:crypto";
import fastifyRateLimit from "@fastify/rate-limit";
import { type EndpointContract, rateLimitOf, rateLimitProblem, routeKey, subjectKey } from "@repo/contracts";
import type { RateLimitSettings } from "@repo/shared-settings";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** The plugin, with no route limited by it alone: each limited endpoint asks it in its own hook. */
export const rateLimitPlugin = [fastifyRateLimit, { global: false }] as const;

/** The `onRequest` hook that counts a request to `endpoint`, or undefined when it is not limited. */
export function rateLimitHook(
  app: FastifyInstance,
  endpoint: EndpointContract,
  settings: RateLimitSettings,
  secured: boolean,
): ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined {
  const route = routeKey(endpoint, app.prefix);
  const limit = rateLimitOf(endpoint, route, settings);
  if (!limit) return undefined;
  if (!app.hasDecorator("createRateLimit")) throw new Error(`${route} is rate-limited: register the plugin first`);
  const count = app.createRateLimit({
    max: limit.limit,
    timeWindow: limit.windowMs,
    // Public routes: the plugin's own key, the address (an IPv6 client's /64).
    ...(secured ? { keyGenerator: (request: FastifyRequest) => subjectKey(route, request.principal) } : {}),
  });
  const windowSeconds = Math.ceil(limit.windowMs / 1_000);
  return async (request, reply) => {
    const counted = await count(request);
    if (counted.isAllowed) return;
    // As express-rate-limit writes them in sync-api (`standardHeaders: "draft-8"`).
    reply.header("ratelimit", `"${route}"; r=${counted.remaining}; t=${counted.ttlInSeconds}`);
    reply.header(
      "ratelimit-policy",
      `"${route}"; q=${limit.limit}; w=${windowSeconds}; pk=:${partition(counted.key)}:`,
    );
    if (counted.isExceeded) throw rateLimitProblem(route, limit, counted.ttlInSeconds);
  };
}

/** The policy's partition key: the client's key hashed, as express-rate-limit does, never the address itself. */
function partition(key: string): string {
  return Buffer.from(createHash("sha256").update(key).digest("hex").slice(0, 12)).toString("base64");
}
