/**
 * Per-route rate limits in async-api, as it runs: one process, so its in-memory count is the
 * whole count. The limited route is the test table's `GET /async/_test/limited` (its contract: 5
 * per hour). Limits are off under NODE_ENV=test by default; these runs turn them on.
 */
import { ProblemDetails, signToken, TEST_SCOPE } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import {
  ASYNC_PREFIX,
  burst,
  callersBehindOneAddress,
  freePort,
  httpGet,
  rateLimitHeaders,
  startApp,
  stopAll,
  waitForHttp,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";

afterEach(stopAll);

const ROUTE = `GET ${ASYNC_PREFIX}/_test/limited`;

async function startLimited(env: Record<string, string> = {}) {
  const port = await freePort();
  const app = startApp("async-api", {
    env: { ASYNC_API_PORT: String(port), ASYNC_API_RATE_LIMIT__ENABLED: "true", ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${ASYNC_PREFIX}/healthz`, { abortIf: app.exitReason });
  return { app, url };
}

describe("async-api rate limits", () => {
  it("lets exactly the contract's 5 of 12 requests at once through; the rest get the 429 problem", async () => {
    const { url } = await startLimited();
    const answers = await burst(`${url}${ASYNC_PREFIX}/_test/limited`, 12);
    const served = answers.filter((a) => a.status === 200);
    expect(served).toHaveLength(5);
    expect(served.map((a) => rateLimitHeaders(a.headers)?.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const answer of served)
      expect(rateLimitHeaders(answer.headers)).toMatchObject({ policy: ROUTE, quota: 5, windowSeconds: 3_600 });
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(7);
    for (const answer of refused) {
      expect(answer.status).toBe(429);
      expect(answer.headers["content-type"]).toMatch(/^application\/problem\+json/);
      const problem = ProblemDetails.parse(JSON.parse(answer.body));
      expect(problem).toMatchObject({
        title: "Too Many Requests",
        status: 429,
        instance: `${ASYNC_PREFIX}/_test/limited`,
      });
      expect(problem.detail).toContain(`${ROUTE} takes 5 requests`);
      expect(Number(answer.headers["retry-after"])).toBeGreaterThan(0);
      expect(rateLimitHeaders(answer.headers)).toMatchObject({ policy: ROUTE, remaining: 0, quota: 5 });
    }
  });

  it("counts each client apart, by its address as the trusted proxy hop gives it (X-Forwarded-For)", async () => {
    const { url } = await startLimited();
    const from = (client: string) =>
      fetch(`${url}${ASYNC_PREFIX}/_test/limited`, { headers: { "x-forwarded-for": client } }).then((r) => r.status);
    for (let i = 0; i < 5; i++) expect(await from("203.0.113.7")).toBe(200);
    expect(await from("203.0.113.7")).toBe(429);
    expect(await from("203.0.113.8")).toBe(200);
  });

  it("counts a secured route by the token's subject, after the token is checked: callers behind one address each have their quota", async () => {
    const routes = { [`GET ${ASYNC_PREFIX}/_test/whoami`]: { limit: 2, windowMs: 3_600_000 } };
    const { url } = await startLimited({ ASYNC_API_RATE_LIMIT__ROUTES: JSON.stringify(routes) });
    const tokenFor = (subject: string) => signToken(developmentAuth, { subject, scopes: [TEST_SCOPE], ttlS: 600 });
    // Refused for its token (401), a request spends nobody's quota; alice's third is hers alone.
    expect(await callersBehindOneAddress(`${url}${ASYNC_PREFIX}/_test/whoami`, tokenFor)).toEqual({
      anonymous: [401, 401, 401],
      alice: [200, 200, 429],
      bob: [200],
    });
  });

  it("applies a settings override, and refuses a key that names no endpoint, naming the key", async () => {
    const routes = { [ROUTE]: { limit: 2, windowMs: 3_600_000 } };
    const { url } = await startLimited({ ASYNC_API_RATE_LIMIT__ROUTES: JSON.stringify(routes) });
    const answers = await burst(`${url}${ASYNC_PREFIX}/_test/limited`, 4);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429, 429]);
    expect(rateLimitHeaders((await httpGet(`${url}${ASYNC_PREFIX}/_test/limited`)).headers)).toMatchObject({
      quota: 2,
    });

    // The public path, prefix included: `/status` alone names nothing.
    const wrong = startApp("async-api", { env: { ASYNC_API_RATE_LIMIT__ROUTES: '{"GET /status":false}' } });
    expect((await wrong.exited).code).toBe(1);
    expect(wrong.output()).toContain('rateLimit.routes["GET /status"]');
    expect(wrong.output()).toMatch(
      new RegExp(`names no endpoint of this app; its endpoints are .*GET ${ASYNC_PREFIX}/status`),
    );
  });
});
