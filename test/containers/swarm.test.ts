/**
 * infra/docker-stack.yml on a single-node Docker Swarm: `docker stack deploy` takes it, nginx finds
 * sync-api replicas added after it started, and a rolling update of sync-api under load fails no
 * request. The swarm is the engine's own when it already is a manager; otherwise it is made for
 * the test and left after, which only CI (CI=true) or DOCKER_SWARM_TEST=1 allows: it changes the
 * engine's state.
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

const SECRET = "api-starter_secret_key";
const JWT_SECRET = "api-starter_jwt_secret";

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
    // sync-api runs where its SQLite volume is: the node labelled for it.
    const node = (await docker(["info", "--format", "{{.Swarm.NodeID}}"])).stdout;
    const labels = (await docker(["node", "inspect", "--format", "{{json .Spec.Labels}}", node])).stdout;
    if (!labels.includes('"api-starter.sync-data":"true"')) {
      await docker(["node", "update", "--label-add", "api-starter.sync-data=true", node]);
      cleanup.unshift(() => docker(["node", "update", "--label-rm", "api-starter.sync-data", node]));
    }
    const images = await buildImages("test");
    expect(images["sync-api"]).toMatch(/\/sync-api:test$/);

    const secrets = (await docker(["secret", "ls", "--format", "{{.Name}}"])).stdout.split("\n");
    for (const name of [SECRET, JWT_SECRET]) {
      if (secrets.includes(name)) continue;
      const dir = mkdtempSync(join(tmpdir(), "swarm-secret-"));
      writeFileSync(join(dir, "key"), `${name}-swarm-test-key-0123456789abcdef`);
      await docker(["secret", "create", name, join(dir, "key")]);
      rmSync(dir, { recursive: true });
      cleanup.unshift(() => docker(["secret", "rm", name]));
    }

    const port = await freePort();
    stack = `api-starter-test-${port}`;
    // The load below comes from one address: the proxy's limits per client open wide.
    env = { PORT: String(port), IMAGE_TAG: "test", SYNC_API_REPLICAS: "1", ...ONE_CLIENT_LOAD_LIMITS };
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
      await docker(["volume", "rm", `${stack}_sync-data`]);
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
        // "1/1", "2/2 (max 1 per node)": running/desired for each service.
        const counts = stdout.split("\n").map((replicas) => /^(\d+)\/(\d+)/.exec(replicas) ?? []);
        return counts.length === 3 && counts.every(([, up, of]) => up === of && Number(up) > 0) ? true : undefined;
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
      TaskTemplate: { ContainerSpec: { StopGracePeriod: number; Healthcheck?: unknown } };
      EndpointSpec: { Mode: string };
    };
    expect(spec.UpdateConfig).toMatchObject({ Parallelism: 1, Order: "start-first", FailureAction: "rollback" });
    expect(spec.EndpointSpec.Mode).toBe("dnsrr");
    expect(spec.TaskTemplate.ContainerSpec.Healthcheck).toBeDefined();
    // Longer than the apps' graceful timeout (30 s): a draining task is not killed.
    expect(spec.TaskTemplate.ContainerSpec.StopGracePeriod).toBeGreaterThan(30e9);
  });

  it("scaled to 2 replicas, both answer through the proxy", async () => {
    expect(await tasks("sync-api")).toHaveLength(1);
    await docker(["service", "scale", "--detach=false", `${service("sync-api")}=2`], { timeoutMs: 180_000 });
    const replicas = await tasks("sync-api");
    expect(replicas).toHaveLength(2);
    const prefix = `swarm-scale-${Date.now()}-`;
    let sent = 0;
    const hosts = await waitFor(
      "both replicas to answer",
      async () => {
        for (let i = 0; i < 10; i++) {
          const response = await fetch(`${url}/compute/primes?below=10`, {
            headers: { "x-request-id": `${prefix}${sent++}` },
          });
          expect(response.status).toBe(200);
        }
        const answered = await answeringHosts(replicas, prefix);
        return answered.size === 2 ? answered : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1_000 },
    );
    console.log(`swarm: sync-api replicas ${[...hosts].join(" and ")} both answered (${sent} requests)`);
    expect([...hosts].sort()).toEqual(replicas.map((id) => id.slice(0, 12)).sort());
  });

  it("a rolling update of sync-api under load fails no request", async () => {
    const before = await tasks("sync-api");
    expect(before).toHaveLength(2);
    // A new version: the same build under a new tag, so swarm replaces every task.
    const image = (await composeImages("test"))["sync-api"] as string;
    const next = image.replace(/:test$/, ":test-next");
    await docker(["tag", image, next]);

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

      const after = await tasks("sync-api");
      console.log(
        `swarm: rolling update of sync-api ${status.State} in ${Math.round(updateMs / 1000)} s under load: ` +
          `${load.outcomes.length} requests, ${load.failures().length} failed`,
      );
      expect(status.State).toBe("completed");
      expect(after).toHaveLength(2);
      expect(after.filter((id) => before.includes(id))).toEqual([]);
      expect(load.outcomes.length).toBeGreaterThan(200);
      expect(load.failures()).toEqual([]);
    } finally {
      await load.stop();
    }
  });
});
