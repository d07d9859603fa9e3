/** Test-only routes, in the `test` route table only (served under NODE_ENV=test alone). */
import { setTimeout } from "node:timers/promises";
import { controller, testingEndpoints } from "@repo/contracts";
import { z } from "zod";
import { route } from "../http/route.ts";

export const asyncTesting = controller("asyncTesting", "async", {
  ...testingEndpoints,
  block: {
    method: "GET",
    path: "/_test/block",
    summary: "Blocks the event loop for `ms` milliseconds, as blocking work in an async handler would",
    query: z.object({ ms: z.coerce.number().int().min(0).max(10_000) }),
    responses: { 200: z.object({ blockedMs: z.int() }) },
  },
  memory: {
    method: "GET",
    path: "/_test/memory",
    summary: "The process's memory after a full garbage collection (when run with --expose-gc): what is still in use",
    responses: {
      200: z.object({ collected: z.boolean(), rss: z.int(), heapUsed: z.int(), external: z.int() }),
    },
  },
});

export const testingRoutes = route(asyncTesting, {
  crash: async () => {
    throw new Error("test-only failure: internals that must not reach the client");
  },
  echo: async ({ params, query, headers, body }) => ({
    status: 200,
    body: { params, query, headers: { "x-tenant": headers["x-tenant"] }, body },
  }),
  // Waits forever without blocking: the event loop keeps serving everyone else.
  hang: async () => new Promise(() => {}),
  slow: async ({ query }) => {
    await setTimeout(query.ms);
    return { status: 200, body: { sleptMs: query.ms, pid: process.pid } };
  },
  // The mistake the event-loop guard exists for: synchronous waiting in an async handler.
  block: async ({ query }) => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, query.ms);
    return { status: 200, body: { blockedMs: query.ms } };
  },
  limited: async () => ({ status: 200, body: { pid: process.pid } }),
  // Without a collection first, garbage not yet collected would count as memory in use.
  memory: async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const { rss, heapUsed, external } = process.memoryUsage();
    return { status: 200, body: { collected: gc !== undefined, rss, heapUsed, external } };
  },
  whoami: async ({ principal }) => ({
    status: 200,
    body: { subject: principal?.subject ?? "", scopes: [...(principal?.scopes ?? [])] },
  }),
  // Breaks its contract on purpose, past the compiler, as a bug would.
  brokenResponse: async () => ({ status: 200, body: { ok: "yes" as unknown as true } }),
});
