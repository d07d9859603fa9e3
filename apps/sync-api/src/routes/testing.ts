/** Test-only routes, in the `test` route table only (served under NODE_ENV=test alone). */
import { controller, ProblemDetails, testingEndpoints } from "@repo/contracts";
import { route } from "../http/route.ts";

export const syncTesting = controller("syncTesting", "sync", {
  ...testingEndpoints,
  exit: {
    method: "POST",
    path: "/_test/exit",
    summary: "Ends whatever runs it mid-request (a cluster worker's process, a pool thread): a crash",
    responses: { 500: ProblemDetails },
  },
});

/** Blocks this worker's only thread, as a blocking driver call would (no CPU spent meanwhile). */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const testingRoutes = route(syncTesting, {
  crash: () => {
    throw new Error("test-only failure: internals that must not reach the client");
  },
  echo: ({ params, query, headers, body }) => ({
    status: 200,
    body: { params, query, headers: { "x-tenant": headers["x-tenant"] }, body },
  }),
  hang: () => {
    blockFor(Number.POSITIVE_INFINITY);
    return { status: 200, body: {} };
  },
  slow: ({ query }) => {
    blockFor(query.ms);
    return { status: 200, body: { sleptMs: query.ms, pid: process.pid } };
  },
  exit: () => {
    process.exit(3);
  },
  limited: () => ({ status: 200, body: { pid: process.pid } }),
  // What a handler sees of the verified token: plain data (it crossed to a pool thread in combined mode).
  whoami: ({ principal }) => ({
    status: 200,
    body: { subject: principal?.subject ?? "", scopes: [...(principal?.scopes ?? [])] },
  }),
  // Breaks its contract on purpose, past the compiler, as a bug would.
  brokenResponse: () => ({ status: 200, body: { ok: "yes" as unknown as true } }),
});
