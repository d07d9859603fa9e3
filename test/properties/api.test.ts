/**
 * Property-based tests from the contracts, through the one origin: for every endpoint of `api`,
 * requests generated from its zod schemas (valid, and broken in one place), and hostile ones no
 * schema describes, sent through the dev proxy in front of both apps, and through nginx with the
 * infra template in front of the production builds. Whatever is sent: no 5xx, every error a
 * problem of the documented shape; a valid request gets a status its contract declares and a body
 * its schema takes; no process crashes (and the examples' data invariant, in their own module).
 *
 * Size: PROPERTY_RUNS runs per property (CI's default below); PROPERTY_SEED replays a run. The
 * seed is printed at the start, and a failure prints the seed, the path and the shrunk request.
 */
import { PROBLEM_CONTENT_TYPE } from "@repo/contracts";
import {
  ASYNC_PREFIX,
  descendantsOf,
  nginxMissing,
  ONE_CLIENT_LOAD_LIMITS,
  PRODUCTION_STACK_JWT_SECRET,
  type RawResponse,
  rawRequest,
  runsHere,
  startDevStack,
  startProductionStack,
  stopAll,
} from "@repo/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationHeaders } from "../support/tokens.ts";
import { badHeaders, caseBytes, type HostileCase, oddMethods, pathTricks } from "./hostile.ts";
import {
  answerViolations,
  invalidAnswerViolations,
  refusedAuthViolations,
  validAnswerViolations,
} from "./invariants.ts";
import { arbitraryFor, jsonSchemaOf } from "./json-schema.ts";
import { hostileBodies, listedNotes, NotesModel } from "./notes.ts"; // #example
import {
  describeRequest,
  ENDPOINTS,
  type GeneratedRequest,
  hasInputs,
  invalidRequests,
  isSecured,
  oracle,
  refusedRequests,
  validRequests,
} from "./requests.ts";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 25);
// A fixed seed in CI, so a red run is replayed exactly; a fresh one elsewhere, so runs explore.
const SEED = Number(process.env.PROPERTY_SEED ?? (process.env.CI ? 20_130_013 : Date.now() % 2 ** 31));
const PROPERTY_TIMEOUT_MS = 60_000 + RUNS * 2_000;
console.log(
  `property suite: seed ${SEED}, ${RUNS} runs per property (replay: PROPERTY_SEED=${SEED} PROPERTY_RUNS=${RUNS})`,
);

