import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import type { SyncApiSettings } from "../settings/index.ts";

/**
 * The supervisor, like gunicorn's arbiter: it serves no request itself. It forks `workers`
 * processes that share the listening socket, replaces any that die, and stops them all on
 * SIGTERM/SIGINT. A worker that dies before it ever listened means the app cannot boot (bad code,
 * port taken): the supervisor then stops with exit code 1 instead of respawning in a loop.
 */
export function runPrimary(settings: SyncApiSettings, logger: Logger): void {
  const live = new Set<Worker>();
  const booted = new WeakSet<Worker>();
  let stopping = false;
  let exitCode = 0;

  function fork(): void {
    const worker = cluster.fork();
    live.add(worker);
    worker.once("listening", () => {
      booted.add(worker);
      logger.debug({ workerPid: worker.process.pid }, "worker listening");
    });
  }

  function stop(code: number): void {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    logger.info({ workers: live.size }, "stopping: draining workers");
    // Each worker drains itself on SIGTERM within the graceful timeout; whatever is left after
    // that (plus a second for the exit to be seen) is killed.
    for (const worker of live) worker.process.kill("SIGTERM");
    setTimeout(() => {
      for (const worker of live) {
        logger.warn({ workerPid: worker.process.pid }, "worker did not stop in time: killing it");
        worker.process.kill("SIGKILL");
      }
    }, settings.shutdown.gracefulTimeoutMs + 1_000).unref();
    if (live.size === 0) process.exit(exitCode);
  }

  cluster.on("exit", (worker, code, signal) => {
    live.delete(worker);
    const fields = { workerPid: worker.process.pid, code, signal };
    if (stopping) {
      if (live.size === 0) {
        logger.info("all workers stopped");
        process.exit(exitCode);
      }
      return;
    }
    if (!booted.has(worker)) {
      logger.fatal(fields, "a worker failed to boot: stopping sync-api instead of respawning it");
      stop(1);
      return;
    }
    logger.warn(fields, "worker died: starting a new one");
    fork();
  });

  cluster.schedulingPolicy = settings.scheduling === "round-robin" ? cluster.SCHED_RR : cluster.SCHED_NONE;
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));

  for (let i = 0; i < settings.workers; i++) fork();
  logger.info(
    { host: settings.host, port: settings.port, workers: settings.workers, scheduling: settings.scheduling },
    `sync-api listening on http://${settings.host}:${settings.port} with ${settings.workers} workers`,
  );
}
