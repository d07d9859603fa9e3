/**
 * A real Docker engine for the tests: the `docker` CLI against DOCKER_HOST's engine (or the
 * default one), compose v2, the compose stack of infra/ brought up as a user brings it up, and a
 * way to reach the ports it publishes.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { ASYNC_PREFIX } from "./async-prefix.ts";
import { ONE_CLIENT_LOAD_LIMITS } from "./nginx.ts";
import { freePort } from "./ports.ts";
import { repoRoot } from "./process.ts";
import { runsHere } from "./skips.ts";
import { waitForHttp } from "./wait.ts";

const run = promisify(execFile);

/**
 * Why the Docker tests cannot run here (no client, no engine answering, no compose v2), or
 * undefined when they can. Asked once per process.
 */
export const dockerMissing: () => string | undefined = (() => {
  let answer: { reason: string | undefined } | undefined;
  return () => {
    if (!answer) {
      const ask = (args: string[]) =>
        execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 20_000 }).trim();
      let reason: string | undefined;
      try {
        ask(["version", "--format", "{{.Server.Version}}"]);
        try {
          const compose = ask(["compose", "version", "--short"]);
          if (!/^v?2\./.test(compose)) reason = `Docker Compose v2 is needed, this is ${compose}`;
        } catch {
          reason = "no Docker Compose v2 (`docker compose`)";
        }
      } catch (error) {
        const detail = (error as { stderr?: string }).stderr?.trim().split("\n")[0] ?? String(error);
        reason = `no Docker engine answers (${detail}): start one, or point DOCKER_HOST at one`;
      }
      answer = { reason };
    }
    return answer.reason;
  };
})();

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `docker …` to completion; rejects with its output when it fails. */
export async function docker(
  args: readonly string[],
  { env = {}, timeoutMs = 120_000 }: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run("docker", args, {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout: stdout.trim(), stderr: stderr.trim() };
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `docker ${args.join(" ")} failed: ${String((error as Error).message).split("\n")[0]}\n${stderr}\n${stdout}`.trim(),
    );
  }
}

/**
 * A port the engine publishes, reached from this machine at the same number: directly, unless the
 * engine runs in a network namespace of its own behind slirp4netns (as CI's does, see
 * docs/deploy.md), whose API socket DOCKER_SLIRP4NETNS_API names: then this machine's port is
 * forwarded to it. Pick the port free on this machine (`freePort`). Undo with `close`.
 */
export interface ForwardedPort {
  readonly port: number;
  close(): Promise<void>;
}

function slirpCall(socket: string, message: unknown): Promise<{ return?: { id?: number }; error?: { desc?: string } }> {
  return new Promise((resolve, reject) => {
    const connection = connect(socket);
    let reply = "";
    connection.on("connect", () => connection.end(JSON.stringify(message)));
    connection.on("data", (chunk) => {
      reply += chunk.toString();
    });
    connection.on("end", () => {
      try {
        resolve(JSON.parse(reply));
      } catch {
        reject(new Error(`slirp4netns answered ${JSON.stringify(reply)}`));
      }
    });
    connection.on("error", reject);
  });
}

export async function forwardPublishedPort(port: number): Promise<ForwardedPort> {
  const socket = process.env.DOCKER_SLIRP4NETNS_API;
  if (!socket) return { port, close: async () => {} };
  const answer = await slirpCall(socket, {
    execute: "add_hostfwd",
    arguments: { proto: "tcp", host_addr: "127.0.0.1", host_port: port, guest_port: port },
  });
  const id = answer.return?.id;
  if (id === undefined) throw new Error(`slirp4netns cannot forward port ${port}: ${answer.error?.desc}`);
  return {
    port,
    close: async () => {
      await slirpCall(socket, { execute: "remove_hostfwd", arguments: { id } });
    },
  };
}

export const COMPOSE_FILE = join(repoRoot, "infra/docker-compose.yml");
export const STACK_FILE = join(repoRoot, "infra/docker-stack.yml");

/** infra/docker-stack.yml, parsed (anchors and merge keys resolved), not interpolated. */
export function stackFile(): {
  readonly name?: string;
  readonly services: Readonly<Record<string, Record<string, unknown> & { deploy?: Record<string, unknown> }>>;
  readonly secrets?: Readonly<Record<string, Record<string, unknown>>>;
} {
  return parseYaml(readFileSync(STACK_FILE, "utf8"), { merge: true });
}

/** The key a test's compose stack verifies bearer tokens with: tests sign their tokens with it. */
export const COMPOSE_JWT_SECRET = "compose-test-jwt-secret-0123456789abcdef";

const POSTGRES_PASSWORD = "compose-test-postgres-password-0123456789abcdef";

/**
 * sync-api's database URL as infra/.env.example makes it: its DATABASE_URL line, with the
 * POSTGRES_PASSWORD it names (compose interpolates a .env file; a test passes the result).
 */
function exampleDatabaseUrl(password: string): string {
  const example = readFileSync(join(repoRoot, "infra/.env.example"), "utf8");
  const line = /^DATABASE_URL=(.+)$/m.exec(example)?.[1];
  if (!line) throw new Error("infra/.env.example has no DATABASE_URL line");
  return line.replaceAll(["$", "{POSTGRES_PASSWORD}"].join(""), password);
}

