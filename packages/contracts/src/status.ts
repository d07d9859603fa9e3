import { z } from "zod";
import { controller } from "./contract.ts";
import { ProblemDetails } from "./problem.ts";

/**
 * What one upstream answered when async-api asked for its status: by name, never its address
 * (the public must not learn the internal network's URLs).
 */
export const UpstreamStatus = z
  .strictObject({
    name: z.string(),
    outcome: z.enum(["ok", "failed", "timeout", "unreachable"]),
    httpStatus: z.int().nullable(),
    elapsedMs: z.number(),
  })
  .meta({ id: "UpstreamStatus" });
export type UpstreamStatus = z.infer<typeof UpstreamStatus>;

export const StatusReport = z.object({ upstreams: z.array(UpstreamStatus) }).meta({ id: "StatusReport" });

/** The 502/504 problem of the status endpoint: which upstream failed, and how. */
export const UpstreamProblem = ProblemDetails.extend({ upstreams: z.array(UpstreamStatus) }).meta({
  id: "UpstreamProblem",
});

/**
 * The first reason to be async: calls to other services. One request fans out to every
 * configured upstream at once, each call with its own timeout, all cancelled if the client leaves.
 */
export const status = controller("status", "async", {
  status: {
    method: "GET",
    path: "/status",
    summary: "The status of sync-api and every configured upstream, asked concurrently",
    responses: { 200: StatusReport, 502: UpstreamProblem, 504: UpstreamProblem },
    // Each call fans out to every upstream: one client may not turn it into a load on them all.
    rateLimit: { limit: 30, windowMs: 60_000 },
  },
});
