/**
 * The images and the compose stack in a real Docker engine, built and brought up as a user does
 * (`docker compose up --build --wait`): what is in the final images and how they run (sync-api's
 * PostgreSQL driver built, loading against libpq5, no compiler), their own HEALTHCHECK, sync-api on
 * the postgres service, both apps running with no capability and their code root's (and alone,
 * with a read-only root as in their pods), replicas added with `--scale` found by nginx, and a
 * container stopped (SIGTERM) under load draining within its stop_grace_period without a failed
 * request.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  answeringHosts,
  type ComposeStack,
  composeFile,
  docker,
  dockerTestsRun,
  repoRoot,
  startComposeStack,
  startLoad,
  waitFor,
} from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCKED_DOWN, seenByRoot } from "../support/lockdown.ts";

const APPS = ["sync-api", "async-api"] as const;
const run = dockerTestsRun("container tests (images, compose stack)");
const compose = composeFile();
const mb = (bytes: number) => Math.round(bytes / 1e6);

describe.runIf(run)("the images and the compose stack", () => {
  let stack: ComposeStack;
  const scratch = mkdtempSync(join(tmpdir(), "container-tests-"));
  const started: string[] = [];

  beforeAll(async () => {
    const startedAt = Date.now();
    stack = await startComposeStack({ imageTag: "test" });
    console.log(`compose: images built and stack up (--wait) in ${Math.round((Date.now() - startedAt) / 1000)} s`);
  });
  afterAll(async () => {
    if (started.length > 0) await docker(["rm", "--force", "--volumes", ...started]).catch(() => {});
    await stack?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** `sh -c script` in a throwaway container of `image`, as its own user. */
  const inImage = async (image: string, script: string) =>
    (await docker(["run", "--rm", "--entrypoint", "sh", image, "-c", script])).stdout;

  describe.each(APPS)("the %s image", (app) => {
    const image = () => stack.images[app] as string;

    it("is the base image plus the app, its size reported", async () => {
      const sizeOf = async (name: string) =>
        Number((await docker(["image", "inspect", "--format", "{{.Size}}", name])).stdout);
      const [size, base] = [await sizeOf(image()), await sizeOf("node:24-bookworm-slim")];
      console.log(`${app} image ${image()}: ${mb(size)} MB (its base image ${mb(base)} MB)`);
      // The app and its production dependencies only: tens of MB, not the build stage's hundreds.
      expect(size - base).toBeLessThan(100e6);
    });

    it("runs its process as the non-root user node", async () => {
      expect((await docker(["image", "inspect", "--format", "{{.Config.User}}", image()])).stdout).toBe("node");
      const { stdout } = await stack.compose(["exec", "-T", app, "sh", "-c", "id -u; id -un; cat /proc/1/status"]);
      const [uid, user] = stdout.split("\n");
      expect([uid, user]).toEqual(["1000", "node"]);
      // PID 1 is the app itself (node dist/main.js), running as that user.
      expect(stdout).toMatch(/^Uid:\s+1000\s/m);
    });

    it("holds no dev dependency, no TypeScript source and no pnpm", async () => {
      const pkg = JSON.parse(readFileSync(join(repoRoot, "apps", app, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
        optionalDependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      // The app's own dependencies (optional ones too: sync-api's PostgreSQL driver) are
      // node_modules/<name> (pnpm's layout); a dev dependency is not among them, unless a production
      // one needs it too.
      const direct = (await inImage(image(), "cd /app/node_modules && ls -d [!@]* @*/*")).split("\n");
      expect(direct.sort()).toEqual(Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).sort());
      // Nor is any of the workspace's tools, at any depth.
      const installed = (await inImage(image(), "ls /app/node_modules/.pnpm")).split("\n");
      for (const tool of [
        "typescript@",
        "vitest@",
        "vite@",
        "turbo@",
        "@biomejs+",
        "@playwright+",
        "@types+",
        "autocannon@",
      ]) {
        // One exception: protobufjs (under OpenTelemetry's OTLP exporters, which @repo/tracing
        // ships for tracing.enabled) lists @types/node among its own dependencies.
        expect(
          installed.filter((entry) => entry.startsWith(tool) && !entry.startsWith("@types+node@")),
          tool,
        ).toEqual([]);
      }
      // No TypeScript source of the app's or its @repo/* packages' (they ship dist/ only).
      const ownFiles = "/app/dist /app/node_modules/.pnpm/@repo+*/node_modules/@repo";
      const sources = await inImage(
        image(),
        `find ${ownFiles} -type f \\( -name '*.ts' -o -name '*.mts' -o -name '*.cts' \\) ! -name '*.d.ts' ! -name '*.d.mts' ! -name '*.d.cts'`,
      );
      expect(sources).toBe("");
      expect(
        await inImage(image(), "ls -d /app/node_modules/.pnpm/@repo+*/node_modules/@repo/*/src 2>/dev/null || true"),
      ).toBe("");
      expect(await inImage(image(), "test -f /app/dist/main.js && echo yes")).toBe("yes");
      expect(await inImage(image(), "command -v pnpm tsc || true")).toBe("");
    });

    it("carries the libraries its native addons load (libpq5 for pg-native's), and no compiler", async () => {
      const pkg = JSON.parse(readFileSync(join(repoRoot, "apps", app, "package.json"), "utf8")) as {
        optionalDependencies?: Record<string, string>;
      };
      // The build stage's toolchain and libpq's headers stayed there.
      expect(await inImage(image(), "command -v gcc g++ cc c++ make python3 pg_config || true")).toBe("");
      expect(await inImage(image(), "ls /usr/include/postgresql 2>/dev/null || true")).toBe("");
      // libpq's addon, built in the build stage: sync-api's driver, and wherever pnpm deployed it
      // (pg's optional peer, pg-native, resolves to the workspace's).
      const addons = (
        await inImage(image(), "find /app/node_modules/.pnpm -path '*/node_modules/libpq/build/Release/addon.node'")
      )
        .split("\n")
        .filter(Boolean);
      if ("pg-native" in (pkg.optionalDependencies ?? {})) expect(addons).toHaveLength(1);
      const libpq = await inImage(image(), "dpkg -s libpq5 2>/dev/null | sed -n 's/^Status: //p'");
      expect(libpq).toBe(addons.length > 0 ? "install ok installed" : "");
      for (const addon of addons) {
        // It loads: every library it links against is in the image.
        expect(await inImage(image(), `node -e "require('${addon}'); console.log('loaded')"`)).toBe("loaded");
      }
      if ("pg-native" in (pkg.optionalDependencies ?? {})) {
        const client = await inImage(
          image(),
          "cd /app && node -e \"const Client = require('pg-native'); console.log(typeof new Client().connectSync)\"",
        );
        expect(client).toBe("function");
      }
    });

    it("reports healthy by its own HEALTHCHECK, started alone and locked down as its Kubernetes pod", async () => {
      const secret = join(scratch, `${app}-secret`);
      writeFileSync(secret, "image-test-secret-key-0123456789abcdef\n", { mode: 0o644 });
      // Alone, sync-api has no PostgreSQL: its database secret names a SQLite file instead.
      const databaseUrl = join(scratch, `${app}-database-url`);
      writeFileSync(databaseUrl, "/data/sync-api.sqlite\n", { mode: 0o644 });
      const { stdout: id } = await docker([
        "run",
        "--detach",
        // The pod's securityContext (infra/k8s): a read-only root, /tmp in memory (its emptyDir),
        // no capability, no privilege to gain. /data a volume, as compose's.
        "--read-only",
        "--tmpfs",
        "/tmp:size=64m",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges:true",
        "--volume",
        "/data",
        "--env-file",
        join(repoRoot, "infra/env", `${app}.env`),
        "--volume",
        `${secret}:/run/secrets/secret_key:ro`,
        "--volume",
        `${secret}:/run/secrets/jwt_secret:ro`,
        "--volume",
        `${databaseUrl}:/run/secrets/database_url:ro`,
        image(),
      ]);
      started.push(id);
      const health = await waitFor(
        `${app}'s HEALTHCHECK to pass`,
        async () => {
          const state = JSON.parse((await docker(["inspect", "--format", "{{json .State}}", id])).stdout) as {
            Running: boolean;
            Health?: { Status: string; Log: { ExitCode: number }[] };
          };
          if (!state.Running) throw new Error(`the container stopped: ${(await docker(["logs", id])).stderr}`);
          return state.Health?.Status === "healthy" ? state.Health : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1_000 },
      );
      expect(health.Log.at(-1)?.ExitCode).toBe(0);
      expect(await seenByRoot(id)).toMatch(LOCKED_DOWN);
    });
  });

  it("runs sync-api on the postgres service: its schema there, no SQLite file", async () => {
    const { stdout } = await stack.compose([
      "exec",
      "-T",
      "postgres",
      "psql",
      "--username=sync_api",
      "--dbname=sync_api",
      "--tuples-only",
      "--no-align",
      "--command=SELECT version FROM schema_version",
    ]);
    expect(Number(stdout)).toBeGreaterThanOrEqual(0);
    expect(stdout).toMatch(/^\d+$/);
    const files = await stack.compose(["exec", "-T", "sync-api", "sh", "-c", "ls /data"]);
    expect(files.stdout).toBe("");
  });

  it("runs both apps with no capability and no privilege to gain, their code not theirs to change", async () => {
    for (const app of APPS) {
      const [id] = (await stack.compose(["ps", "--quiet", app])).stdout.split("\n");
      const host = JSON.parse((await docker(["inspect", "--format", "{{json .HostConfig}}", id as string])).stdout) as {
        CapDrop: string[] | null;
        SecurityOpt: string[] | null;
      };
      expect({ app, ...host }).toMatchObject({ app, CapDrop: ["ALL"], SecurityOpt: ["no-new-privileges:true"] });
      // The app's user cannot write its code (root's); root in the container cannot take it either
      // (chown needs CAP_CHOWN); the process's capability sets are empty.
      const exec = async (user: string, script: string) =>
        (await stack.compose(["exec", "-T", "--user", user, app, "sh", "-c", script])).stdout;
      expect(await exec("node", "touch /app/dist/x 2>&1 || true")).toMatch(/Permission denied/);
      expect(await exec("root", "chown node /app/dist 2>&1 || true")).toMatch(/Operation not permitted/);
      expect(await exec("node", "grep -E '^Cap(Prm|Eff|Bnd)' /proc/1/status")).toMatch(
        /^CapPrm:\s+0+\nCapEff:\s+0+\nCapBnd:\s+0+\s*$/,
      );
    }
  });

  it("nginx sends requests to sync-api replicas added with --scale after it started", async () => {
    await stack.compose(["up", "--detach", "--wait", "--no-recreate", "--scale", "sync-api=2"], 5 * 60_000);
    const replicas = (await stack.compose(["ps", "--quiet", "sync-api"])).stdout.split("\n");
    expect(replicas).toHaveLength(2);
    const prefix = `scale-${Date.now()}-`;
    let sent = 0;
    const hosts = await waitFor(
      "both replicas to answer through the proxy",
      async () => {
        for (let i = 0; i < 10; i++) {
          const response = await fetch(`${stack.url}/compute/primes?below=10`, {
            headers: { "x-request-id": `${prefix}${sent++}` },
          });
          expect(response.status).toBe(200);
        }
        const answered = await answeringHosts(replicas, prefix);
        return answered.size === 2 ? answered : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
    expect([...hosts].sort()).toEqual(replicas.map((id) => id.slice(0, 12)).sort());
  });

  it("a sync-api container stopped under load drains within its stop_grace_period, no request failing", async () => {
    const grace = Number.parseInt(compose.services["sync-api"]?.stop_grace_period ?? "", 10);
    expect(grace).toBeGreaterThanOrEqual(31); // the apps' graceful timeout is 30 s
    const replicas = (await stack.compose(["ps", "--quiet", "sync-api"])).stdout.split("\n");
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    const victim = replicas[0] as string;

    // Requests that take a while (a sieve) among quick ones, so some are in flight at the signal.
    const load = startLoad(stack.url, ["/compute/primes?below=2000000", "/healthz", "/compute/primes?below=1000"], {
      clients: 6,
    });
    try {
      await waitFor("load", async () => (load.outcomes.length > 100 ? true : undefined), { timeoutMs: 60_000 });
      const stopAt = Date.now();
      // `docker stop`: SIGTERM, then SIGKILL once the grace period is over (as compose and swarm do).
      await docker(["stop", "--time", String(grace), victim], { timeoutMs: (grace + 30) * 1000 });
      const drainMs = Date.now() - stopAt;
      const state = JSON.parse((await docker(["inspect", "--format", "{{json .State}}", victim])).stdout) as {
        ExitCode: number;
        OOMKilled: boolean;
      };
      const count = load.outcomes.length;
      await waitFor("load after the stop", async () => (load.outcomes.length > count + 100 ? true : undefined), {
        timeoutMs: 60_000,
      });
      await load.stop();

      const inFlight = load.inFlightAt(stopAt);
      console.log(
        `sync-api container drained in ${drainMs} ms (grace ${grace} s), ${inFlight} requests in flight at SIGTERM, ` +
          `${load.outcomes.length} requests in all, ${load.failures().length} failed`,
      );
      // It exited by itself (0), not killed at the end of the grace period (137).
      expect(state).toMatchObject({ ExitCode: 0, OOMKilled: false });
      expect(drainMs).toBeLessThan(grace * 1000);
      expect(inFlight).toBeGreaterThan(0);
      expect(load.failures()).toEqual([]);
    } finally {
      await load.stop();
    }
  });
});
