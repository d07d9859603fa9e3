/**
 * infra/docker-stack.yml on a single-node Docker Swarm: `docker stack deploy` takes it, sync-api's
 * two replicas (placed anywhere) share the PostgreSQL service's database, and a rolling update of
 * sync-api under load fails no request. The swarm is the engine's own when it already is a
 * manager; otherwise it is made for the test and left after, which only CI (CI=true) or
 * DOCKER_SWARM_TEST=1 allows: it changes the engine's state.
 *
 * What the replicas share is shown with the one thing every project keeps in the database: the
 * rate-limit counts. GET /compute/primes is limited (here far above the load, for an hour) and
 * counted in PostgreSQL, so one client's requests count down one number whichever replica answers
 * them, and the new tasks of an update count on from where the old ones left.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ASYNC_PREFIX,
  answeringHosts,
  buildImages,
  composeImages,
  docker,
  dockerTestsRun,
  type ForwardedPort,
  forwardPublishedPort,
  freePort,
  ONE_CLIENT_LOAD_LIMITS,
  STACK_FILE,
  startLoad,
  waitFor,
  waitForHttp,
} from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCKED_DOWN, seenByRoot } from "../support/lockdown.ts";

const SECRET = "api-starter_secret_key";
const JWT_SECRET = "api-starter_jwt_secret";
const POSTGRES_PASSWORD = "api-starter_postgres_password";
const DATABASE_URL = "api-starter_database_url";
/** The secrets' contents: PostgreSQL's password is also in sync-api's URL (the stack file's head). */
const password = "swarm-test-postgres-password-0123456789abcdef";
const SECRETS: Readonly<Record<string, string>> = {
  [SECRET]: `${SECRET}-swarm-test-key-0123456789abcdef`,
  [JWT_SECRET]: `${JWT_SECRET}-swarm-test-key-0123456789abcdef`,
  [POSTGRES_PASSWORD]: password,
  [DATABASE_URL]: `postgres://sync_api:${password}@postgres:5432/sync_api`,
};
/** The limited route the test counts on, and its limit for this stack: an hour's window, never reached. */
const COUNTED = "/compute/primes?below=10";
const LIMIT = 10_000_000;
/** `RateLimit: "GET /compute/primes"; r=41; t=3555`: the requests left in the window. */
const remaining = (response: Response) => Number(/;\s*r=(\d+)/.exec(response.headers.get("ratelimit") ?? "")?.[1]);

async function swarmState(): Promise<string> {
  return (await docker(["info", "--format", "{{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}"])).stdout;
}

const run = dockerTestsRun("swarm tests") && (await swarmAllowed());

async function swarmAllowed(): Promise<boolean> {
  const state = await swarmState();
  if (state === "active/true" || process.env.CI || process.env.DOCKER_SWARM_TEST === "1") return true;
  console.warn(
    `\n  ⚠  swarm tests SKIPPED: the engine is not a swarm manager (${state}); DOCKER_SWARM_TEST=1 lets the test make it one (and leave the swarm after)\n`,
  );
  return false;
}

