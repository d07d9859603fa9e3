/**
 * What people expect of a template, kept from drifting: the licence and the `license` field of
 * every package, a .gitignore that re-includes only files that exist, and a GitHub workflow that
 * runs what .ci/run runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@repo/testing";
import { describe, expect, it } from "vitest";
import { filesGitWouldTrack, isGitCheckout, trackedFiles } from "./support/tracked-files.ts";

const tracked = trackedFiles();
const read = (file: string) => readFileSync(join(repoRoot, file), "utf8");

describe("template hygiene", () => {
  it.skipIf(!isGitCheckout())(
    "without .git, the tests see the files git would track: the .gitignore walk equals git's own list",
    () => {
      // Tracked files, and untracked ones git does not ignore: what `git add -A` would take.
      const git = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: repoRoot,
        encoding: "utf8",
      })
        .split("\0")
        .filter((file) => file !== "" && existsSync(join(repoRoot, file)));
      expect(filesGitWouldTrack(repoRoot)).toEqual([...new Set(git)].sort());
    },
  );

  it("is MIT-licensed, and every package says so", () => {
    expect(read("LICENSE")).toMatch(/^MIT License\n\nCopyright \(c\) 2026 /);
    const packages = tracked.filter((file) => file === "package.json" || file.endsWith("/package.json"));
    const unlicensed = packages.filter((file) => (JSON.parse(read(file)) as { license?: string }).license !== "MIT");
    expect(unlicensed).toEqual([]);
  });

  it(".gitignore re-includes (!pattern) only files that are in the repository", () => {
    const negations = read(".gitignore")
      .split("\n")
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1).trim());
    const unmatched = negations.filter((pattern) => {
      // A pattern without a slash in it matches at any depth (gitignore's rule); git matches it.
      const pathspec = pattern.replace(/^\//, "").includes("/") ? pattern.replace(/^\//, "") : `**/${pattern}`;
      return execFileSync("git", ["ls-files", "--", `:(glob)${pathspec}`], { cwd: repoRoot, encoding: "utf8" }) === "";
    });
    expect(unmatched).toEqual([]);
  });

  it("the GitHub workflow installs and tests as .ci/run does, with Node from .nvmrc and pnpm from packageManager", () => {
    const workflow = read(".github/workflows/ci.yml");
    const ciRun = read(".ci/run");
    for (const command of ["pnpm install --frozen-lockfile", "pnpm test"]) {
      expect(ciRun).toContain(command);
      expect(workflow).toMatch(new RegExp(`^\\s*- run: ${command}$`, "m"));
    }
    expect(workflow).toContain("node-version-file: .nvmrc");
    // pnpm/action-setup with no version installs the one packageManager pins.
    expect(workflow).toMatch(/uses: pnpm\/action-setup@v\d+\n(?!\s+with:)/);
  });
});
