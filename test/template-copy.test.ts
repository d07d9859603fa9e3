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
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repoRoot } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectFiles, readText } from "../scripts/init-project/files.ts";
import { keepsTemplateNames, projectState, TEMPLATE } from "../scripts/init-project/rename.ts";
import { killRunning, runToEnd } from "./support/run-to-end.ts";
import { trackedFiles } from "./support/tracked-files.ts";

const UNIT_PROJECTS = ["contracts", "shared-settings", "dev-proxy"].flatMap((name) => ["--project", name]);
/** Every step gets minutes: the copy builds and tests on a machine busy with the rest of `pnpm test`. */
const STEP_TIMEOUT_MS = 300_000;

const tracked = trackedFiles();
const copy = mkdtempSync(join(tmpdir(), "template-copy-"));

afterAll(() => {
  killRunning();
  rmSync(copy, { recursive: true, force: true });
});

/** Runs pnpm in the copy; resolves with its exit code and output, killing it past the timeout. */
function pnpm(...args: string[]): Promise<{ code: number | null; output: string }> {
  // The store already holds every package the lockfile names (this workspace installed them).
  return runToEnd("pnpm", args, { cwd: copy, env: { pnpm_config_prefer_offline: "true" }, timeoutMs: STEP_TIMEOUT_MS });
}

/** Runs pnpm in the copy and fails with the end of its output unless it exits 0. */
async function pnpmOk(...args: string[]): Promise<string> {
  const { code, output } = await pnpm(...args);
  if (code !== 0) throw new Error(`pnpm ${args.join(" ")} exited ${code}:\n${output.slice(-6000)}`);
  return output;
}

/** Every project file's content hash, to tell whether a command changed any. */
function snapshot(): Map<string, string> {
  return new Map(
    projectFiles(copy).map((file) => [
      file,
      createHash("sha256")
        .update(readFileSync(join(copy, file)))
        .digest("hex"),
    ]),
  );
}

describe.skipIf(tracked === undefined)("a copy of what git tracks", () => {
  beforeAll(() => {
    for (const file of tracked ?? []) {
      mkdirSync(dirname(join(copy, file)), { recursive: true });
      cpSync(join(repoRoot, file), join(copy, file));
    }
  });

  it(
    "installs with the frozen lockfile, builds, and passes the unit tests (the clone check)",
    async () => {
      await pnpmOk("install", "--frozen-lockfile");
      await pnpmOk("build");
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

        const root = JSON.parse(readFileSync(join(copy, "package.json"), "utf8")) as Record<string, unknown>;
        expect(root.name).toBe("acme");
        expect(root.description).toMatch(/^acme: /);
        const openapi = JSON.parse(readFileSync(join(copy, "packages/contracts/openapi.json"), "utf8"));
        expect(openapi.info.title).toBe("acme");
        expect(readFileSync(join(copy, "README.md"), "utf8")).toMatch(/^# acme\n/);
        expect(readFileSync(join(copy, "infra/docker-compose.yml"), "utf8")).toMatch(/^name: acme$/m);
        expect(readFileSync(join(copy, "apps/sync-api/package.json"), "utf8")).toContain('"name": "@acme/sync-api"');

        // The template's names are left only where they name the template: the licence notice, the
        // rename itself, and references to the template's repository.
        const leftovers: string[] = [];
        for (const file of projectFiles(copy).filter((path) => !keepsTemplateNames(path))) {
          const lines = readText(join(copy, file))?.split("\n") ?? [];
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
        const before = snapshot();
        await pnpmOk("init-project", "acme");
        expect(snapshot()).toEqual(before);

        const other = await pnpm("--silent", "init-project", "widget");
        expect(other.code).toBe(1);
        expect(other.output.trim()).toMatch(/^init-project: this project is already named "acme": .*$/);
        const invalid = await pnpm("--silent", "init-project", "Acme");
        expect(invalid.code).toBe(1);
        expect(invalid.output.trim()).toBe(
          "init-project: \"Acme\" cannot be the project's name: name can no longer contain capital letters (npm's package name rules)",
        );
        expect(snapshot()).toEqual(before);
      },
      2 * STEP_TIMEOUT_MS,
    );
  });
});
