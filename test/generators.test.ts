/**
 * The endpoint generators (turbo/generators/config.ts), run as a developer runs them,
 * non-interactively, in a copy of what git tracks (its index): `pnpm turbo gen sync-endpoint --args reports`,
 * `async-endpoint --args weather weather-service` (calling an upstream) and `async-endpoint --args
 * clock none`. Their output lints, type-checks and passes its own tests; the OpenAPI drift test
 * stays green (the generator regenerated the document); the route tables still serve exactly the
 * API; the status tests still pass beside the new upstream (it does not count for the status); and
 * a second run of the same generator refuses, changing nothing.
 *
 * The copy is of git's index (test/support/project-copy.ts), installed from the store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProjectCopy, STEP_TIMEOUT_MS } from "./support/project-copy.ts";

const copy = ProjectCopy.of("generators-", "index");
afterAll(() => copy.remove());
const { pnpm, pnpmOk, read } = copy;

/**
 * Runs a generator non-interactively. `turbo gen` exits 0 even when an action fails (turbo
 * 2.11.9), so its output says whether it worked.
 */
async function generate(...args: string[]): Promise<string> {
  const output = await pnpmOk("turbo", "gen", ...args);
  if (/>>> Error|Failed to run|nothing was changed/.test(output))
    throw new Error(`turbo gen ${args.join(" ")} failed:\n${output}`);
  return output;
}

describe("pnpm turbo gen sync-endpoint / async-endpoint, in a copy", () => {
  beforeAll(async () => {
    await pnpmOk("install", "--frozen-lockfile", "--offline");
  }, STEP_TIMEOUT_MS);

  it(
    "writes contract, handler, route entry, test and upstream setting; lint, typecheck and tests pass",
    async () => {
      await generate("sync-endpoint", "--args", "reports");
      await generate("sync-resource", "--args", "visits");
      await generate("async-endpoint", "--args", "weather", "weather-service");
      await generate("async-endpoint", "--args", "clock", "none");

      // Each in a controller of its generator's runtime, joined to api, served by that app only.
      expect(read("packages/contracts/src/reports.ts")).toContain('controller("reports", "sync"');
      expect(read("packages/contracts/src/weather.ts")).toContain('controller("weather", "async"');
      expect(read("packages/contracts/src/api.ts")).toMatch(/sync: \[[^\]]*\breports,\s*visits,?\s*\]/);
      expect(read("packages/contracts/src/api.ts")).toMatch(/async: \[[^\]]*\bweather, clock\]/);
      expect(read("apps/sync-api/src/routes/index.ts")).toContain("reportsRoutes,");
      expect(read("apps/async-api/src/routes/index.ts")).toContain("weatherRoutes({ outbound }),");
      expect(read("apps/async-api/src/routes/index.ts")).not.toContain("reports");
      // The upstream's setting in async-api's layer, kept out of /async/status; the call through
      // the Outbound client with the client's signal (its timeout is the client's own).
      expect(read("apps/async-api/src/settings/index.ts")).toMatch(
        /"weather-service": \{ url: "http:\/\/127\.0\.0\.1:4000", statusPath: "\/healthz", status: false \}/,
      );
      expect(read("apps/async-api/src/routes/weather.ts")).toContain('outbound.upstream("weather-service")');
      expect(read("apps/async-api/src/routes/weather.ts")).toContain("{ signal, requestId: id }");
      expect(JSON.parse(read("packages/contracts/openapi.json")).paths).toMatchObject({
        "/reports/{id}": { get: {} },
        "/visits": { post: {} },
        "/visits/{id}": { get: {} },
        "/async/weather/{id}": { get: {} },
        "/async/clock/{id}": { get: {} },
      });

      // A migration step, as docs/adding-a-table.md starts a table: its file and its entry in the list.
      // The resource over a table: its migration step listed, its handlers given the database.
      expect(read("apps/sync-api/src/migrations/index.ts")).toMatch(/import \{ visits \} from "\.\/\d{4}-visits\.ts";/);
      expect(read("apps/sync-api/src/routes/index.ts")).toContain("visitsRoutes({ db: dependencies.db }),");
      // A migration step alone, as docs/adding-a-table.md starts a table: its file and its entry in the list.
      expect(await pnpmOk("db:new", "audit-log")).toContain("wrote apps/sync-api/src/migrations/");
      expect(read("apps/sync-api/src/migrations/index.ts")).toMatch(
        /import \{ auditLog \} from "\.\/\d{4}-audit-log\.ts";/,
      );
      expect(read("apps/sync-api/src/migrations/index.ts")).toMatch(/ {2}auditLog,\n\];/);
      expect((await pnpm("db:new", "audit-log")).output).toContain("a step named audit-log exists already");

      await pnpmOk("exec", "biome", "check", ".");
      await pnpmOk(
        "turbo",
        "run",
        "typecheck",
        ...["contracts", "sync-api", "async-api", "combined"].flatMap((name) => ["--filter", `@repo/${name}`]),
      );
      await pnpmOk(
        "exec",
        "vitest",
        "run",
        ...["contracts", "sync-api", "async-api"].flatMap((name) => ["--project", name]),
        "apps/sync-api/test/reports.test.ts",
        "apps/sync-api/test/visits.test.ts",
        "apps/async-api/test/weather.test.ts",
        "apps/async-api/test/clock.test.ts",
        "apps/sync-api/test/mount.test.ts",
        "apps/sync-api/test/migrations.test.ts",
        "apps/async-api/test/mount.test.ts",
        "apps/async-api/test/outbound.test.ts",
        "packages/contracts/test/openapi.test.ts",
      );
      // The whole suite's contract on the output: the property suite sends every endpoint, the
      // generated ones among them, generated requests through a running stack (the dev proxy's;
      // nginx's is the same routing, tested in the repository's own run). The new upstream is
      // called through its stand-in, which the generator wrote.
      expect(read("apps/async-api/test/stand-ins/weather-service.ts")).toContain("export default function standIn");
      await pnpmOk(
        "exec",
        "env",
        "PROPERTY_TARGETS=dev",
        "PROPERTY_RUNS=5",
        "vitest",
        "run",
        "test/properties/api.test.ts",
      );
    },
    5 * STEP_TIMEOUT_MS,
  );

  it(
    "refuses to generate a name again, changing nothing",
    async () => {
      const before = read("packages/contracts/src/api.ts");
      const { output } = await pnpm("turbo", "gen", "sync-endpoint", "--args", "reports");
      // One plain line saying what and that nothing changed, not Plop's "Unable to function to".
      expect(output).toContain(
        "turbo gen sync-endpoint: packages/contracts/src/reports.ts exists already: pick another name; nothing was changed",
      );
      expect(output).not.toContain("Unable to function");
      expect(read("packages/contracts/src/api.ts")).toBe(before);
    },
    STEP_TIMEOUT_MS,
  );
});
