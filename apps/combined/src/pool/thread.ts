/**
 * One thread of combined mode's pool (a piscina worker). It builds sync-api's route table with
 * resources of its own (its own SQLite connection; on PostgreSQL, its channel to the main thread's
 * database bridge), as a cluster worker does, then runs one handler per task. The handlers are
 * sync-api's, unchanged.
 */
import {
  answerForError,
  ContractViolation,
  type HandlerResult,
  HttpProblem,
  type ImplementedEndpoint,
  implementedEndpoints,
} from "@repo/contracts";
import { openSyncRouteTable } from "@repo/sync-api/host";
import { syncApiSettings } from "@repo/sync-api/settings";
import { workerData } from "piscina";
import { BridgedDatabase } from "./bridged-database.ts";
import { handlerKey, type SyncOutcome, type SyncTask, type ThreadData } from "./task.ts";

// Invalid settings throw here, with the report naming every bad key: the pool fails to start.
const settings = syncApiSettings.load();
const { draining, bridged } = workerData as ThreadData;
const lifecycle = {
  get draining() {
    return Atomics.load(draining, 0) === 1;
  },
};
const table = openSyncRouteTable(settings, lifecycle, bridged ? BridgedDatabase.open(settings.database) : undefined);
const handlers = new Map<string, ImplementedEndpoint>(
  table.routes.flatMap(({ controller, handlers }) =>
    implementedEndpoints("sync", controller, handlers).map((e) => [handlerKey(controller.name, e.name), e] as const),
  ),
);

/** The task piscina runs: one sync handler, or `describe` (the handlers this thread has). */
export default function run(task: SyncTask | "describe"): SyncOutcome | string[] {
  if (task === "describe") return [...handlers.keys()];
  const implemented = handlers.get(task.handler);
  try {
    if (!implemented) throw new Error(`this pool thread's route table has no handler ${task.handler}`);
    const result = implemented.handler(task.request) as HandlerResult;
    if (typeof (result as { then?: unknown } | null)?.then === "function") {
      throw new ContractViolation(`${implemented.where} returned a Promise; sync handlers must be synchronous`);
    }
    return { ok: true, result };
  } catch (error) {
    if (error instanceof HttpProblem) return { ok: false, problem: { body: error.body, headers: error.headers } };
    const answer = answerForError(error, { exposeErrors: false });
    if (!answer.unexpected) return { ok: false, problem: { body: answer.body, headers: answer.headers } };
    const { name, message, stack } = error instanceof Error ? error : new Error(String(error));
    return { ok: false, error: { name, message, ...(stack ? { stack } : {}) } };
  }
}
