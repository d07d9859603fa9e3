/**
 * The one routing rule (docs/architecture.md, "One routing rule") and the async prefix from one
 * place (docs/settings.md, "Deployment-wide settings"), through both proxies: the dev proxy in
 * front of the apps from source, and Debian's nginx with the infra template in front of their
 * production builds. One table of odd paths is sent through both; each answer must have the
 * table's status and come from the table's answerer, so the two proxies give the same answer.
 *
 * Every path is built from the test run's ASYNC_PREFIX: `pnpm test` runs this file again with
 * ASYNC_PREFIX=/aio (`test:prefix`), which proves the prefix moves everything at once.
 */
import { api, asyncHealth, type Controller, createClient, NON_CANONICAL_PATH_PROBLEM_TYPE } from "@repo/contracts";
import { DEFAULT_ASYNC_PREFIX, developmentAuth } from "@repo/shared-settings";
import {
  ASYNC_PREFIX,
  nginxMissing,
  PRODUCTION_STACK_JWT_SECRET,
  type RawResponse,
  rawRequest,
  runsHere,
  startApp,
  stopAll,
} from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNoteStreamsServed } from "./support/note-streams.ts"; // #example
import { type SharedStack, sharedStacks } from "./support/shared-stacks.ts";

type Answerer = "proxy" | "sync-api" | "async-api";

/**
 * Who answered. The apps' JSON always says `charset=utf-8` and a proxy's own answers never do
 * (its problems are plain `application/problem+json`, nginx's parse errors HTML). Between the
 * apps: /healthz names its runtime, and otherwise Express sets an ETag on every body it sends,
 * Fastify none.
 */
function answeredBy(response: RawResponse): Answerer {
  if (!/charset=utf-8/i.test(response.headers["content-type"] ?? "")) return "proxy";
  const runtime = /"runtime":"(sync|async)"/.exec(response.text)?.[1];
  if (runtime) return runtime === "sync" ? "sync-api" : "async-api";
  return response.headers.etag ? "sync-api" : "async-api";
}

const P = ASYNC_PREFIX;
/** `/async` → `/%61sync`: the prefix with its first letter percent-encoded. */
const encodedFirst = `/%${P.charCodeAt(1).toString(16)}${P.slice(2)}`;

interface Row {
  readonly target: string;
  readonly status: number;
  readonly by: Answerer;
}
const refused = (target: string): Row => ({ target, status: 400, by: "proxy" });

/** The internal endpoints' paths (parameters filled), as the proxies see them. */
const internal = (api.sync as readonly Controller[]).concat(api.async as readonly Controller[]).flatMap((ctrl) =>
  Object.values(ctrl.endpoints)
    .filter((endpoint) => endpoint.internal)
    .map((endpoint) => `${ctrl.runtime === "async" ? P : ""}${endpoint.path.replace(/:[A-Za-z0-9_]+/g, "1")}`),
);

const ROWS: readonly Row[] = [
  { target: "/healthz", status: 200, by: "sync-api" },
  { target: `${P}/healthz`, status: 200, by: "async-api" },
  // The three found from outside: each proxy used to answer these differently.
  refused(`${encodedFirst}/healthz`),
  refused(`${P}/./healthz`),
  refused(`${P}/../healthz`),
  // Not the prefix: sync-api's, whatever it looks like.
  { target: `${P.toUpperCase()}/healthz`, status: 404, by: "sync-api" },
  { target: `${P};x/healthz`, status: 404, by: "sync-api" },
  { target: `${P}x/healthz`, status: 404, by: "sync-api" },
  { target: `${P}%3f/healthz`, status: 404, by: "sync-api" },
  // The query is not the path: any `/async/` in it routes nowhere (the app then refuses the
  // query's keys, which /healthz does not declare: test/closed-query.test.ts).
  { target: `/healthz?x=${P}/healthz`, status: 400, by: "sync-api" },
  { target: `/healthz?next=/..${P}/../x&y=%2f`, status: 400, by: "sync-api" },
  { target: `${P}/healthz?x=/healthz`, status: 400, by: "async-api" },
  // Under the prefix, in canonical form: async-api's, which has no route for a trailing slash.
  { target: `${P}/healthz/`, status: 404, by: "async-api" },
  { target: `${P}/no-such-route`, status: 404, by: "async-api" },
  // An absolute-form target is routed on its path, the one forwarded.
  { target: `http://evil.example${P}/healthz`, status: 200, by: "async-api" },
  refused(`http://evil.example${P}/../healthz`),
  // Not canonical: decoding or normalising would change the path, so it is refused.
  refused(`${P}%2fhealthz`),
  refused(`${P}%2Fhealthz`),
  refused(`${P}/%2e%2e/healthz`),
  refused(`${P}/%2E/healthz`),
  refused(`/${P}/healthz`),
  refused(`${P}//healthz`),
  refused(`${P}/healthz/.`),
  refused(`${P}\\healthz`),
  refused(`${P}%5chealthz`),
  refused(`${P}/healthz#x`),
  refused(`${P}#/healthz`),
  refused(`${P}/%68ealthz`),
  refused(`/%68ealthz`),
  refused(`/healthz%7e`),
  refused(`${P}/%00`),
  refused(`${P}/%zz`),
  refused(`/..${P}/healthz`),
  // Internal endpoints: as if they did not exist (404) in any spelling the apps would route,
  // refused (400) in any spelling that is not canonical; never served.
  ...internal.flatMap((path): Row[] => [
    { target: path, status: 404, by: "proxy" },
    { target: path.toUpperCase(), status: 404, by: "proxy" },
    { target: `${path}/`, status: 404, by: "proxy" },
    { target: `${path}?after=0`, status: 404, by: "proxy" },
    refused(`/${path}`),
    refused(`${path}/.`),
    refused(`/x/..${path}`),
    refused(`${P}/..${path}`),
    refused(`/%${path.charCodeAt(1).toString(16)}${path.slice(2)}`),
    refused(`${path}%2f`),
    refused(`${path}#`),
  ]),
];

