import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@repo/testing";

/**
 * What git tracks (as it is in the work tree; a tracked file deleted there is left out), relative
 * to the workspace root; undefined, with a loud warning, where the workspace is not a git checkout
 * (a project just made with degit, before `git init`).
 */
export function trackedFiles(): string[] | undefined {
  let listing: string;
  try {
    listing = execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8", stdio: "pipe" });
  } catch {
    console.warn("\n*** not a git checkout: the tests of what git tracks are SKIPPED ***\n");
    return undefined;
  }
  return listing
    .split("\0")
    .filter((file) => file !== "" && existsSync(join(repoRoot, file)))
    .sort();
}
