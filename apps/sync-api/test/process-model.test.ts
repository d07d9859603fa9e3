/**
 * The supervisor's process model under real conditions: a load generator (autocannon) or loops of
 * fresh connections against real workers, signals sent to the real process.
 */
import { Agent } from "node:http";
import { HealthStatus } from "@repo/contracts";
import { descendantsOf, httpGet, isAlive, logLines, stopAll, waitFor } from "@repo/testing";
import autocannon from "autocannon";
import { afterEach, describe, expect, it } from "vitest";
import { RestartBackoff } from "../src/cluster/backoff.ts";
import { startSyncApi } from "./support.ts";

afterEach(stopAll);

/** Sends GETs on fresh connections from `clients` loops until stopped; records every outcome. */
function freshConnectionLoad(url: string, clients: number) {
  const outcomes: { startedAt: number; ok: boolean; error?: string }[] = [];
  let running = true;
  const loops = Array.from({ length: clients }, async () => {
    while (running) {
      const startedAt = Date.now();
      try {
        const { status } = await httpGet(url, { timeoutMs: 5_000 });
        outcomes.push({ startedAt, ok: status === 200 });
      } catch (error) {
        outcomes.push({ startedAt, ok: false, error: String(error) });
      }
    }
  });
  return {
    outcomes,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe("rolling restart on SIGHUP", () => {
  it("replaces every worker under steady load with zero failed requests", async () => {
    // At debug, so the probes it loads the workers with are logged (counted below).
    const { app, url } = await startSyncApi(2, { SYNC_API_LOG__LEVEL: "debug" });
    await waitFor("workers listening", async () => (descendantsOf(app.pid).length === 2 ? true : undefined));
    const before = descendantsOf(app.pid);

    // Without a callback autocannon returns its running instance, which is also a promise of the result.
    const load = autocannon({
      url: `${url}/healthz`,
      connections: 10,
      duration: 120,
    }) as unknown as Promise<autocannon.Result> & { stop(): void };
    await waitFor("load to start", async () =>
      logLines(app).some((l) => l.msg === "request completed") ? true : undefined,
    );
    process.kill(app.pid, "SIGHUP");
    await waitFor(
      "the rolling restart to finish",
      async () => (logLines(app).some((l) => l.msg === "rolling restart done: 2 of 2 replaced") ? true : undefined),
      { timeoutMs: 30_000 },
    );
    // Keep the load on the new workers for a moment, then stop it.
    const servedBefore = logLines(app).filter((l) => l.msg === "request completed").length;
    await waitFor("requests on the new workers", async () =>
      logLines(app).filter((l) => l.msg === "request completed").length > servedBefore + 200 ? true : undefined,
    );
    load.stop();
    const result = await load;

    expect(result.requests.total).toBeGreaterThan(500);
    expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, resets: result.resets }).toEqual({
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      resets: 0,
    });
    const after = descendantsOf(app.pid);
    expect(after).toHaveLength(2);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
    expect(before.filter(isAlive)).toEqual([]);
  });
});

describe("a worker killed with SIGKILL under load", () => {
  it("is replaced, and no request fails but those in flight on it", async () => {
    const { app, url } = await startSyncApi(3);
    const load = freshConnectionLoad(`${url}/healthz`, 6);
    await waitFor("load", async () => (load.outcomes.length > 100 ? true : undefined));
    const victim = descendantsOf(app.pid)[0] as number;
    const killedAt = Date.now();
    process.kill(victim, "SIGKILL");
    await waitFor("a replacement", async () => {
      const now = descendantsOf(app.pid);
      return now.length === 3 && !now.includes(victim) ? true : undefined;
    });
    const count = load.outcomes.length;
    await waitFor("load after the replacement", async () => (load.outcomes.length > count + 100 ? true : undefined));
    await load.stop();

    const failed = load.outcomes.filter((o) => !o.ok);
    // At most one request per client loop can have been in flight on the killed worker.
    expect(failed.length).toBeLessThanOrEqual(6);
    for (const failure of failed) expect(failure.startedAt).toBeLessThanOrEqual(killedAt);
    expect(load.outcomes.filter((o) => o.startedAt > killedAt && !o.ok)).toEqual([]);
  });
});

