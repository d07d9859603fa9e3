/**
 * How long the production builds take to answer after they are spawned, and how much memory they
 * hold, idle and under load (VmRSS of every process: sync-api's supervisor and workers, async-api).
 */
import { availableParallelism } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { httpGet } from "@repo/testing";
import { fmt } from "../lib/format.ts";
import { startLoad } from "../lib/load.ts";
import { treeRss } from "../lib/memory.ts";
import type { Measurement, Scenario } from "../lib/scenario.ts";
import { type Service, startAsyncApi, startSyncApi } from "../lib/services.ts";
import { median } from "../lib/stats.ts";

const CONNECTIONS = 50;

/** performance.now() when `service`'s health route first answers 200 (polled every 5 ms). */
async function firstAnswer(service: Service): Promise<number> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const reason = service.process.exitReason();
    if (reason) throw new Error(reason);
    try {
      if ((await httpGet(service.health, { timeoutMs: 2_000 })).status === 200) return performance.now();
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${service.health} did not answer within 60 s`);
    await sleep(5);
  }
}

/** The processes by role: the supervisor, its workers in pid order, async-api. */
function memoryByRole(sync: Service, async: Service): Map<string, number> {
  const [supervisor, ...workers] = treeRss(sync.process.pid);
  const roles = new Map<string, number>([["sync-api supervisor", supervisor?.bytes ?? 0]]);
  for (const [i, worker] of workers.sort((a, b) => a.pid - b.pid).entries()) {
    roles.set(`sync-api worker ${i + 1}`, worker.bytes);
  }
  for (const each of treeRss(async.process.pid)) roles.set("async-api", (roles.get("async-api") ?? 0) + each.bytes);
  return roles;
}

interface Round {
  readonly syncMs: number;
  readonly asyncMs: number;
  readonly bothMs: number;
  readonly idle: Map<string, number>;
  readonly loaded: Map<string, number>;
}

export const startupMemory: Scenario = {
  name: "startup-memory",
  title: "Start-up time and memory",
  async run(context) {
    const workers = availableParallelism();
    const rounds: Round[] = [];
    for (let round = 1; round <= context.plan.rounds; round++) {
      // Spawned one right after the other (a port each first), as compose starts them.
      const sync = await startSyncApi(context, { name: `sync-api-${round}`, workers });
      const async = await startAsyncApi(context, { name: `async-api-${round}`, syncApi: sync });
      const [syncAt, asyncAt] = await Promise.all([firstAnswer(sync), firstAnswer(async)]);
      await sleep(context.quick ? 1_000 : 2_000);
      const idle = memoryByRole(sync, async);
      // Under load: both health routes at once, the peak of each process sampled every 100 ms.
      const loads = [sync, async].map((app) =>
        startLoad({ url: app.health, connections: CONNECTIONS / 2, seconds: context.plan.seconds }),
      );
      const loaded = new Map<string, number>();
      const sample = setInterval(() => {
        for (const [role, bytes] of memoryByRole(sync, async)) loaded.set(role, Math.max(bytes, loaded.get(role) ?? 0));
      }, 100);
      try {
        await Promise.all(loads.map((l) => l.result));
      } finally {
        clearInterval(sample);
      }
      const result: Round = {
        syncMs: syncAt - sync.spawnedAt,
        asyncMs: asyncAt - async.spawnedAt,
        bothMs: Math.max(syncAt, asyncAt) - sync.spawnedAt,
        idle,
        loaded,
      };
      rounds.push(result);
      context.log(
        `  round ${round}/${context.plan.rounds}  answering after ${fmt.ms(result.bothMs)} (sync-api ${fmt.ms(result.syncMs)}, async-api ${fmt.ms(result.asyncMs)}); ` +
          `idle ${fmt.mib(total(idle))}, under load ${fmt.mib(total(loaded))}`,
      );
      await Promise.all([sync.process.stop(), async.process.stop()]);
    }

    const roles = [...(rounds[0]?.idle.keys() ?? [])];
    const medianOf = (pick: (round: Round) => number) => median(rounds.map(pick));
    const memory = [
      ...roles.map((role) => ({
        role,
        idle: medianOf((r) => r.idle.get(role) ?? 0),
        loaded: medianOf((r) => r.loaded.get(role) ?? 0),
      })),
      ...[
        { role: "sync-api total", prefix: "sync-api" },
        { role: "all processes", prefix: "" },
      ].map(({ role, prefix }) => ({
        role,
        idle: medianOf((r) => total(r.idle, prefix)),
        loaded: medianOf((r) => total(r.loaded, prefix)),
      })),
    ];
    const startup = [
      {
        label: "sync-api: spawn → /healthz answers",
        ms: medianOf((r) => r.syncMs),
        rounds: rounds.map((r) => r.syncMs),
      },
      {
        label: "async-api: spawn → /async/healthz answers",
        ms: medianOf((r) => r.asyncMs),
        rounds: rounds.map((r) => r.asyncMs),
      },
      { label: "both answering", ms: medianOf((r) => r.bothMs), rounds: rounds.map((r) => r.bothMs) },
    ];
    const measurements: Measurement[] = [
      ...startup.map(({ label, ms }) => ({ label, metric: "start-up time", unit: "ms", value: ms })),
      ...memory.flatMap(({ role, idle, loaded }) => [
        { label: role, metric: "resident memory, idle", unit: "bytes", value: idle },
        { label: role, metric: "resident memory, peak under load", unit: "bytes", value: loaded },
      ]),
    ];
    return {
      method: [
        `The production builds with production settings, sync-api with ${workers} workers (one per core), spawned`,
        "one right after the other; the time from each spawn until its health route first answers (polled every",
        `5 ms). Then VmRSS from /proc/<pid>/status of every process: idle (${context.quick ? 1 : 2} s after both answer),`,
        `and the peak while autocannon loads both health routes (${CONNECTIONS / 2} connections each, ${context.plan.seconds} s),`,
        `sampled every 100 ms. ${context.plan.rounds} start(s), medians.`,
      ].join("\n"),
      tables: [
        {
          columns: ["start-up", "median", "per start"],
          rows: startup.map(({ label, ms, rounds: each }) => [label, fmt.ms(ms), each.map(fmt.ms).join(", ")]),
        },
        {
          columns: ["process", "idle", "peak under load"],
          rows: memory.map(({ role, idle, loaded }) => [role, fmt.mib(idle), fmt.mib(loaded)]),
        },
      ],
      chart: {
        title: "Resident memory (VmRSS) per process",
        unit: "MiB",
        series: ["idle", "peak under load"],
        rows: memory.map(({ role, idle, loaded }) => ({
          label: role,
          values: [idle / 1024 / 1024, loaded / 1024 / 1024],
        })),
        format: (mib) => `${mib.toFixed(1)} MiB`,
      },
      measurements,
      details: {
        workers,
        connections: CONNECTIONS,
        startup,
        memory,
        rounds: rounds.map((r) => ({ ...r, idle: Object.fromEntries(r.idle), loaded: Object.fromEntries(r.loaded) })),
      },
    };
  },
};

/** The memory of the processes whose role starts with `prefix` (all of them by default). */
function total(bytes: Map<string, number>, prefix = ""): number {
  return [...bytes].filter(([role]) => role.startsWith(prefix)).reduce((sum, [, each]) => sum + each, 0);
}