describe.runIf(run)("the stack on a single-node swarm", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  let stack = "";
  let url = "";
  let env: Record<string, string> = {};
  const service = (name: string) => `${stack}_${name}`;
  const tasks = async (name: string) =>
    (await docker(["ps", "--quiet", "--filter", `label=com.docker.swarm.service.name=${service(name)}`])).stdout
      .split("\n")
      .filter(Boolean);

  beforeAll(async () => {
    const state = await swarmState();
    if (state !== "active/true") {
      if (state.startsWith("active")) throw new Error(`this engine is a swarm worker (${state}), not a manager`);
      // DOCKER_SWARM_* come from the CI engine (.ci/docker/engine.sh): the address its namespace
      // has, and overlay networks that stay clear of its own.
      const advertise = process.env.DOCKER_SWARM_ADVERTISE_ADDR;
      const pool = process.env.DOCKER_SWARM_ADDR_POOL;
      await docker([
        "swarm",
        "init",
        ...(advertise ? ["--advertise-addr", advertise] : []),
        ...(pool ? ["--default-addr-pool", pool] : []),
      ]);
      cleanup.unshift(() => docker(["swarm", "leave", "--force"]));
    }
    // PostgreSQL runs where its volume is: the node labelled for it.
    const node = (await docker(["info", "--format", "{{.Swarm.NodeID}}"])).stdout;
    const labels = (await docker(["node", "inspect", "--format", "{{json .Spec.Labels}}", node])).stdout;
    if (!labels.includes('"api-starter.postgres-data":"true"')) {
      await docker(["node", "update", "--label-add", "api-starter.postgres-data=true", node]);
      cleanup.unshift(() => docker(["node", "update", "--label-rm", "api-starter.postgres-data", node]));
    }
    const images = await buildImages("test");
    expect(images["sync-api"]).toMatch(/\/sync-api:test$/);

    const secrets = (await docker(["secret", "ls", "--format", "{{.Name}}"])).stdout.split("\n");
    for (const [name, value] of Object.entries(SECRETS)) {
      if (secrets.includes(name)) continue;
      const dir = mkdtempSync(join(tmpdir(), "swarm-secret-"));
      writeFileSync(join(dir, "key"), value);
      await docker(["secret", "create", name, join(dir, "key")]);
      rmSync(dir, { recursive: true });
      cleanup.unshift(() => docker(["secret", "rm", name]));
    }

    const port = await freePort();
    stack = `api-starter-test-${port}`;
    // The load below comes from one address: the proxy's limits per client open wide, and
    // sync-api's own stay on (counted in PostgreSQL) with GET /compute/primes's far above it.
    env = {
      PORT: String(port),
      IMAGE_TAG: "test",
      ...ONE_CLIENT_LOAD_LIMITS,
      SYNC_API_RATE_LIMIT__ENABLED: "true",
      SYNC_API_RATE_LIMIT__ROUTES: JSON.stringify({ "GET /compute/primes": { limit: LIMIT, windowMs: 3_600_000 } }),
    };
    const deployedAt = Date.now();
    // The images are this engine's own (no registry to resolve them from).
    await docker(["stack", "deploy", "--resolve-image", "never", "--compose-file", STACK_FILE, stack], { env });
    cleanup.unshift(async () => {
      await docker(["stack", "rm", stack]);
      // `stack rm` returns at once; its containers and network go after.
      await waitFor(
        "the stack's containers to be gone",
        async () =>
          (await docker(["ps", "--all", "--quiet", "--filter", `label=com.docker.stack.namespace=${stack}`])).stdout
            ? undefined
            : true,
        { timeoutMs: 120_000, intervalMs: 1_000 },
      );
      await docker(["volume", "rm", `${stack}_postgres-data`]);
    });
    await waitFor(
      "every service's tasks to run",
      async () => {
        const { stdout } = await docker([
          "service",
          "ls",
          "--filter",
          `label=com.docker.stack.namespace=${stack}`,
          "--format",
          "{{.Replicas}}",
        ]);
        // "1/1", "2/2 (max 1 per node)": running/desired for each service. (sync-api's tasks
        // exit until PostgreSQL answers, and are started again: no depends_on in a stack.)
        const counts = stdout.split("\n").map((replicas) => /^(\d+)\/(\d+)/.exec(replicas) ?? []);
        return counts.length === 4 && counts.every(([, up, of]) => up === of && Number(up) > 0) ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000 },
    );
    const forwarded: ForwardedPort = await forwardPublishedPort(port);
    cleanup.unshift(() => forwarded.close());
    url = `http://127.0.0.1:${forwarded.port}`;
    await waitForHttp(`${url}/healthz`, { timeoutMs: 60_000 });
    await waitForHttp(`${url}${ASYNC_PREFIX}/healthz`, { timeoutMs: 60_000 });
    console.log(`swarm: stack ${stack} deployed and answering in ${Math.round((Date.now() - deployedAt) / 1000)} s`);
  });

  afterAll(async () => {
    for (const step of cleanup) await step().catch((error: unknown) => console.warn(String(error)));
  });

  it("deploys sync-api with start-first, health-gated rolling updates that roll back on failure", async () => {
    const spec = JSON.parse(
      (await docker(["service", "inspect", "--format", "{{json .Spec}}", service("sync-api")])).stdout,
    ) as {
      UpdateConfig: Record<string, unknown>;
      TaskTemplate: {
        ContainerSpec: {
          StopGracePeriod: number;
          Healthcheck?: unknown;
          Mounts?: { Type: string; Target: string }[];
          ReadOnly?: boolean;
          CapabilityDrop?: string[];
        };
        Placement?: { Constraints?: string[] };
      };
      EndpointSpec: { Mode: string };
      Mode: { Replicated?: { Replicas: number } };
    };
    expect(spec.UpdateConfig).toMatchObject({ Parallelism: 1, Order: "start-first", FailureAction: "rollback" });
    // Two replicas by default, on any node, with no volume (its data is in PostgreSQL): /tmp in
    // memory only, the root read-only, no capability, as its Kubernetes pod.
    expect(spec.Mode.Replicated?.Replicas).toBe(2);
    expect(spec.TaskTemplate.Placement?.Constraints ?? []).toEqual([]);
    expect(spec.TaskTemplate.ContainerSpec).toMatchObject({
      Mounts: [{ Type: "tmpfs", Target: "/tmp" }],
      ReadOnly: true,
      CapabilityDrop: ["ALL"],
    });
    expect(spec.EndpointSpec.Mode).toBe("dnsrr");
    expect(spec.TaskTemplate.ContainerSpec.Healthcheck).toBeDefined();
    // Longer than the apps' graceful timeout (30 s): a draining task is not killed.
    expect(spec.TaskTemplate.ContainerSpec.StopGracePeriod).toBeGreaterThan(30e9);
  });

  it("runs both apps' tasks locked down: root cannot write outside /tmp, no capability held", async () => {
    for (const app of ["sync-api", "async-api"]) {
      const [task] = await tasks(app);
      expect({ app, seen: await seenByRoot(task as string) }).toMatchObject({
        app,
        seen: expect.stringMatching(LOCKED_DOWN),
      });
    }
  });

  it("its two replicas answer through the proxy and count in one PostgreSQL database", async () => {
    const replicas = await tasks("sync-api");
    expect(replicas).toHaveLength(2);
    const prefix = `swarm-shared-${Date.now()}-`;
    const counts: number[] = [];
    const hosts = await waitFor(
      "both replicas to answer",
      async () => {
        for (let i = 0; i < 10; i++) {
          const response = await fetch(`${url}${COUNTED}`, {
            headers: { "x-request-id": `${prefix}${counts.length}` },
          });
          expect(response.status).toBe(200);
          counts.push(remaining(response));
        }
        const answered = await answeringHosts(replicas, prefix);
        return answered.size === 2 ? answered : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
    console.log(
      `swarm: sync-api replicas ${[...hosts].join(" and ")} both answered ${counts.length} requests, counted down from ${counts[0]} to ${counts.at(-1)}`,
    );
    expect([...hosts].sort()).toEqual(replicas.map((id) => id.slice(0, 12)).sort());
    // One count for both: each request, whichever replica took it, leaves exactly one fewer.
    expect(counts).toEqual(counts.map((_, i) => (counts[0] as number) - i));
    // Both replicas' workers hold their connections to that one server.
    const postgres = (await tasks("postgres"))[0] as string;
    const { stdout } = await docker([
      "exec",
      postgres,
      "psql",
      "--username=sync_api",
      "--dbname=sync_api",
      "--tuples-only",
      "--no-align",
      "--command=SELECT DISTINCT client_addr FROM pg_stat_activity WHERE application_name = 'sync-api'",
    ]);
    expect(stdout.split("\n").filter(Boolean)).toHaveLength(2);
  });

  it("a rolling update of sync-api under load fails no request; the new tasks count on in PostgreSQL", async () => {
    const old = await tasks("sync-api");
    expect(old).toHaveLength(2);
    // A new version: the same build under a new tag, so swarm replaces every task.
    const image = (await composeImages("test"))["sync-api"] as string;
    const next = image.replace(/:test$/, ":test-next");
    await docker(["tag", image, next]);

    const before = await fetch(`${url}${COUNTED}`);
    const countBefore = remaining(before);
    const load = startLoad(url, ["/healthz", "/compute/primes?below=1000", "/compute/primes?below=1000000"], {
      clients: 4,
    });
    try {
      await waitFor("load", async () => (load.outcomes.length > 50 ? true : undefined), { timeoutMs: 60_000 });
      const startedAt = Date.now();
      // Returns once the tasks have converged; the update is done after its monitor period.
      await docker(
        ["service", "update", "--detach=false", "--no-resolve-image", "--image", next, service("sync-api")],
        { timeoutMs: 300_000 },
      );
      const status = await waitFor(
        "the update to complete (or roll back)",
        async () => {
          const { stdout } = await docker([
            "service",
            "inspect",
            "--format",
            "{{json .UpdateStatus}}",
            service("sync-api"),
          ]);
          const update = JSON.parse(stdout) as { State: string; Message?: string };
          return update.State === "updating" ? undefined : update;
        },
        { timeoutMs: 180_000, intervalMs: 1_000 },
      );
      const updateMs = Date.now() - startedAt;
      const count = load.outcomes.length;
      await waitFor("load on the new tasks", async () => (load.outcomes.length > count + 100 ? true : undefined), {
        timeoutMs: 60_000,
      });
      await load.stop();
      console.log(
        `swarm: rolling update of sync-api ${status.State} in ${Math.round(updateMs / 1000)} s under load: ` +
          `${load.outcomes.length} requests, ${load.failures().length} failed`,
      );

      // The new tasks alone: an old one may still be draining its last requests.
      const after = await waitFor(
        "the old tasks to be gone",
        async () => {
          const running = await tasks("sync-api");
          return running.length === 2 && !running.some((id) => old.includes(id)) ? running : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 1_000 },
      ).catch(async (error: unknown) => {
        const history = await docker(["service", "ps", "--no-trunc", service("sync-api")]);
        throw new Error(`${String(error)}\n${history.stdout}`);
      });
      expect(status.State).toBe("completed");
      expect(after).toHaveLength(2);
      expect(after.filter((id) => old.includes(id))).toEqual([]);
      expect(load.outcomes.length).toBeGreaterThan(200);
      expect(load.failures()).toEqual([]);
      // Every counted request of the load (a retried one may count twice) is off the count the
      // new tasks give: they read the old tasks' count from the database.
      const counted = load.outcomes.filter((o) => o.path.startsWith("/compute/primes")).length;
      const countAfter = remaining(await fetch(`${url}${COUNTED}`));
      console.log(
        `swarm: the count went from ${countBefore} to ${countAfter} over ${counted} counted requests of the load`,
      );
      expect(countAfter).toBeLessThanOrEqual(countBefore - counted - 1);
      expect(countAfter).toBeGreaterThan(0);
    } finally {
      await load.stop();
    }
  });
});