describe("the worker timeout", () => {
  it("kills a worker stuck in a handler, names its request and where it was stuck, replaces it, and others keep serving", async () => {
    const { app, url } = await startSyncApi(2, { SYNC_API_CLUSTER__WORKER_TIMEOUT_MS: "1500" });
    const before = descendantsOf(app.pid);
    const stuck = httpGet(`${url}/_test/hang`, { timeoutMs: 30_000 }).then(
      () => "answered",
      (error: unknown) => `failed: ${String(error)}`,
    );
    await waitFor("the stuck worker to be killed", async () => {
      // Meanwhile the other worker answers.
      const health = await httpGet(`${url}/healthz`);
      expect(health.status).toBe(200);
      return logLines(app).find((l) => String(l.msg).startsWith("worker timeout"));
    });
    const timeout = logLines(app).find((l) => String(l.msg).startsWith("worker timeout")) as Record<string, unknown>;
    expect(timeout.msg).toMatch(
      /^worker timeout: event loop blocked for \d+ ms while serving GET \/_test\/hang \(request [0-9a-f]{32}\): killing it$/,
    );
    expect(timeout.serving).toMatchObject({ method: "GET", url: "/_test/hang" });
    // The JavaScript stack of the stuck worker, innermost first: the blocking call, in the test route.
    const stack = String(timeout.stack).split("\n");
    expect(stack[0]).toMatch(/^ {4}at blockFor \(file:\/\/.*\/src\/routes\/testing\.ts:\d+:\d+\)$/);
    expect(stack[1]).toMatch(/^ {4}at hang \(file:\/\/.*\/src\/routes\/testing\.ts:\d+:\d+\)$/);
    expect(await stuck).toMatch(/^failed: /);
    const after = await waitFor("a replacement", async () => {
      const now = descendantsOf(app.pid);
      return now.length === 2 && before.some((pid) => !now.includes(pid)) ? now : undefined;
    });
    expect(after.filter((pid) => !before.includes(pid))).toHaveLength(1);
  });
});

describe("the worker and the supervisor", () => {
  it("exchange no message per request", async () => {
    const preload = new URL("./fixtures/count-ipc.mjs", import.meta.url).href;
    const { app, url } = await startSyncApi(1, { NODE_OPTIONS: `--import=${preload}` });
    for (let i = 0; i < 300; i++) expect((await fetch(`${url}/compute/primes?below=10`)).status).toBe(200);
    await app.stop("SIGTERM");
    const counts = [...app.output().matchAll(/ipc messages sent by worker \d+: (\d+)/g)].map((m) => Number(m[1]));
    expect(counts).toHaveLength(1);
    // The cluster's own start-up and shutdown messages only: a message per request would be 300 or more.
    expect(counts[0]).toBeLessThan(10);
  });
});

