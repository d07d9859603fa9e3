/**
 * The processes a scenario starts. Each writes its stdout and stderr straight into a log file (an
 * fd the child inherits): a request log line costs the server a real write, and the bench process
 * reads none of it unless asked. Each runs in its own process group, so stopping it also takes
 * whatever it forked (sync-api's workers, nginx's worker) when it does not stop cleanly.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { tail } from "./logs.ts";

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Started {
  readonly name: string;
  readonly pid: number;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
  /** Why waiting on this process is pointless (it exited), for `waitForHttp`'s `abortIf`. */
  exitReason(): string | undefined;
  /** SIGTERM (or `signal`), then SIGKILL to its whole group after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

export interface StartSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** On top of the bench's environment without any app setting, NODE_ENV or NODE_OPTIONS. */
  readonly env?: Readonly<Record<string, string>>;
}

/** How to kill each process not yet stopped, should the bench process exit first (Ctrl-C, a crash). */
const live = new Set<() => void>();
process.once("exit", () => {
  for (const kill of live) kill();
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(child.pid as number), signal);
  } catch {
    // already gone
  }
}

/** The bench's environment minus anything that would change how a target runs. */
function cleanEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(SYNC_API_|ASYNC_API_|PROXY_|BENCH_)/.test(name)) continue;
    if (["PORT", "NODE_ENV", "NODE_OPTIONS"].includes(name)) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

/** A group of started processes, stopped together (in a `finally`). */
export class Processes {
  readonly #started: Started[] = [];
  readonly #logDir: string;

  constructor(logDir: string) {
    this.#logDir = logDir;
  }

  start(spec: StartSpec): Started {
    const logFile = join(this.#logDir, `${spec.name}-${Date.now()}-${this.#started.length}.log`);
    const fd = openSync(logFile, "a");
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: cleanEnv(spec.env ?? {}),
        stdio: ["ignore", fd, fd],
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    const killOnExit = () => killGroup(child, "SIGKILL");
    live.add(killOnExit);
    let exit: Exit | undefined;
    const exited = new Promise<Exit>((resolve) => {
      child.once("exit", (code, signal) => {
        exit = { code, signal };
        resolve(exit);
      });
      child.once("error", () => {
        exit = { code: null, signal: null };
        resolve(exit);
      });
    });
    const started: Started = {
      name: spec.name,
      pid: child.pid ?? -1,
      logFile,
      exitReason: () =>
        exit ? `${spec.name} exited (${exit.signal ?? exit.code}); its log:\n${tail(logFile)}` : undefined,
      async stop(signal = "SIGTERM", timeoutMs = 10_000) {
        if (!exit) {
          child.kill(signal);
          const timer = setTimeout(() => killGroup(child, "SIGKILL"), timeoutMs);
          await exited;
          clearTimeout(timer);
        }
        // Whatever it forked and left behind goes with it.
        killGroup(child, "SIGKILL");
        live.delete(killOnExit);
        return exited;
      },
    };
    this.#started.push(started);
    return started;
  }

  /**
   * Adds a process started elsewhere (nginx by @repo/testing), to be stopped with the rest. Should
   * the bench exit first, it gets a SIGTERM, which an nginx master passes on to its workers.
   */
  adopt(started: Started): Started {
    const terminateOnExit = () => {
      try {
        process.kill(started.pid, "SIGTERM");
      } catch {
        // already gone
      }
    };
    live.add(terminateOnExit);
    this.#started.push({
      ...started,
      stop: async (signal, timeoutMs) => {
        const exit = await started.stop(signal, timeoutMs);
        live.delete(terminateOnExit);
        return exit;
      },
    });
    return started;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.#started.splice(0).map((started) => started.stop()));
  }
}
