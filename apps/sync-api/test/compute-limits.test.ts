/**
 * The costly public route cannot be used by one client to keep every worker busy (issue 20,
 * item 7): its input is capped by `compute.maxBelow`, and its calls per client by its contract's
 * route limit. Both answered by the app, so the same through nginx (the infra template) and the
 * dev proxy.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROBLEM_CONTENT_TYPE, ProblemDetails } from "@repo/contracts";
import {
  burst,
  freePort,
  httpGet,
  nginxMissing,
  type PlainResponse,
  proxyEnvironment,
  rateLimitHeaders,
  runsHere,
  startApp,
  startNginx,
  stopAll,
  waitForHttp,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startSyncApi } from "./support.ts";

afterEach(stopAll);

const ROUTE = "GET /compute/primes";

/**
 * sync-api with its route limits on (off under NODE_ENV=test), with nginx on the infra template
 * and the dev proxy in front: the three ways a client reaches it.
 */
async function startBehindProxies() {
  const app = await startSyncApi(2, {
    SYNC_API_RATE_LIMIT__ENABLED: "true",
    SYNC_API_RATE_LIMIT__PATH: join(mkdtempSync(join(tmpdir(), "rate-limit-")), "rate-limit.sqlite"),
  });
  const [nginxPort, devPort] = await Promise.all([freePort(), freePort()]);
  const nginx = startNginx({
    ...proxyEnvironment(),
    NGINX_PORT: String(nginxPort),
    SYNC_API_UPSTREAM: `127.0.0.1:${app.port}`,
    ASYNC_API_UPSTREAM: `127.0.0.1:${app.port}`,
  });
  const devProxy = startApp("dev-proxy", {
    env: { PORT: String(devPort), SYNC_API_PORT: String(app.port), ASYNC_API_PORT: String(app.port) },
  });
  const origins = { nginx: `http://127.0.0.1:${nginxPort}`, devProxy: `http://127.0.0.1:${devPort}` };
  await waitForHttp(`${origins.nginx}/healthz`, { abortIf: nginx.exitReason });
  await waitForHttp(`${origins.devProxy}/healthz`, { abortIf: devProxy.exitReason });
  return { direct: app.url, ...origins };
}

/** The contract's validation problem for `below`, naming the setting that set the cap. */
function expectCapped(response: PlainResponse, maxBelow: number) {
  expect(response.status).toBe(400);
  expect(response.headers["content-type"]).toMatch(new RegExp(`^${PROBLEM_CONTENT_TYPE.replace("+", "\\+")}`));
  const problem = ProblemDetails.parse(JSON.parse(response.body));
  expect(problem).toMatchObject({ status: 400, type: "/problems/validation", detail: "1 field is invalid" });
  expect(problem.errors).toEqual([
    { location: "query.below", code: "too_big", message: expect.stringContaining(`<=${maxBelow}`) },
  ]);
  expect(problem.errors?.[0]?.message).toContain("compute.maxBelow");
}

const withNginx = describe.skipIf(!runsHere("compute limits through nginx", nginxMissing()));

withNginx("GET /compute/primes, a costly public route", () => {
  it("caps `below` at compute.maxBelow (2,000,000 by default): beyond it the contract's 400, directly and through each proxy", async () => {
    const { direct, nginx, devProxy } = await startBehindProxies();
    for (const origin of [direct, nginx, devProxy]) {
      const atCap = await httpGet(`${origin}/compute/primes?below=2000000`);
      expect(atCap.status).toBe(200);
      expect(JSON.parse(atCap.body)).toMatchObject({ below: 2_000_000, count: 148_933 });
      expectCapped(await httpGet(`${origin}/compute/primes?below=2000001`), 2_000_000);
      expectCapped(await httpGet(`${origin}/compute/primes?below=20000000`), 2_000_000);
    }
  });

  it("takes the cap from the setting, and refuses one above the contract's 20,000,000, naming the key", async () => {
    const { url } = await startSyncApi(1, { SYNC_API_COMPUTE__MAX_BELOW: "1000" });
    expect((await httpGet(`${url}/compute/primes?below=1000`)).status).toBe(200);
    expectCapped(await httpGet(`${url}/compute/primes?below=1001`), 1000);

    const wrong = startApp("sync-api", { env: { SYNC_API_COMPUTE__MAX_BELOW: "20000001" } });
    expect((await wrong.exited).code).not.toBe(0);
    expect(wrong.output()).toContain("compute.maxBelow");
  });

  it("lets one client call it 60 times a minute: the 61st is the app's 429 problem, through each proxy and directly", async () => {
    const { direct, nginx, devProxy } = await startBehindProxies();
    const answers = await burst(`${nginx}/compute/primes?below=10`, 60);
    expect(answers.map((a) => a.status)).toEqual(Array(60).fill(200));
    for (const answer of answers) expect(rateLimitHeaders(answer.headers)).toMatchObject({ policy: ROUTE, quota: 60 });
    // Behind a proxy the app counts the client the proxy names (X-Forwarded-For): here, the same address.
    for (const origin of [nginx, devProxy, direct]) {
      const refused = await httpGet(`${origin}/compute/primes?below=10`);
      expect(refused.status).toBe(429);
      expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(ProblemDetails.parse(JSON.parse(refused.body)).detail).toContain(`${ROUTE} takes 60 requests per 60 s`);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      expect(rateLimitHeaders(refused.headers)).toMatchObject({ policy: ROUTE, remaining: 0, quota: 60 });
    }
    // Another route is not spent by it.
    expect((await httpGet(`${nginx}/healthz`)).status).toBe(200);
  });
});