describe("graceful shutdown on SIGTERM", () => {
  it("lets slow requests in flight finish, then exits 0 within the graceful timeout", async () => {
    const { app, url } = await startSyncApi(2, { SYNC_API_SHUTDOWN__GRACEFUL_TIMEOUT_MS: "10000" });
    const slow = [httpGet(`${url}/_test/slow?ms=1500`), httpGet(`${url}/_test/slow?ms=1500`)];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sentAt = Date.now();
    const exit = await app.stop("SIGTERM", 20_000);
    const exitedAfterMs = Date.now() - sentAt;
    const answers = await Promise.all(slow);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.map((a) => JSON.parse(a.body).sleptMs)).toEqual([1500, 1500]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAfterMs).toBeLessThan(10_000);
  });

  it("stops waiting at the graceful timeout: a request slower than it is cut, the process still exits", async () => {
    const { app, url } = await startSyncApi(1, { SYNC_API_SHUTDOWN__GRACEFUL_TIMEOUT_MS: "1000" });
    const tooSlow = httpGet(`${url}/_test/slow?ms=8000`, { timeoutMs: 20_000 }).then(
      () => "answered",
      () => "cut",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exit = await app.stop("SIGTERM", 20_000);
    expect(exit.code === 0 || exit.signal === "SIGKILL").toBe(true);
    expect(await tooSlow).toBe("cut");
  });

  it("answers /readyz with 503 on a connection still open while the worker drains", async () => {
    const { app, url } = await startSyncApi(1, { SYNC_API_SHUTDOWN__IDLE_CONNECTION_GRACE_MS: "5000" });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const ready = await httpGet(`${url}/readyz`, { agent });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: "ready", runtime: "sync" });
    process.kill(app.pid, "SIGTERM");
    // The same keep-alive connection, still open: the worker now says it is not ready.
    const draining = await waitFor("the worker to start draining", async () => {
      const answer = await httpGet(`${url}/readyz`, { agent });
      return answer.status === 503 ? answer : undefined;
    });
    expect(draining.headers.connection).toBe("close");
    expect(JSON.parse(draining.body)).toMatchObject({ status: 503, detail: expect.stringMatching(/is draining$/) });
    agent.destroy();
    expect((await app.exited).code).toBe(0);
  });
});

describe("max requests", () => {
  it("replaces a worker after max requests plus jitter, without a failed request", async () => {
    const { app, url } = await startSyncApi(2, {
      SYNC_API_LOG__LEVEL: "info",
      SYNC_API_CLUSTER__MAX_REQUESTS: "10",
      SYNC_API_CLUSTER__MAX_REQUESTS_JITTER: "5",
    });
    for (let i = 0; i < 60; i++) {
      const { status, body } = await httpGet(`${url}/healthz`);
      expect(status).toBe(200);
      HealthStatus.parse(JSON.parse(body));
    }
    const replaced = await waitFor("a retirement", async () => {
      const lines = logLines(app).filter((l) => String(l.msg).startsWith("worker replaced (served"));
      return lines.length > 0 ? lines : undefined;
    });
    for (const line of replaced) {
      const served = Number(/served (\d+) requests/.exec(String(line.msg))?.[1]);
      expect(served).toBeGreaterThanOrEqual(10);
      expect(served).toBeLessThanOrEqual(15);
    }
  });
});

describe("restart backoff", () => {
  it("doubles the delay for each crash in a row, up to the maximum, and resets after stable uptime", () => {
    const backoff = new RestartBackoff({ initialMs: 100, maxMs: 1_000, resetAfterMs: 30_000 });
    expect([1, 2, 3, 4, 5].map(() => backoff.nextDelay(50))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoff.nextDelay(30_000)).toBe(100);
    expect(backoff.nextDelay(10)).toBe(200);
  });

  it("is applied by the supervisor to workers that keep crashing", async () => {
    const { app } = await startSyncApi(1, { SYNC_API_CLUSTER__RESTART_BACKOFF__INITIAL_MS: "100" });
    const delays: number[] = [];
    for (let crash = 1; crash <= 3; crash++) {
      const [worker] = await waitFor("a live worker", async () => {
        const now = descendantsOf(app.pid);
        return now.length === 1 ? now : undefined;
      });
      process.kill(worker as number, "SIGKILL");
      const line = await waitFor("the restart log", async () =>
        logLines(app)
          .filter((l) => String(l.msg).startsWith("worker died"))
          .at(crash - 1),
      );
      delays.push(Number(line.restartInMs));
      await waitFor("the replacement", async () => {
        const now = descendantsOf(app.pid);
        return now.length === 1 && now[0] !== worker ? true : undefined;
      });
    }
    expect(delays).toEqual([100, 200, 400]);
  });
});
