/**
 * Combined mode as it really runs: one process, talked to over HTTP, sync handlers on its thread
 * pool. Nothing here is timed: "does not stall" is shown by order (the async answers all arrive
 * while the blocking sync request is still running).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { HealthStatus, PrimeCount, ReadyStatus, signToken, TEST_SCOPE } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  ASYNC_PREFIX,
  burst,
  freePort,
  logLines,
  rateLimitHeaders,
  startApp,
  stopAll,
  waitFor,
  waitForHttp,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startCombined } from "./support.ts";

afterEach(stopAll);

const token = (scopes: string[]) => signToken(developmentAuth, { subject: "combined-test", scopes, ttlS: 600 });

describe("combined mode", () => {
  it("counts each half's rate limits on its main thread: the contract's 5, whichever thread runs the handler", async () => {
    const { url } = await startCombined({
      SYNC_API_RATE_LIMIT__ENABLED: "true",
      ASYNC_API_RATE_LIMIT__ENABLED: "true",
    });
    for (const [path, route] of [
      ["/_test/limited", "GET /_test/limited"],
      [`${ASYNC_PREFIX}/_test/limited`, `GET ${ASYNC_PREFIX}/_test/limited`],
    ] as const) {
      const answers = await burst(`${url}${path}`, 9);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
      const refused = answers.filter((a) => a.status !== 200);
      expect(refused.map((a) => a.status)).toEqual([429, 429, 429, 429]);
      for (const answer of refused) {
        expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(answer.body)).toMatchObject({ status: 429, title: "Too Many Requests" });
        expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
        expect(rateLimitHeaders(answer.headers)).toMatchObject({ policy: route, remaining: 0, quota: 5 });
      }
    }
  });

  it("serves both halves of the API on one port, in one process", async () => {
    const { app, url } = await startCombined();
    const sync = HealthStatus.parse(await (await fetch(`${url}/healthz`)).json());
    const async = HealthStatus.parse(await (await fetch(`${url}${ASYNC_PREFIX}/healthz`)).json());
    expect(sync).toEqual({ status: "ok", runtime: "sync", pid: app.pid });
    expect(async).toEqual({ status: "ok", runtime: "async", pid: app.pid });

    // A sync handler on a thread: the CPU-bound endpoint answers there, not on the event loop.
    const primes = await fetch(`${url}/compute/primes?below=100`);
    expect(primes.status).toBe(200);
    expect(PrimeCount.parse(await primes.json())).toMatchObject({ below: 100, count: 25, largest: 97 });

    // The same contract layer: validation problems, 404 and 405 problems, request ids.
    const invalid = await fetch(`${url}/compute/primes?below=1`, { headers: { "x-request-id": "find-me-1" } });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(await invalid.json()).toMatchObject({
      status: 400,
      requestId: "find-me-1",
      errors: [expect.objectContaining({ location: "query.below" })],
    });
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const wrongMethod = await fetch(`${url}/healthz`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, HEAD, OPTIONS");

    // The whole API's document and its reference page, as sync-api serves them in split mode.
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/compute/primes", `${ASYNC_PREFIX}/healthz`]));
    expect(await (await fetch(`${url}/docs`)).text()).toContain("swagger-ui");
    expect((await fetch(`${url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);

    // sync-api's readiness is this same process's: the status route sees it up.
    const status = await fetch(`${url}${ASYNC_PREFIX}/status`);
    expect(status.status).toBe(200);
  });

  it("keeps answering async routes while a sync handler blocks its thread for seconds", async () => {
    const { url } = await startCombined();
    let slowDone = false;
    const slow = fetch(`${url}/_test/slow?ms=3000`).then(async (response) => {
      slowDone = true;
      return response;
    });
    // Once the slow request has reached its thread, every async answer must arrive before it ends
    // (inline, on the event loop, none could).
    await sleep(300);
    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${url}${ASYNC_PREFIX}/healthz`);
      expect(response.status).toBe(200);
      // The other thread keeps serving sync routes too.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    }
    expect(slowDone).toBe(false);
    expect((await slow).status).toBe(200);
  });

  it("inline, as the benchmark's naive monolith runs them, the same blocking handler stalls the event loop", async () => {
    const { app, url } = await startCombined({ ASYNC_API_COMBINED__SYNC_HANDLERS: "inline" });
    let slowDone = false;
    const slow = fetch(`${url}/_test/slow?ms=1500`).then((response) => {
      slowDone = true;
      return response;
    });
    await sleep(300);
    const health = await fetch(`${url}${ASYNC_PREFIX}/healthz`);
    expect(health.status).toBe(200);
    // The async answer could only come once the blocking handler had finished.
    expect(slowDone).toBe(true);
    expect((await slow).status).toBe(200);
    // And the event-loop guard named it.
    const warning = await waitFor("the guard's warning", async () =>
      logLines(app).find((line) => String(line.msg).startsWith("GET /_test/slow blocked the event loop")),
    );
    expect(warning).toMatchObject({ level: 40, route: "GET /_test/slow" });
  });

  it("checks bearer tokens on the main thread, before the pool; the handler on its thread sees the principal", async () => {
    const { url } = await startCombined({ ASYNC_API_COMBINED__THREADS: "1", ASYNC_API_COMBINED__MAX_QUEUE: "0" });
    const whoami = (authorization?: string) =>
      fetch(`${url}/_test/whoami`, authorization ? { headers: { authorization } } : {});
    const principal = await whoami(`Bearer ${await token([TEST_SCOPE])}`);
    expect(principal.status).toBe(200);
    expect(await principal.json()).toEqual({ subject: "combined-test", scopes: [TEST_SCOPE] });
    const missing = await whoami();
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe(`Bearer realm="api", scope="${TEST_SCOPE}"`);
    const wrongScope = await whoami(`Bearer ${await token(["another:scope"])}`);
    expect(wrongScope.status).toBe(403);
    expect(wrongScope.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    expect((await whoami("Bearer not-a-jwt")).headers.get("www-authenticate")).toContain('error="invalid_token"');

    // The one thread busy and no queue: a refused token is still answered (on the main thread),
    // while a valid one waits for the pool and finds it full.
    const busy = fetch(`${url}/_test/slow?ms=1500`);
    await waitFor("the thread to be busy", async () => {
      const answer = await whoami(`Bearer ${await token([TEST_SCOPE])}`);
      await answer.body?.cancel();
      return answer.status === 503 ? true : undefined;
    });
    expect((await whoami()).status).toBe(401);
    expect((await whoami(`Bearer ${await token(["another:scope"])}`)).status).toBe(403);
    expect((await busy).status).toBe(200);
  });

  it("answers 503 with Retry-After when every thread is busy and the queue is full", async () => {
    const { url } = await startCombined({ ASYNC_API_COMBINED__THREADS: "1", ASYNC_API_COMBINED__MAX_QUEUE: "1" });
    const answers = await Promise.all(
      Array.from({ length: 4 }, () =>
        fetch(`${url}/_test/slow?ms=1000`).then(async (r) => ({ r, body: await r.text() })),
      ),
    );
    const statuses = answers.map(({ r }) => r.status).sort();
    expect(statuses).toEqual([200, 200, 503, 503]);
    const refused = answers.find(({ r }) => r.status === 503);
    expect(refused?.r.headers.get("retry-after")).toBe("1");
    expect(refused?.r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(refused?.body ?? "{}")).toMatchObject({ status: 503 });
  });

  it("answers 504 for a handler past its timeout, replaces its thread, and keeps serving", async () => {
    const { url } = await startCombined({
      ASYNC_API_COMBINED__THREADS: "1",
      ASYNC_API_COMBINED__TASK_TIMEOUT_MS: "500",
    });
    const stuck = await fetch(`${url}/_test/hang`);
    expect(stuck.status).toBe(504);
    expect(await stuck.json()).toMatchObject({
      status: 504,
      detail: expect.stringContaining("combined.taskTimeoutMs"),
    });
    // The one thread was stuck for good: only a new thread can answer. (The timeout counts from
    // the hand-over to the pool, so a request that waits out the new thread's start may get a 504
    // too: wait until one answers.)
    await waitForHttp(`${url}/healthz`, { timeoutMs: 30_000 });
    const after = await fetch(`${url}/compute/primes?below=10`);
    expect(after.status).toBe(200);
  });

  it("replaces a thread that crashes, answering its request with a 500 problem", async () => {
    const { app, url } = await startCombined({ ASYNC_API_COMBINED__THREADS: "1" });
    const crashed = await fetch(`${url}/_test/exit`, { method: "POST" });
    expect(crashed.status).toBe(500);
    expect(crashed.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    // The process lives on, and a new thread serves the sync routes.
    expect((await fetch(`${url}/compute/primes?below=10`)).status).toBe(200);
    expect(app.exitReason()).toBeUndefined();
  });

  it("finishes queued and running sync requests on SIGTERM, and fails readiness meanwhile", async () => {
    const { app, url } = await startCombined({ ASYNC_API_COMBINED__THREADS: "1" });
    // One running on the only thread, one queued behind it.
    const running = [fetch(`${url}/_test/slow?ms=1500`), fetch(`${url}/_test/slow?ms=200`)];
    await sleep(300);
    app.child.kill("SIGTERM");
    await waitFor("readiness to fail", async () => {
      const ready = await fetch(`${url}${ASYNC_PREFIX}/readyz`).catch(() => undefined);
      return ready?.status === 503 ? true : undefined;
    });
    const refused = await fetch(`${url}/compute/primes?below=10`);
    expect(refused.status).toBe(503);
    const answers = await Promise.all(running);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(await app.exited).toEqual({ code: 0, signal: null });
  });

  it("reports the event loop's delay on readiness", async () => {
    const { url } = await startCombined({ ASYNC_API_EVENT_LOOP__DELAY_WINDOW_MS: "100" });
    await sleep(300);
    const ready = ReadyStatus.parse(await (await fetch(`${url}${ASYNC_PREFIX}/readyz`)).json());
    expect(ready.eventLoopDelayMs).toEqual({
      p50: expect.any(Number),
      p99: expect.any(Number),
      max: expect.any(Number),
    });
  });

  it("refuses to start, naming the key, when a setting is invalid", async () => {
    const port = await freePort();
    const app = startApp("combined", {
      env: { ASYNC_API_COMBINED__PORT: String(port), ASYNC_API_COMBINED__THREADS: "0" },
    });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain("combined.threads");
  });
});