/** Runs `property` with the suite's seed and size; a failure reports fast-check's replay line and the shrunk request. */
async function holds<T>(
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<string[]>,
  runs = RUNS,
): Promise<void> {
  const details = await fc.check(
    fc.asyncProperty(arbitrary, async (value) => {
      const violations = await predicate(value);
      if (violations.length > 0) throw new Error(violations.join("\n"));
    }),
    { seed: SEED, numRuns: runs, endOnFailure: false },
  );
  if (details.failed) {
    const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${fc.defaultReportMessage(details) ?? "property failed"}\n${why}`);
  }
}

describe("the published contract says what the apps enforce", () => {
  // No server: values the published JSON Schema (the OpenAPI document's) allows must pass the zod
  // schema the apps validate with, or clients built from the document send requests that fail.
  for (const { id, endpoint } of ENDPOINTS) {
    for (const part of ["params", "query", "body"] as const) {
      const schema = endpoint[part];
      if (!schema) continue;
      it(`${id}: every ${part} its published schema allows is valid`, async () => {
        await holds(
          arbitraryFor(jsonSchemaOf(schema)),
          async (value) => {
            const parsed = schema.safeParse(value);
            return parsed.success
              ? []
              : [
                  `${JSON.stringify(value)} is allowed by the published schema, refused by the contract: ${parsed.error.issues.map((i) => i.message).join("; ")}`,
                ];
          },
          RUNS * 8,
        );
      });
    }
  }
});

interface Target {
  readonly url: string;
  /** The Authorization header of each auth case, signed with the key this stack verifies with. */
  readonly authorization: Awaited<ReturnType<typeof authorizationHeaders>>;
  /** sync-api's worker pids now. */
  workers(): number[];
  /** Everything the apps wrote. */
  output(): string;
  exitReason(): string | undefined;
}

const targets = [
  {
    key: "dev",
    name: "the dev proxy",
    skip: undefined,
    start: async (): Promise<Target> => {
      const stack = await startDevStack({ syncWorkers: 2 });
      return {
        url: stack.url,
        authorization: await authorizationHeaders(),
        workers: stack.workers,
        output: () =>
          Object.values(stack.processes)
            .map((p) => p.output())
            .join("\n"),
        exitReason: stack.exitReason,
      };
    },
  },
  {
    key: "nginx",
    name: "nginx",
    skip: nginxMissing(),
    start: async (): Promise<Target> => {
      // Every generated request comes from one address, as fast as nginx answers: the proxy's
      // per-client limits (test/nginx-edge.test.ts tests them) would refuse most of them.
      const stack = await startProductionStack({ nginx: ONE_CLIENT_LOAD_LIMITS });
      const sync = stack.processes["sync-api"];
      return {
        url: stack.url,
        authorization: await authorizationHeaders(PRODUCTION_STACK_JWT_SECRET),
        workers: () => descendantsOf(sync.pid),
        output: () =>
          Object.values(stack.processes)
            .map((p) => p.output())
            .join("\n"),
        exitReason: () =>
          Object.values(stack.processes)
            .map((p) => p.exitReason())
            .find(Boolean),
      };
    },
  },
];

/**
 * PROPERTY_TARGETS (`dev`, `nginx`, comma-separated) runs the suite through some proxies only: the
 * generators' test holds generated endpoints to it through the dev proxy alone. Every one by default.
 */
const chosen = process.env.PROPERTY_TARGETS?.split(",").map((name) => name.trim());
const chosenTargets = targets.filter(({ key }) => !chosen || chosen.includes(key));

for (const target of chosenTargets) {
  describe.skipIf(!runsHere(`property suite through ${target.name}`, target.skip))(`through ${target.name}`, () => {
    let stack: Target;
    let workersAtStart: number[] = [];
    const model = new NotesModel(); // #example
    const counts = { sent: 0, byStatus: new Map<number | "none", number>() };

    beforeAll(async () => {
      stack = await target.start();
      workersAtStart = stack.workers().sort();
    }, 240_000);
    afterAll(async () => {
      console.log(
        `property suite through ${target.name}: ${counts.sent} requests, by status ${JSON.stringify(Object.fromEntries(counts.byStatus))}`,
      );
      await stopAll();
    });

    /** The request with the Authorization header of its auth case, for this stack's key. */
    function authorized(request: GeneratedRequest): GeneratedRequest {
      const header = request.auth === undefined ? undefined : stack.authorization[request.auth];
      return header === undefined
        ? request
        : { ...request, headers: [...(request.headers ?? []), ["Authorization", header]] };
    }

    async function send(request: GeneratedRequest, bytes?: Buffer): Promise<RawResponse | undefined> {
      counts.sent++;
      const answer = await rawRequest(stack.url, bytes ?? authorized(request), {
        timeoutMs: 10_000,
        noBody: request.method === "HEAD",
      });
      const status = answer?.status ?? "none";
      counts.byStatus.set(status, (counts.byStatus.get(status) ?? 0) + 1);
      return answer;
    }

    /** Sends one request; every violation of the invariants for its kind (the examples' data model's too). */
    async function judge(request: GeneratedRequest, extra?: Omit<HostileCase, "request">): Promise<string[]> {
      const found: string[] = [];
      let answer: RawResponse | undefined;
      try {
        answer = await send(request, extra?.bytes);
        found.push(
          ...answerViolations(answer, {
            head: request.method === "HEAD",
            allowed5xx: extra?.allowed5xx,
          }),
        );
      } catch (error) {
        found.push(String(error));
      }
      if (!answer) return found.map((violation) => `${violation}\n    request: ${describeRequest(request)}`);
      if (request.kind === "valid" && request.endpoint) found.push(...validAnswerViolations(request.endpoint, answer));
      if (request.kind === "invalid") found.push(...invalidAnswerViolations(request, answer));
      found.push(...refusedAuthViolations(request, answer));
      if (extra?.status !== undefined && answer.status !== extra.status) {
        found.push(`answered ${answer.status}, expected ${extra.status}: ${answer.text.slice(0, 200)}`);
      }
      if (extra?.allow !== undefined && answer.headers.allow !== extra.allow) {
        found.push(`Allow: ${answer.headers.allow ?? "(none)"}, expected ${extra.allow}`);
      }
      // #region example
      if (answer.status === 200 && /"events"\s*:\s*\[/.test(answer.text))
        found.push("the internal note-events feed was served");
      found.push(...model.observe(request, answer));
      // #endregion example
      return found.map((violation) => `${violation}\n    request: ${describeRequest(request)}`);
    }

    for (const endpoint of ENDPOINTS) {
      const { id, endpoint: contract, path } = endpoint;
      const title = `${contract.method} ${path} (${id})`;
      if (contract.internal) {
        it(
          `${title} is internal: refused with a 404 problem, whatever is asked`,
          async () => {
            await holds(validRequests(endpoint), async (request) => {
              const answer = await send(request);
              const found = answerViolations(answer);
              if (answer && answer.status !== 404)
                found.push(`an internal endpoint answered ${answer.status} through the proxy`);
              return found.map((v) => `${v}\n    request: ${describeRequest(request)}`);
            });
          },
          PROPERTY_TIMEOUT_MS,
        );
        continue;
      }
      it(
        `${title}: valid requests get a declared status and a body its schema takes`,
        async () => {
          await holds(validRequests(endpoint), judge);
        },
        PROPERTY_TIMEOUT_MS,
      );
      if (isSecured(endpoint)) {
        it(
          `${title}: without a valid token with the scope, refused with a 401/403 problem and a Bearer challenge`,
          async () => {
            await holds(refusedRequests(endpoint), judge);
          },
          PROPERTY_TIMEOUT_MS,
        );
      }
      (hasInputs(endpoint) ? it : it.skip)(
        `${title}: requests broken in one place are refused with a 4xx problem`,
        async () => {
          await holds(invalidRequests(endpoint), judge);
        },
        PROPERTY_TIMEOUT_MS,
      );
    }

    /** Every case of a table once; all violations reported together. */
    async function table(cases: readonly HostileCase[]): Promise<void> {
      const found: string[] = [];
      for (const hostileCase of cases) {
        const host = new URL(stack.url).host;
        const bytes = caseBytes({ ...hostileCase, request: authorized(hostileCase.request) }, host);
        found.push(...(await judge(hostileCase.request, { ...hostileCase, bytes })));
      }
      expect(found, `${found.length} violations in ${cases.length} requests`).toEqual([]);
    }

    for (const [title, cases] of [
      ["odd methods on every path: 405 with Allow, OPTIONS with Allow, internal paths 404, never a crash", oddMethods],
      ["path tricks on every path: never a 5xx, every error a problem, nothing internal served", pathTricks],
      ["bad headers and framing on every path: refused with a problem", badHeaders],
      ["huge and deep JSON and broken encodings: a small 4xx problem, never a 5xx", hostileBodies], // #example
    ] as const) {
      it(title, async () => table(cases()), 120_000);
    }

    it("afterwards, every process is alive and healthy, and no worker crashed", async () => {
      expect(stack.exitReason()).toBeUndefined();
      for (const path of ["/healthz", `${ASYNC_PREFIX}/healthz`]) {
        const answer = await rawRequest(stack.url, { method: "GET", target: path });
        expect(answer?.status, path).toBe(200);
      }
      expect(stack.workers().sort(), "sync-api's workers (a replaced worker crashed)").toEqual(workersAtStart);
      const crashes = stack
        .output()
        .split("\n")
        .filter((line) =>
          /worker died|worker timeout|failed to boot|unhandled error|uncaught|Maximum call stack/i.test(line),
        );
      expect(crashes).toEqual([]);
    }, 60_000);

    // #region example
    it("afterwards, every confirmed note is listed unchanged", async () => {
      const listed = await listedNotes(stack.url);
      const expected = [...model.notes.values()].sort((a, b) => b.id - a.id);
      console.log(`through ${target.name}: ${expected.length} notes confirmed, ${listed.length} listed`);
      expect(listed).toEqual(expected);
    }, 60_000);
    // #endregion example
  });
}

it("the problem media type is the one the invariants check", () => {
  expect(PROBLEM_CONTENT_TYPE).toBe("application/problem+json");
  // The oracle itself: a request the contract takes is valid, one it refuses is not.
  const primes = ENDPOINTS.find((e) => e.id === "compute.primes");
  expect(primes).toBeDefined();
  if (!primes) return;
  const get = (target: string) => ({ method: "GET", target });
  expect(oracle(primes, get("/compute/primes?below=10")).valid).toBe(true);
  expect(oracle(primes, get("/compute/primes?below=1")).valid).toBe(false);
  expect(oracle(primes, get("/compute/primes?below=ten")).valid).toBe(false);
});

// #region example
it("the oracle judges a body as the contract does", () => {
  const create = ENDPOINTS.find((e) => e.id === "notes.create");
  expect(create).toBeDefined();
  if (!create) return;
  const json = (body: string) => ({
    method: "POST",
    target: "/notes",
    headers: [["Content-Type", "application/json"]] as [string, string][],
    body,
  });
  expect(oracle(create, json('{"title":"a"}')).valid).toBe(true);
  expect(oracle(create, json('{"title":""}')).valid).toBe(false);
  expect(oracle(create, json('{"title":"a","x":1}')).valid).toBe(false);
});
// #endregion example
