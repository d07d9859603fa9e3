/** Test-only routes, in the `test` route table only (served under NODE_ENV=test alone). */
import { controller, testingEndpoints } from "@repo/contracts";
import { route } from "../http/route.ts";

export const syncTesting = controller("syncTesting", "sync", testingEndpoints);

export const testingRoutes = route(syncTesting, {
  crash: () => {
    throw new Error("test-only failure: internals that must not reach the client");
  },
  echo: ({ params, query, headers, body }) => ({
    status: 200,
    body: { params, query, headers: { "x-tenant": headers["x-tenant"] }, body },
  }),
  // Breaks its contract on purpose, past the compiler, as a bug would.
  brokenResponse: () => ({ status: 200, body: { ok: "yes" as unknown as true } }),
});
