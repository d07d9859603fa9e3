/**
 * The apps' deadline for a request to arrive in full (`http.requestTimeoutMs`, Node's
 * `requestTimeout`), seen from outside through both proxies: nginx in front of the production
 * builds and the dev proxy in front of the sources. Both stream a body to the app as it comes
 * (nginx: `proxy_request_buffering off`), so a body trickled in is cut by the app with its 408
 * problem however slowly it comes; nginx's own `client_body_timeout` only cuts a body that stalls.
 * A small deadline here, so each case takes seconds.
 */
import { ProblemDetails } from "@repo/contracts";
import {
  ASYNC_PREFIX,
  nginxMissing,
  ONE_CLIENT_LOAD_LIMITS,
  type ProductionStack,
  type RawAnswer,
  runsHere,
  startDevStack,
  startProductionStack,
  stopAll,
  trickle,
} from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";

const DEADLINE_MS = 4_000;
const deadlineEnv = {
  SYNC_API_HTTP__REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
  ASYNC_API_HTTP__REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
};

// The test route table's echo route takes a body in both apps (NODE_ENV=test serves it).
const body = JSON.stringify({ email: "slow@example.com", age: 7 });
const head = (prefix: string) =>
  `POST ${prefix}/_test/echo/1?limit=1 HTTP/1.1\r\nHost: x\r\nX-Tenant: acme\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
/**
 * A byte every 3 s, the pace of the finding ("still open after 400 s" through nginx): within
 * nginx's client_body_timeout (10 s) each time, and the body would take over 100 s.
 */
const trickled = { everyMs: 3_000, pieces: [...body] };
/** Five pieces 100 ms apart: slow, but in well within the deadline. */
const steady = { everyMs: 100, pieces: body.match(/.{1,7}/g) ?? [] };

/** The 408 problem, on a connection the server then closed (trickle resolves on the close). */
function expectDeadlineProblem(answer: RawAnswer | undefined): ProblemDetails {
  expect(answer?.status, JSON.stringify(answer)).toBe(408);
  expect(answer?.headers["content-type"]).toMatch(/^application\/problem\+json/);
  return ProblemDetails.parse(JSON.parse(answer?.text ?? ""));
}

afterAll(stopAll);

const cases = [
  ["sync-api", ""],
  ["async-api", ASYNC_PREFIX],
] as const;

/**
 * The same checks through one proxy's origin; the problems it got, per app, for comparing. They
 * run at once (each on its own connection): most of their time is waiting for the deadline.
 */
function deadlineCases(origin: () => string, problems: Map<string, ProblemDetails>) {
  for (const [app, prefix] of cases) {
    it.concurrent(`${app}: a body trickled in gets the 408 problem at the deadline, and the connection closes`, async () => {
      const problem = expectDeadlineProblem(await trickle(origin(), head(prefix), trickled));
      expect(problem).toMatchObject({ status: 408, title: "Request Timeout" });
      problems.set(app, problem);
    }, 30_000);

    it.concurrent(`${app}: a head whose body never comes gets the 408 problem at the deadline too`, async () => {
      // Not a byte of the body: the deadline still ends it, with the same problem.
      const problem = expectDeadlineProblem(await trickle(origin(), head(prefix), { everyMs: 1_000, pieces: [] }));
      expect(problem).toMatchObject({ status: 408, title: "Request Timeout" });
    }, 30_000);

    it.concurrent(`${app}: a slow but steady upload that ends within the deadline is answered`, async () => {
      const answer = await trickle(origin(), head(prefix), steady);
      expect(answer?.status, JSON.stringify(answer)).toBe(200);
      expect(JSON.parse(answer?.text ?? "")).toMatchObject({ body: { email: "slow@example.com", age: 7 } });
    }, 30_000);
  }
}

const throughNginx = new Map<string, ProblemDetails>();
const throughDevProxy = new Map<string, ProblemDetails>();

const withNginx = runsHere("request deadlines through nginx", nginxMissing());

describe.skipIf(!withNginx)("through nginx, in front of the production builds", () => {
  let stack: ProductionStack | undefined;
  afterAll(() => stack?.stop());
  it("starts", async () => {
    stack = await startProductionStack({
      env: { NODE_ENV: "test", ...deadlineEnv },
      // The stack's readiness probes and these requests come from one address.
      nginx: ONE_CLIENT_LOAD_LIMITS,
    });
  }, 240_000);
  deadlineCases(() => stack?.url ?? "", throughNginx);
});

describe("through the dev proxy", () => {
  let url = "";
  it("starts", async () => {
    url = (await startDevStack({ env: deadlineEnv })).url;
  }, 120_000);
  deadlineCases(() => url, throughDevProxy);

  it.skipIf(!withNginx)("the same problem through both proxies", () => {
    const shape = (problems: Map<string, ProblemDetails>) =>
      // By app: the cases run at once, so the map's order is whichever answered first.
      [...problems]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([app, { type, title, status, detail }]) => [app, { type, title, status, detail }]);
    expect(shape(throughDevProxy)).toHaveLength(2);
    expect(shape(throughNginx)).toEqual(shape(throughDevProxy));
  });
});
