/** Test-only routes, in the `test` route table only (served under NODE_ENV=test alone). */
import { controller, ProblemDetails } from "@repo/contracts";
import { route } from "../http/route.ts";

export const asyncTesting = controller("asyncTesting", "async", {
  crash: {
    method: "GET",
    path: "/_test/crash",
    summary: "Rejects, to show that an unexpected error answers a 500 problem without internals",
    responses: { 500: ProblemDetails },
  },
});

export const testingRoutes = route(asyncTesting, {
  crash: async () => {
    throw new Error("test-only failure: internals that must not reach the client");
  },
});
