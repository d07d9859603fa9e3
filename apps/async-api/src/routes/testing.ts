/** Test-only routes, in the `test` route table only (served under NODE_ENV=test alone). */
import { controller, testingEndpoints } from "@repo/contracts";
import { route } from "../http/route.ts";

export const asyncTesting = controller("asyncTesting", "async", testingEndpoints);

export const testingRoutes = route(asyncTesting, {
  crash: async () => {
    throw new Error("test-only failure: internals that must not reach the client");
  },
  echo: async ({ params, query, headers, body }) => ({
    status: 200,
    body: { params, query, headers: { "x-tenant": headers["x-tenant"] }, body },
  }),
  // Breaks its contract on purpose, past the compiler, as a bug would.
  brokenResponse: async () => ({ status: 200, body: { ok: "yes" as unknown as true } }),
});