const nginx = runsHere("routing through nginx", nginxMissing());

/** Each stack, and the key its apps verify bearer tokens with. */
const targets = [
  {
    name: "the dev proxy",
    skip: false,
    stack: () => sharedStacks().dev,
    jwtSecret: developmentAuth.jwtSecret,
  },
  {
    name: "nginx",
    skip: !nginx,
    stack: () => sharedStacks().production as SharedStack,
    jwtSecret: PRODUCTION_STACK_JWT_SECRET,
  },
];

afterAll(stopAll);

for (const target of targets) {
  describe.skipIf(target.skip)(`through ${target.name}`, () => {
    let stack: SharedStack;
    beforeAll(() => {
      stack = target.stack();
    });

    it("answers every odd path of the table with its status, from its answerer", async () => {
      const got: string[] = [];
      const want: string[] = [];
      for (const row of ROWS) {
        const response = await rawRequest(stack.url, { method: "GET", target: row.target }, { timeoutMs: 10_000 });
        got.push(`${row.target} → ${response?.status} ${response ? answeredBy(response) : "no answer"}`);
        want.push(`${row.target} → ${row.status} ${row.by}`);
        if (response?.status === 400 && response.headers["content-type"] === "application/problem+json") {
          // A path nginx cannot even parse (NUL, above the root) is refused by its parser before
          // the rule is asked: its own 400 problem, the same status from the same answerer.
          const problem = JSON.parse(response.text);
          if (target.name === "nginx" && problem.type === "about:blank")
            expect(problem).toMatchObject({ status: 400, detail: "The request is not valid HTTP" });
          else expect(problem).toMatchObject({ type: NON_CANONICAL_PATH_PROBLEM_TYPE, status: 400 });
        }
      }
      expect(got).toEqual(want);
    });

    it("refuses a WebSocket upgrade on a path not in canonical form", async () => {
      const response = await rawRequest(
        stack.url,
        {
          method: "GET",
          target: `${P}/./socket`,
          headers: [
            ["Upgrade", "websocket"],
            ["Connection", "Upgrade"],
            ["Sec-WebSocket-Version", "13"],
            ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
          ],
        },
        { timeoutMs: 10_000 },
      );
      expect(response?.status).toBe(400);
      expect(JSON.parse(response?.text ?? "{}")).toMatchObject({ type: NON_CANONICAL_PATH_PROBLEM_TYPE });
    });

    it("serves async-api under the prefix: health through the typed client, SSE and WebSocket", async () => {
      expect(stack.asyncPrefix).toBe(P);
      const healthAnswer = await createClient({ baseUrl: stack.url, asyncPrefix: stack.asyncPrefix })
        .controller(asyncHealth)
        .health();
      expect(healthAnswer.body).toMatchObject({ runtime: "async" });

      await expectNoteStreamsServed(stack, target.jwtSecret); // #example
    });

    it.skipIf(P === DEFAULT_ASYNC_PREFIX)(
      `sends ${DEFAULT_ASYNC_PREFIX}/* to sync-api, as any other path`,
      async () => {
        const response = await rawRequest(stack.url, { method: "GET", target: `${DEFAULT_ASYNC_PREFIX}/healthz` });
        expect(response?.status).toBe(404);
        expect(response && answeredBy(response)).toBe("sync-api");
      },
    );
  });
}

describe("the API's description follows the prefix", () => {
  let url: string;
  beforeAll(() => {
    url = sharedStacks().dev.url;
  });

  it("sync-api's /openapi.json lists every async path under the prefix, and nothing else there", async () => {
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const paths = Object.keys(document.paths);
    const asyncPaths = (api.async as readonly Controller[]).flatMap((ctrl) =>
      Object.values(ctrl.endpoints).map((endpoint) => `${P}${endpoint.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`),
    );
    const streams: string[] = [
      `${P}/events/notes`, // #example
    ];
    expect(paths).toEqual(expect.arrayContaining([...asyncPaths, ...streams]));
    const underPrefix = paths.filter((path) => path.startsWith(`${P}/`));
    expect(underPrefix.sort()).toEqual([...new Set([...asyncPaths, ...streams])].sort());
    if (P !== DEFAULT_ASYNC_PREFIX)
      expect(paths.filter((path) => path.startsWith(`${DEFAULT_ASYNC_PREFIX}/`))).toEqual([]);
  });

  // #region example
  it("the welcome page links async-api under the prefix", async () => {
    const page = await (await fetch(`${url}/`)).text();
    expect(page).toContain(`${P}/healthz`);
    if (P !== DEFAULT_ASYNC_PREFIX) expect(page).not.toContain(`${DEFAULT_ASYNC_PREFIX}/`);
  });
  // #endregion example
});

describe("the two apps cannot be configured with different prefixes", () => {
  it.each([
    ["sync-api", "SYNC_API_ASYNC_PREFIX"],
    ["async-api", "ASYNC_API_ASYNC_PREFIX"],
  ] as const)("%s refuses a prefix of its own (%s), naming ASYNC_PREFIX", async (name, variable) => {
    const app = startApp(name, { env: { [variable]: "/elsewhere" } });
    expect((await app.exited).code).toBe(1);
    expect(app.output()).toContain(
      `asyncPrefix (from env ${variable}): one value for the whole deployment, so the apps and proxies cannot disagree: set ASYNC_PREFIX instead`,
    );
    expect(app.output()).not.toContain("listening");
  });
});
