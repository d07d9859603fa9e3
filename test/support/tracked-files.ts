import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@repo/testing";
import ignore, { type Ignore } from "ignore";

/**
 * What git tracks (as it is in the work tree; a tracked file deleted there is left out), relative
 * to the workspace root. Where the workspace is not a git checkout (a project just made with
 * degit, before `git init`), the files git would track there: every file that `.gitignore` does
 * not ignore (`filesGitWouldTrack`), so the tests of the tracked files run in such a copy too.
 */
export function trackedFiles(): string[] {
  let listing: string;
  try {
    listing = execFileSync("git", ["ls-files", "-z"], { cwd: repoRoot, encoding: "utf8", stdio: "pipe" });
  } catch {
    return filesGitWouldTrack(repoRoot);
  }
  return listing
    .split("\0")
    .filter((file) => file !== "" && existsSync(join(repoRoot, file)))
    .sort();
}

/** Is the workspace a git checkout? */
export function isGitCheckout(): boolean {
  try {
    execFileSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: repoRoot, stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

/**
 * The files under `root` that git would track after `git init && git add -A`: walked, with each
 * folder's `.gitignore` applied (the `ignore` package implements git's rules), ignored folders
 * never entered. "/"-separated paths relative to `root`, sorted.
 */
export function filesGitWouldTrack(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string, rules: readonly { base: string; matcher: Ignore }[]) => {
    const here = join(root, dir);
    const gitignore = join(here, ".gitignore");
    const scoped = existsSync(gitignore)
      ? [...rules, { base: dir, matcher: ignore().add(readFileSync(gitignore, "utf8")) }]
      : rules;
    for (const entry of readdirSync(here, { withFileTypes: true })) {
      if (entry.name === ".git") continue;
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      const candidate = entry.isDirectory() ? `${path}/` : path;
      // Each .gitignore speaks of paths relative to its own folder.
      if (
        scoped.some(({ base, matcher }) => matcher.ignores(base === "" ? candidate : candidate.slice(base.length + 1)))
      )
        continue;
      if (entry.isDirectory()) walk(path, scoped);
      else if (entry.isFile()) files.push(path);
    }
  };
  walk("", []);
  return files.sort();
}