/** The variables compose reads infra/docker-compose.yml with, for a test's own stack. */
function composeEnv(port: number, imageTag: string): Record<string, string> {
  return {
    PORT: String(port),
    SECRET_KEY: "compose-test-secret-key-0123456789abcdef",
    JWT_SECRET: COMPOSE_JWT_SECRET,
    POSTGRES_PASSWORD,
    DATABASE_URL: exampleDatabaseUrl(POSTGRES_PASSWORD),
    IMAGE_TAG: imageTag,
    // The container tests load the stack from one address: the proxy's limits per client open wide.
    ...ONE_CLIENT_LOAD_LIMITS,
  };
}

/** The image each service of infra/docker-compose.yml runs (app images tagged `imageTag`). */
export async function composeImages(imageTag = "test"): Promise<Record<string, string>> {
  const { stdout } = await docker(["compose", "-f", COMPOSE_FILE, "config", "--format", "json"], {
    env: composeEnv(8080, imageTag),
  });
  const config = JSON.parse(stdout) as { services: Record<string, { image: string }> };
  return Object.fromEntries(Object.entries(config.services).map(([name, service]) => [name, service.image]));
}

/** Builds both app images from infra/docker/Dockerfile as `docker compose build` does. */
export async function buildImages(imageTag = "test"): Promise<Record<string, string>> {
  await docker(["compose", "-f", COMPOSE_FILE, "build"], { env: composeEnv(8080, imageTag), timeoutMs: 20 * 60_000 });
  return composeImages(imageTag);
}

/**
 * The hostnames (a container's hostname is its short id) in whose log lines, among `containers`',
 * a request id starting with `prefix` appears: the replicas that answered those requests.
 */
export async function answeringHosts(containers: readonly string[], prefix: string): Promise<Set<string>> {
  const hosts = new Set<string>();
  for (const container of containers) {
    const { stdout, stderr } = await docker(["logs", container]);
    for (const line of `${stdout}\n${stderr}`.split("\n")) {
      if (!line.startsWith("{") || !line.includes(prefix)) continue;
      const entry = JSON.parse(line) as { reqId?: string; hostname?: string };
      if (entry.reqId?.startsWith(prefix) && entry.hostname) hosts.add(entry.hostname);
    }
  }
  return hosts;
}

export interface ComposeStack {
  /** The proxy's origin, as this machine reaches it. */
  readonly url: string;
  /** The image of each service. */
  readonly images: Record<string, string>;
  /** Compose's project name: the stack's containers, networks and volume carry it. */
  readonly project: string;
  /** `docker compose -p <project> -f infra/docker-compose.yml …` with the stack's variables. */
  compose(args: readonly string[], timeoutMs?: number): Promise<CommandResult>;
  /** `docker compose down -v`: containers, network and volume gone; the images stay. */
  stop(): Promise<void>;
}

export interface ComposeStackOptions {
  /** The port the proxy publishes; a free one when not given. */
  readonly port?: number;
  readonly project?: string;
  /** The image tag compose builds (IMAGE_TAG): a test's own, so a developer's images are left alone. */
  readonly imageTag?: string;
}

/**
 * infra/docker-compose.yml as a user runs it, `docker compose up --build --wait`: both images built
 * from infra/docker/Dockerfile, the stack up and healthy. A project name and port of its own, so a
 * stack the developer runs is not disturbed. On failure, what was started is taken down again.
 */
export async function startComposeStack(options: ComposeStackOptions = {}): Promise<ComposeStack> {
  const published = options.port ?? (await freePort());
  const project = options.project ?? `api-starter-test-${published}`;
  const env = composeEnv(published, options.imageTag ?? "test");
  const compose = (args: readonly string[], timeoutMs = 120_000) =>
    docker(["compose", "-p", project, "-f", COMPOSE_FILE, ...args], { env, timeoutMs });
  let forwarded: ForwardedPort | undefined;
  const stop = async () => {
    await forwarded?.close();
    await compose(["down", "-v", "--remove-orphans", "--timeout", "40"], 120_000);
  };
  try {
    await compose(["up", "--build", "--detach", "--wait"], 20 * 60_000);
    forwarded = await forwardPublishedPort(published);
    const url = `http://127.0.0.1:${forwarded.port}`;
    await waitForHttp(`${url}/healthz`, { timeoutMs: 30_000 });
    await waitForHttp(`${url}${ASYNC_PREFIX}/healthz`, { timeoutMs: 30_000 });
    return { url, images: await composeImages(env.IMAGE_TAG), project, compose, stop };
  } catch (error) {
    const logs = await compose(["logs", "--no-color", "--tail", "50"]).catch(() => undefined);
    await stop().catch(() => {});
    throw new Error(`${String(error)}${logs ? `\n--- compose logs ---\n${logs.stdout}` : ""}`);
  }
}

/**
 * Whether the Docker tests run here. Without an engine they are skipped with a loud warning (a
 * developer's machine may have none), except under CI=true, where that is an error.
 */
export function dockerTestsRun(what: string): boolean {
  return runsHere(what, dockerMissing());
}
