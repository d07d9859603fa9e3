import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { descendantsOf, markedProcesses } from "./process-tree.ts";

/** The workspace root, found from this file's place in packages/testing/src. */
export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface AppProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Why waiting on this process is pointless (it exited), for `waitFor`'s `abortIf`. */
  exitReason(): string | undefined;
  /** Sends `signal` (default SIGTERM); SIGKILL if it has not exited after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

export interface StartOptions {
  /** Variables on top of a clean environment: NODE_ENV=test, metrics off, no inherited app settings. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Start in a new process group (as a terminal runs a command), so the group can be signalled. */
  readonly detached?: boolean;
}

const running = new Set<AppProcess>();
/** How to reach what each running process started: its own group when detached, and whether it is gone. */
const started = new WeakMap<AppProcess, { readonly detached: boolean; exited: boolean }>();

/**
 * Every process a test starts carries two variables, inherited by everything it starts in turn
 * (even what leaves its process group or outlives its parent), so nothing escapes a clean-up:
 * - `REPO_TESTING_RUN`: the test run (the runner's, when it set one, else this process's), for
 *   finding what a whole run left behind (`leftoversOf`);
 * - `REPO_TESTING_STARTER`: the pid of the test process that started it, for `stopAll`.
 */
export const RUN_VARIABLE = "REPO_TESTING_RUN";
export const STARTER_VARIABLE = "REPO_TESTING_STARTER";
export const testRun = process.env.REPO_TESTING_RUN ?? `pid-${process.pid}`;

/** The parent's environment without any app settings in it, so tests start from the defaults. */
function cleanEnv(extra: StartOptions["env"] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(SYNC_API_|ASYNC_API_|PROXY_)/.test(name) || name === "PORT" || name === "NODE_ENV") continue;
    env[name] = value;
  }
  env.NODE_ENV = "test";
  // No metrics listener unless a test gives it a port: under production or development settings
  // each app would take its fixed default (9464, 9465), which another run, or a `pnpm dev`, holds.
  env.SYNC_API_METRICS__PORT = "0";
  env.ASYNC_API_METRICS__PORT = "0";
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  env[RUN_VARIABLE] ??= testRun;
  env[STARTER_VARIABLE] = String(process.pid);
  return env;
}

export function startProcess(command: string, args: readonly string[], options: StartOptions = {}): AppProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: cleanEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exit: Exit | undefined;
  const state = { detached: options.detached ?? false, exited: false };
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      state.exited = true;
      resolve(exit);
    });
  });
  const app: AppProcess = {
    child,
    pid: child.pid as number,
    output: () => output,
    exited,
    exitReason: () =>
      exit ? `${command} ${args.join(" ")} exited (${exit.signal ?? exit.code}):\n${output}` : undefined,
    async stop(signal = "SIGTERM", timeoutMs = 10_000) {
      if (!exit) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(app);
      return exited;
    },
  };
  running.add(app);
  started.set(app, state);
  return app;
}

export type AppName = "sync-api" | "async-api" | "dev-proxy" | "combined";

const ENTRY: Record<AppName, string> = {
  "sync-api": "apps/sync-api/src/main.ts",
  "async-api": "apps/async-api/src/main.ts",
  combined: "apps/combined/src/main.ts",
  "dev-proxy": "packages/dev-proxy/src/main.ts",
};

/** Starts an app from its TypeScript sources, as `pnpm dev` does (without the file watcher). */
export function startApp(name: AppName, options: StartOptions = {}): AppProcess {
  return startProcess(process.execPath, ["--conditions=@repo/source", ENTRY[name]], options);
}

/**
 * SIGKILL to every process this test process started and did not stop itself, and to everything
 * they started: their process groups, their descendants, and whatever still carries this
 * process's mark (orphans a dead parent left to init). Synchronous, so an exit handler can run it.
 */
export function killAllStarted(): void {
  const groups = new Set<number>();
  const targets = new Set<number>();
  for (const app of running) {
    const state = started.get(app);
    // A pid that exited may be another process's by now: only its group (kept by its members) and
    // its marked family are still its own.
    if (state?.detached) groups.add(app.pid);
    if (!state?.exited) for (const pid of [app.pid, ...descendantsOf(app.pid)]) targets.add(pid);
  }
  for (const pid of markedProcesses(STARTER_VARIABLE, String(process.pid))) targets.add(pid);
  targets.delete(process.pid);
  for (const target of [...[...groups].map((pid) => -pid), ...targets]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * The processes of test run `run` still alive (Linux; none are found elsewhere): after a run has
 * ended, what it left behind. The caller itself is never among them.
 */
export function leftoversOf(run: string = testRun): number[] {
  return markedProcesses(RUN_VARIABLE, run).filter((pid) => pid !== process.pid);
}

/** SIGKILL to one started process and everything it started; resolves once it has exited. */
export async function killWithFamily(app: AppProcess): Promise<Exit> {
  const state = started.get(app);
  const targets = state?.exited ? [] : [app.pid, ...descendantsOf(app.pid)];
  for (const target of [...(state?.detached ? [-app.pid] : []), ...targets]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return app.stop("SIGKILL");
}

/**
 * Runs a start-up step (`work`) for `processes`; when it fails, they and everything they started
 * are killed before the error goes on: a caller never left without a handle on what was started.
 */
export async function killIfFails<T>(processes: readonly AppProcess[], work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await Promise.all(processes.map((app) => killWithFamily(app)));
    throw error;
  }
}

/** Stops every process a test started and did not stop itself, with everything they started. */
export async function stopAll(): Promise<void> {
  const apps = [...running];
  killAllStarted();
  await Promise.all(apps.map((app) => app.stop("SIGKILL")));
}

// A test process that ends without its after-hooks (a crash, a forgotten stopAll) leaves nothing.
process.once("exit", killAllStarted);
// Vitest ends its worker processes with SIGTERM, which skips "exit": there, the same clean-up
// first, then the exit the signal asked for.
if (process.env.VITEST_WORKER_ID !== undefined) {
  process.once("SIGTERM", () => {
    killAllStarted();
    process.exit(143);
  });
}

/** The log lines a process wrote, parsed (pino's JSON lines; anything else is skipped). */
export function logLines(app: AppProcess): Record<string, unknown>[] {
  return app
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
