/** Test-only routes, in the `test` route table only (served under NODE_ENV=test alone). */
import { controller, ProblemDetails } from "@repo/contracts";
import { route } from "../http/route.ts";

export const syncTesting = controller("syncTesting", "sync", {
  crash: {
    method: "GET",
    path: "/_test/crash",
    summary: "Throws, to show that an unexpected error answers a 500 problem without internals",
    responses: { 500: ProblemDetails },
  },
});

export const testingRoutes = route(syncTesting, {
  crash: () => {
    throw new Error("test-only failure: internals that must not reach the client");
  },
});
