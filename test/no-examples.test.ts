/**
 * `pnpm init-project acme --no-examples`, run for real in a copy of what git tracks: the examples
 * (the notes resource, the SSE relay, the WebSocket channel, the welcome page) are removed and
 * what is left is a clean template that installs frozen, lints, type-checks, passes its packages'
 * and both apps' tests, and still takes the generators' endpoints.
 *
 * In order, on one copy: the removal refuses (changing nothing) while a file of the user's own
 * imports example code; a plain `init-project acme` keeps the examples; `--no-examples` on that
 * already-renamed project removes them; a second run changes nothing.
 *
 * Not run here, for time: the workspace suites (property, fault, dev, production), combined mode's
 * tests and the end-to-end suites, which build on the same markers (test/examples.test.ts checks
 * them file by file); and sync-api's cluster and process-model tests, the slowest of its suite,
 * whose code no example touches (no marker under apps/sync-api/src/cluster) and which start the
 * same app the rest of its suite starts here.
 */
import { existsSync, globSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_PATHS } from "../scripts/init-project/examples.ts";
import { exampleLeftovers } from "../scripts/init-project/remove-examples.ts";
import { projectState } from "../scripts/init-project/rename.ts";
import { ProjectCopy, STEP_TIMEOUT_MS } from "./support/project-copy.ts";

const copy = projectState(repoRoot).isTemplate ? ProjectCopy.of("no-examples-", "work tree") : undefined;
afterAll(() => copy?.remove());

// The copy exists wherever these tests run (they are skipped otherwise).
const pnpm = (...args: string[]) => (copy as ProjectCopy).pnpm(...args);
const pnpmOk = (...args: string[]) => (copy as ProjectCopy).pnpmOk(...args);
const read = (path: string) => (copy as ProjectCopy).read(path);
const exists = (path: string) => existsSync(join((copy as ProjectCopy).dir, path));

/** The public API once the examples are gone: health of both apps, the status route, the sieve. */
const CLEAN_PATHS = ["/async/healthz", "/async/readyz", "/async/status", "/compute/primes", "/healthz", "/readyz"];

describe.skipIf(copy === undefined)("pnpm init-project acme --no-examples, in a copy", () => {
  beforeAll(async () => {
    await pnpmOk("install", "--frozen-lockfile", "--offline");
  }, STEP_TIMEOUT_MS);

  it(
    "refuses, changing nothing, while the project's own code imports example code",
    async () => {
      const mine = "apps/sync-api/src/mine.ts";
      const alsoMine = "apps/async-api/src/mine.ts";
      writeFileSync(join((copy as ProjectCopy).dir, mine), 'export { NotesStore } from "./notes/store.ts";\n');
      writeFileSync(
        join((copy as ProjectCopy).dir, alsoMine),
        'import { notes } from "@repo/contracts";\nexport const mine = notes;\n',
      );
      const before = (copy as ProjectCopy).snapshot();
      const refused = await pnpm("--silent", "init-project", "acme", "--no-examples");
      expect(refused.code).toBe(1);
      expect(refused.output).toContain("--no-examples cannot remove the examples cleanly, and changed nothing");
      expect(refused.output).toContain(`${mine}:1: refers to apps/sync-api/src/notes/store.ts`);
      expect(refused.output).toContain(`${alsoMine}:1: imports an example's name from @repo/contracts ({notes})`);
      expect((copy as ProjectCopy).snapshot()).toEqual(before);
      for (const file of [mine, alsoMine]) rmSync(join((copy as ProjectCopy).dir, file));
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "keeps the examples on a plain run, then removes them from the renamed project: it installs frozen, lints and type-checks, with no example left",
    async () => {
      await pnpmOk("init-project", "acme");
      expect(exists("packages/contracts/src/notes.ts")).toBe(true);

      await pnpmOk("init-project", "acme", "--no-examples");
      await pnpmOk("install", "--frozen-lockfile", "--offline");
      await pnpmOk("lint");
      await pnpmOk("typecheck");

      expect(EXAMPLE_PATHS.filter(exists)).toEqual([]);
      expect(exampleLeftovers((copy as ProjectCopy).dir)).toEqual([]);
      const openapi = JSON.parse(read("packages/contracts/openapi.json")) as { paths: Record<string, unknown> };
      expect(Object.keys(openapi.paths).sort()).toEqual(CLEAN_PATHS);
      expect(read("packages/contracts/src/api.ts")).toMatch(/sync: \[syncHealth, compute\]/);
      // Its dependencies went with it: async-api no longer depends on the WebSocket plugin.
      expect(read("apps/async-api/package.json")).not.toContain("@fastify/websocket");
      expect(read("pnpm-lock.yaml")).not.toContain("@fastify/websocket");
    },
    6 * STEP_TIMEOUT_MS,
  );

  it(
    "changes nothing when run again",
    async () => {
      const before = (copy as ProjectCopy).snapshot();
      await pnpmOk("init-project", "acme", "--no-examples");
      expect((copy as ProjectCopy).snapshot()).toEqual(before);
    },
    2 * STEP_TIMEOUT_MS,
  );

  it(
    "passes the packages' and both apps' tests and the Kubernetes manifests' checks, and takes the generators' endpoints",
    async () => {
      // What leaving those tests out rests on: no example reaches into the cluster's code.
      const clusterCode = globSync("apps/sync-api/src/cluster/**/*.ts", { cwd: repoRoot });
      expect(clusterCode.length).toBeGreaterThan(0);
      expect(
        clusterCode.filter((file) => /#(region )?example/.test(readFileSync(join(repoRoot, file), "utf8"))),
      ).toEqual([]);
      await pnpmOk(
        "exec",
        "vitest",
        "run",
        ...["contracts", "shared-settings", "dev-proxy", "sync-api", "async-api"].flatMap((name) => [
          "--project",
          name,
        ]),
        // Patterns of files within a project's root.
        ...["**/cluster.test.ts", "**/process-model.test.ts"].flatMap((file) => ["--exclude", file]),
      );
      for (const args of [
        ["sync-endpoint", "--args", "reports"],
        ["async-endpoint", "--args", "weather", "weather-service"],
      ]) {
        const output = await pnpmOk("turbo", "gen", ...args);
        // `turbo gen` exits 0 even when an action fails: its output says.
        expect(output).not.toMatch(/>>> Error|Failed to run/);
      }
      await pnpmOk("exec", "biome", "check", ".");
      await pnpmOk("typecheck");
      await pnpmOk(
        "exec",
        "vitest",
        "run",
        "apps/sync-api/test/reports.test.ts",
        "apps/async-api/test/weather.test.ts",
        "apps/sync-api/test/mount.test.ts",
        "apps/async-api/test/mount.test.ts",
        "packages/contracts/test/openapi.test.ts",
        // The Kubernetes settings are copies of infra/env's, each edited by the removal alike.
        "test/k8s.test.ts",
      );
    },
    6 * STEP_TIMEOUT_MS,
  );
});
