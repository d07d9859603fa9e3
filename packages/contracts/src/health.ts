import { z } from "zod";
import { controller } from "./contract.ts";
import { ProblemDetails } from "./problem.ts";

/** Liveness answer: which runtime answered, and which process (a sync worker's pid changes). */
export const HealthStatus = z
  .strictObject({
    status: z.literal("ok"),
    runtime: z.enum(["sync", "async"]),
    pid: z.int().positive(),
  })
  .meta({ id: "HealthStatus" });
export type HealthStatus = z.infer<typeof HealthStatus>;

/** Readiness: this process takes new requests (not while it drains). */
export const ReadyStatus = z
  .strictObject({
    status: z.literal("ready"),
    runtime: z.enum(["sync", "async"]),
    pid: z.int().positive(),
    eventLoopDelayMs: z
      .strictObject({ p50: z.number().min(0), p99: z.number().min(0), max: z.number().min(0) })
      .optional()
      .meta({ description: "async-api: its event loop's delay over the last window (`eventLoop.delayWindowMs`)" }),
  })
  .meta({ id: "ReadyStatus" });

export const syncHealth = controller("syncHealth", "sync", {
  health: {
    method: "GET",
    path: "/healthz",
    summary: "Liveness of sync-api: answered by one of its workers",
    responses: { 200: HealthStatus },
    accessLogLevel: "debug",
  },
  ready: {
    method: "GET",
    path: "/readyz",
    summary: "Readiness of the worker that answers: 503 while it drains, so proxies stop sending to it",
    responses: { 200: ReadyStatus, 503: ProblemDetails },
    accessLogLevel: "debug",
  },
});

export const asyncHealth = controller("asyncHealth", "async", {
  health: {
    method: "GET",
    path: "/healthz",
    summary: "Liveness of async-api",
    responses: { 200: HealthStatus },
    accessLogLevel: "debug",
  },
  ready: {
    method: "GET",
    path: "/readyz",
    summary: "Readiness of async-api: 503 while it drains, or while its event loop lags (`eventLoop.maxDelayMs`)",
    responses: { 200: ReadyStatus, 503: ProblemDetails },
    accessLogLevel: "debug",
  },
});
