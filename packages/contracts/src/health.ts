import { z } from "zod";
import { controller } from "./contract.ts";

/** Liveness answer: which runtime answered, and which process (a sync worker's pid changes). */
export const HealthStatus = z
  .strictObject({
    status: z.literal("ok"),
    runtime: z.enum(["sync", "async"]),
    pid: z.int().positive(),
  })
  .meta({ id: "HealthStatus" });
export type HealthStatus = z.infer<typeof HealthStatus>;

export const syncHealth = controller("syncHealth", "sync", {
  health: {
    method: "GET",
    path: "/healthz",
    summary: "Liveness of sync-api: answered by one of its workers",
    responses: { 200: HealthStatus },
  },
});

export const asyncHealth = controller("asyncHealth", "async", {
  health: {
    method: "GET",
    path: "/healthz",
    summary: "Liveness of async-api",
    responses: { 200: HealthStatus },
  },
});
