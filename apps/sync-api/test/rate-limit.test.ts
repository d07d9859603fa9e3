/**
 * Per-route rate limits under the cluster, as it really runs: N workers, one count. The limited
 * route is the test table's `GET /_test/limited` (its contract: 5 per hour, a window no run
 * outlasts). Limits are off under NODE_ENV=test by default; these runs turn them on.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProblemDetails, signToken, TEST_SCOPE } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  burst,
  callersBehindOneAddress,
  descendantsOf,
  freePort,
  httpGet,
  logLines,
  type PlainResponse,
  rateLimitHeaders,
  startApp,
  stopAll,
  waitFor,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startSyncApi } from "./support.ts";

afterEach(stopAll);

const ROUTE = "GET /_test/limited";

function limitsOn(env: Record<string, string> = {}) {
  return {
    SYNC_API_RATE_LIMIT__ENABLED: "true",
    SYNC_API_RATE_LIMIT__PATH: join(mkdtempSync(join(tmpdir(), "rate-limit-")), "rate-limit.sqlite"),
    ...env,
  };
}

const pidOf = (response: PlainResponse) => (JSON.parse(response.body) as { pid: number }).pid;

/** The 429 as both apps answer it: a problem naming the route, Retry-After, the IETF headers. */
function expectRefused(response: PlainResponse, limit: number) {
  expect(response.status).toBe(429);
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  const problem = ProblemDetails.parse(JSON.parse(response.body));
  expect(problem).toMatchObject({ type: "about:blank", title: "Too Many Requests", status: 429 });
  expect(problem.detail).toContain(`${ROUTE} takes ${limit} requests`);
  expect(Number(response.headers["retry-after"])).toBeGreaterThan(0);
  expect(rateLimitHeaders(response.headers)).toMatchObject({ policy: ROUTE, remaining: 0, quota: limit });
}

describe("sync-api rate limits", () => {
  it("counts one limit across 3 workers: of 40 requests at once exactly 30 succeed, from several workers", async () => {
    // An override of the contract's 5: enough requests for the workers to share them out.
    const routes = JSON.stringify({ [ROUTE]: { limit: 30, windowMs: 3_600_000 } });
    const { app, url } = await startSyncApi(3, limitsOn({ SYNC_API_RATE_LIMIT__ROUTES: routes }));
    const answers = await burst(`${url}/_test/limited`, 40);

    const served = answers.filter((a) => a.status === 200);
    // A counter in each worker's memory fails here: each worker would let 30 through alone, so
    // with the 40 spread over two or more workers every one of them would succeed.
    expect(served).toHaveLength(30);
    const pids = new Set(served.map(pidOf));
    expect(pids.size).toBeGreaterThan(1);
    for (const pid of pids) expect(descendantsOf(app.pid)).toContain(pid);
    for (const answer of served) expect(rateLimitHeaders(answer.headers)).toMatchObject({ policy: ROUTE, quota: 30 });
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(10);
    for (const answer of refused) expectRefused(answer, 30);
    expectRefused(await httpGet(`${url}/_test/limited`), 30);
  });

  it("keeps the count through a rolling restart (SIGHUP): new workers go on refusing", async () => {
    const { app, url } = await startSyncApi(3, limitsOn());
    const before = descendantsOf(app.pid);
    const served = [];
    for (let i = 0; i < 5; i++) served.push(await httpGet(`${url}/_test/limited`));
    expect(served.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(served.map((a) => rateLimitHeaders(a.headers)?.remaining)).toEqual([4, 3, 2, 1, 0]);

    process.kill(app.pid, "SIGHUP");
    await waitFor("the rolling restart", async () =>
      logLines(app).some((l) => l.msg === "rolling restart done: 3 of 3 replaced") ? true : undefined,
    );
    expect(descendantsOf(app.pid).filter((pid) => before.includes(pid))).toEqual([]);
    expectRefused(await httpGet(`${url}/_test/limited`), 5);
  });

  it("counts each client apart, by its address as the trusted proxy hop gives it (X-Forwarded-For)", async () => {
    const { app, url } = await startSyncApi(2, limitsOn());
    const from = (client: string) =>
      fetch(`${url}/_test/limited`, { headers: { "x-forwarded-for": client } }).then((r) => r.status);
    for (let i = 0; i < 5; i++) expect(await from("203.0.113.7")).toBe(200);
    expect(await from("203.0.113.7")).toBe(429);
    // Another client behind the same proxy has its own count.
    expect(await from("203.0.113.8")).toBe(200);
    // express-rate-limit's checks of its setup found nothing to say.
    expect(app.output()).not.toMatch(/ERR_ERL|ValidationError/);
  });

  it("counts a secured route by the token's subject, after the token is checked: callers behind one address each have their quota", async () => {
    const routes = JSON.stringify({ "GET /_test/whoami": { limit: 2, windowMs: 3_600_000 } });
    const { url } = await startSyncApi(2, limitsOn({ SYNC_API_RATE_LIMIT__ROUTES: routes }));
    const tokenFor = (subject: string) => signToken(developmentAuth, { subject, scopes: [TEST_SCOPE], ttlS: 600 });
    // Refused for its token (401), a request spends nobody's quota; alice's third is hers alone.
    expect(await callersBehindOneAddress(`${url}/_test/whoami`, tokenFor)).toEqual({
      anonymous: [401, 401, 401],
      alice: [200, 200, 429],
      bob: [200],
    });
  });

  it("takes no count when the settings turn limits off, all of them or one route's", async () => {
    for (const env of [
      { SYNC_API_RATE_LIMIT__ENABLED: "false" },
      { SYNC_API_RATE_LIMIT__ROUTES: JSON.stringify({ [ROUTE]: false }) },
    ]) {
      const { app, url } = await startSyncApi(2, limitsOn(env));
      const answers = await burst(`${url}/_test/limited`, 8);
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
      expect(answers.map((a) => a.headers.ratelimit)).toEqual(Array(8).fill(undefined));
      await app.stop();
    }
  });

  it("refuses to start with a rateLimit.routes key that names no endpoint, naming the key", async () => {
    const app = startApp("sync-api", {
      env: limitsOn({
        SYNC_API_WORKERS: "1",
        SYNC_API_RATE_LIMIT__ROUTES: '{"POST /nope":{"limit":1,"windowMs":1000}}',
      }),
    });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain('rateLimit.routes["POST /nope"]');
    expect(app.output()).toMatch(/names no endpoint of this app; its endpoints are .*GET \/healthz/);
    expect(app.output()).not.toContain("listening");
  });

  it("stops at start-up, naming the file, when the rate-limit store cannot be opened", async () => {
    // A regular file where its folder should be: no process, root included, can create it.
    const blocker = join(mkdtempSync(join(tmpdir(), "rate-limit-")), "not-a-folder");
    writeFileSync(blocker, "");
    const path = join(blocker, "rate-limit.sqlite");
    const port = await freePort();
    const app = startApp("sync-api", {
      env: limitsOn({ SYNC_API_PORT: String(port), SYNC_API_WORKERS: "2", SYNC_API_RATE_LIMIT__PATH: path }),
    });
    expect((await app.exited).code).toBe(1);
    const fatal = logLines(app).find((l) => l.msg === "cannot open the rate-limit store");
    expect(fatal).toMatchObject({ path });
    expect(app.output()).not.toContain("listening");
  });
});
