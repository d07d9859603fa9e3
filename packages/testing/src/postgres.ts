/**
 * A throwaway PostgreSQL server for tests: Debian's own binaries (no mock, no container), a data
 * directory copied from one `initdb` made once per machine, started on a free port of 127.0.0.1
 * with durability off (`fsync`, `synchronous_commit`, `full_page_writes`: a test's data dies with
 * it). Ready in about half a second; `createDatabase` gives each test file a database of its own.
 *
 * PostgreSQL refuses to run as root: as root (CI), the server runs as the `postgres` user Debian's
 * package creates (setpriv), and its directories are that user's.
 */
import { execFileSync } from "node:child_process";
import { existsSync, globSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { type AppProcess, startProcess } from "./process.ts";
import { waitFor } from "./wait.ts";

/** Where Debian puts a major version's binaries; $POSTGRES_BIN first. */
export function postgresBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [env.POSTGRES_BIN, ...globSync("/usr/lib/postgresql/*/bin").sort().reverse()];
  return candidates.find((dir): dir is string => Boolean(dir) && existsSync(join(dir as string, "postgres")));
}

/** Why tests on PostgreSQL cannot run here, if they cannot: for `runsHere`. */
export function postgresMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return postgresBin(env)
    ? undefined
    : "no PostgreSQL server: install Debian's postgresql (apt-get install postgresql) or set POSTGRES_BIN to its bin/";
}

/** The user the server runs as: this one, or `postgres` for root. */
const asRoot = process.getuid?.() === 0;

/** `command args…`, as the server's user. */
function asServerUser(command: string, args: readonly string[]): [string, string[]] {
  return asRoot
    ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", command, ...args]]
    : [command, [...args]];
}

function run(bin: string, command: string, args: readonly string[]): string {
  const [file, argv] = asServerUser(join(bin, command), args);
  return execFileSync(file, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A directory the server's user owns. */
function serverDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  return dir;
}

/** The data directory every server starts from: one initdb per machine and major version. */
function template(bin: string): string {
  const version = run(bin, "postgres", ["--version"]).match(/(\d+)/)?.[1] ?? "x";
  const dir = join(tmpdir(), `repo-testing-postgres-${version}${asRoot ? "-root" : ""}`);
  if (existsSync(join(dir, "PG_VERSION"))) return dir;
  // Made beside it and renamed into place: two test files may start at once.
  const work = serverDir("repo-testing-postgres-initdb-");
  run(bin, "initdb", [
    "-D",
    join(work, "data"),
    "-U",
    "postgres",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  try {
    renameSync(join(work, "data"), dir);
  } catch {
    // Another process put its own there first: the same, keep it.
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** Runs SQL as the superuser in the database at `url` (psql); its output. */
export function psqlAt(url: string, sql: string): string {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresMissing());
  return execFileSync(join(bin, "psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, url], {
    encoding: "utf8",
  });
}

/** Makes a new, empty database `name` on the server of `serverUrl` (any of its databases' URLs); its URL. */
export function createDatabaseOn(serverUrl: string, name: string): string {
  psqlAt(serverUrl, `CREATE DATABASE "${name.replaceAll('"', "")}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface PostgresServer {
  readonly port: number;
  /** The `postgres` database's URL: for tests that make databases, not for the apps' data. */
  readonly url: string;
  readonly process: AppProcess;
  /** A new, empty database, and its URL. */
  createDatabase(name: string): string;
  /** Runs SQL in a database, as the superuser (psql); its output. */
  psql(database: string, sql: string): string;
  /** Stops it (a fast shutdown: clients are disconnected), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data, after `stop`. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

export interface PostgresOptions {
  /** `max_connections` (100 is PostgreSQL's default). */
  readonly maxConnections?: number;
}

/**
 * The data directories of servers this process started and did not remove: deleted when it exits
 * (after process.ts has killed the servers), so a run that ends without its clean-up leaves no
 * 40 MB directory behind.
 */
const leftBehind = new Set<string>();
process.once("exit", () => {
  for (const dir of leftBehind) rmSync(dir, { recursive: true, force: true });
});

/** Starts a throwaway server; `remove()` it after (stopAll of @repo/testing stops it too). */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresMissing());
  const port = await freePort();
  const base = serverDir("repo-testing-postgres-");
  leftBehind.add(base);
  const data = join(base, "data");
  // cp -a keeps the owner and the modes (0700) the server insists on.
  execFileSync("cp", ["-a", template(bin), data]);
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let server: AppProcess | undefined;

  const start = async () => {
    const [command, args] = asServerUser(join(bin, "postgres"), [
      ...["-D", data, "-p", String(port)],
      ...["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
      ...["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
      ...["-c", `max_connections=${options.maxConnections ?? 100}`],
    ]);
    server = startProcess(command, args);
    await waitFor(
      `PostgreSQL on port ${port}`,
      async () => {
        try {
          execFileSync(join(bin, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)]);
          return true;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000, abortIf: server.exitReason },
    );
  };
  const stop = async () => {
    // SIGINT: the fast shutdown (open sessions are ended, the data is consistent).
    await server?.stop("SIGINT", 10_000);
  };
  const psql = (database: string, sql: string) => psqlAt(url(database), sql);

  await start();
  return {
    port,
    url: url("postgres"),
    get process() {
      return server as AppProcess;
    },
    createDatabase: (name) => createDatabaseOn(url("postgres"), name),
    psql,
    stop,
    start,
    async remove() {
      await stop();
      rmSync(base, { recursive: true, force: true });
      leftBehind.delete(base);
    },
  };
}
