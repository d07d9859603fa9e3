import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

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
  /** Variables on top of a clean environment: NODE_ENV=test, no inherited app settings. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Start in a new process group (as a terminal runs a command), so the group can be signalled. */
  readonly detached?: boolean;
}

const running = new Set<AppProcess>();

/** The parent's environment without any app settings in it, so tests start from the defaults. */
function cleanEnv(extra: StartOptions["env"] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(SYNC_API_|ASYNC_API_|PROXY_)/.test(name) || name === "PORT" || name === "NODE_ENV") continue;
    env[name] = value;
  }
  env.NODE_ENV = "test";
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
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
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
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

/** Stops every process a test started and did not stop itself. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((app) => app.stop("SIGKILL")));
}

/** The log lines a process wrote, parsed (pino's JSON lines; anything else is skipped). */
export function logLines(app: AppProcess): Record<string, unknown>[] {
  return app
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
