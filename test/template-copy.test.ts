/**
 * What a new user gets: what git tracks, copied to an empty directory as `degit` copies it (no
 * .git, nothing installed, nothing built).
 *
 * 1. The clone check: the unmodified copy installs with the frozen lockfile, builds, and passes
 *    the packages' unit tests. A file the workspace needs but git does not track fails here.
 * 2. `pnpm init-project acme` makes the copy acme, and acme installs with the frozen lockfile,
 *    lints, type-checks and passes the same unit tests; none of the template's names is left;
 *    a second run changes nothing, and another name is refused.
 *
 * Unit tests, not all of them: contracts and shared-settings are the code every app builds on,
 * and dev-proxy's tests start both apps from their sources behind the proxy, so the renamed apps
 * run for real. The apps' own suites (minutes of process-level tests on two cores) already run
 * in this same `pnpm test` on the same files; here they would only run twice.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";
import { projectFiles, readText } from "../scripts/init-project/files.ts";
import { keepsTemplateNames, projectState, TEMPLATE } from "../scripts/init-project/rename.ts";
import { ProjectCopy, STEP_TIMEOUT_MS } from "./support/project-copy.ts";

const UNIT_PROJECTS = ["contracts", "shared-settings", "dev-proxy"].flatMap((name) => ["--project", name]);

const project = ProjectCopy.of("template-copy-", "work tree");
afterAll(() => project.remove());

describe("a copy of what git tracks", () => {
  const { pnpm, pnpmOk } = project;

  it(
    "installs with the frozen lockfile, builds, and passes the unit tests (the clone check)",
    async () => {
      await pnpmOk("install", "--frozen-lockfile");
      await pnpmOk("build");
      // No .git here: what the build wrote and what the apps write (their SQLite files, as
      // `pnpm start` makes them) must not count as changed inputs, or every start rebuilds.
      mkdirSync(join(project.dir, "apps/sync-api/data/production"), { recursive: true });
      writeFileSync(join(project.dir, "apps/sync-api/data/production/sync-api.sqlite"), "written by the app");
      const again = await pnpmOk("build");
      expect(again).toMatch(/Cached:\s+(\d+) cached, \1 total/);
      await pnpmOk("exec", "vitest", "run", ...UNIT_PROJECTS);
    },
    4 * STEP_TIMEOUT_MS,
  );

  describe.skipIf(!projectState(repoRoot).isTemplate)("pnpm init-project acme", () => {
    it(
      "makes it acme, which installs frozen, lints, type-checks and passes the unit tests",
      async () => {
        await pnpmOk("init-project", "acme");
        await pnpmOk("install", "--frozen-lockfile");
        await pnpmOk("lint");
        await pnpmOk("typecheck");
        await pnpmOk("exec", "vitest", "run", ...UNIT_PROJECTS);

        const root = JSON.parse(project.read("package.json")) as Record<string, unknown>;
        expect(root.name).toBe("acme");
        expect(root.description).toMatch(/^acme: /);
        const openapi = JSON.parse(project.read("packages/contracts/openapi.json"));
        expect(openapi.info.title).toBe("acme");
        expect(project.read("README.md")).toMatch(/^# acme\n/);
        expect(project.read("infra/docker-compose.yml")).toMatch(/^name: acme$/m);
        expect(project.read("apps/sync-api/package.json")).toContain('"name": "@acme/sync-api"');
        // Without --no-examples, the examples stay (test/no-examples.test.ts removes them).
        expect(project.read("packages/contracts/src/api.ts")).toContain("notes"); // #example

        // The template's names are left only where they name the template: the licence notice, the
        // rename itself, and references to the template's repository.
        const leftovers: string[] = [];
        for (const file of projectFiles(project.dir).filter((path) => !keepsTemplateNames(path))) {
          const lines = readText(join(project.dir, file))?.split("\n") ?? [];
          lines.forEach((line, index) => {
            const repository = line.replace(new RegExp(`(github\\.com/|degit\\s+)[\\w.-]+/${TEMPLATE.name}`, "g"), "");
            if (line.includes(`${TEMPLATE.scope}/`) || repository.includes(TEMPLATE.name)) {
              leftovers.push(`${file}:${index + 1}: ${line.trim()}`);
            }
          });
        }
        expect(leftovers).toEqual([]);
      },
      5 * STEP_TIMEOUT_MS,
    );

    it(
      "changes nothing when run again, and refuses another name or one npm would refuse",
      async () => {
        const before = project.snapshot();
        await pnpmOk("init-project", "acme");
        expect(project.snapshot()).toEqual(before);

        const other = await pnpm("--silent", "init-project", "widget");
        expect(other.code).toBe(1);
        expect(other.output.trim()).toMatch(/^init-project: this project is already named "acme": .*$/);
        const invalid = await pnpm("--silent", "init-project", "Acme");
        expect(invalid.code).toBe(1);
        expect(invalid.output.trim()).toBe(
          "init-project: \"Acme\" cannot be the project's name: name can no longer contain capital letters (npm's package name rules)",
        );
        expect(project.snapshot()).toEqual(before);
      },
      2 * STEP_TIMEOUT_MS,
    );
  });
});
