/**
 * A copy of what git tracks in a temporary directory, as a new user gets it (`degit`: no .git,
 * nothing installed, nothing built), and pnpm run in it. The tests that check the template as a
 * whole (a clone, init-project, the generators) each work in one.
 *
 * The copy installs from the store (`--frozen-lockfile --offline`: under a second, pnpm links
 * what this workspace already installed), which is faster than symlinking node_modules can be
 * made right (pnpm's workspace links are relative, so a symlinked node_modules would resolve to
 * this checkout).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repoRoot } from "@repo/testing";
import { projectFiles } from "../../scripts/init-project/files.ts";
import { killRunning, runToEnd } from "./run-to-end.ts";
import { isGitCheckout, trackedFiles } from "./tracked-files.ts";

/** Every step gets minutes: the copy installs, builds and tests on a machine busy with the rest of `pnpm test`. */
export const STEP_TIMEOUT_MS = 300_000;

export class ProjectCopy {
  readonly dir: string;

  /** The name of the Vitest runs in the copy: their report's folder, and their ports' (freePort of @repo/testing). */
  readonly #run: string;

  private constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.#run = `copy-${prefix.replace(/-$/, "")}`;
  }

  /**
   * A copy of the tracked files, as they are in the work tree (`"work tree"`), or as git's index
   * holds them (`"index"`: edits still being made elsewhere in a shared checkout stay out). Where
   * the workspace is not a git checkout, the files git would track, from the work tree.
   */
  static of(prefix: string, source: "work tree" | "index"): ProjectCopy {
    const copy = new ProjectCopy(prefix);
    if (source === "index" && isGitCheckout()) {
      execFileSync("git", ["checkout-index", "--all", `--prefix=${copy.dir}/`], { cwd: repoRoot });
    } else {
      for (const file of trackedFiles()) {
        mkdirSync(dirname(join(copy.dir, file)), { recursive: true });
        cpSync(join(repoRoot, file), join(copy.dir, file));
      }
    }
    return copy;
  }

  /** Runs pnpm in the copy; resolves with its exit code and output, killing it past the timeout. */
  readonly pnpm = (...args: string[]): Promise<{ code: number | null; output: string }> =>
    // The store already holds every package the lockfile names (this workspace installed them).
    runToEnd("pnpm", args, {
      cwd: this.dir,
      env: { pnpm_config_prefer_offline: "true", VITEST_REPORT: this.#run },
      timeoutMs: STEP_TIMEOUT_MS,
    });

  /** Runs pnpm in the copy and fails with the end of its output unless it exits 0. */
  readonly pnpmOk = async (...args: string[]): Promise<string> => {
    const { code, output } = await this.pnpm(...args);
    if (code !== 0) throw new Error(`pnpm ${args.join(" ")} exited ${code}:\n${output.slice(-6000)}`);
    return output;
  };

  /** A file of the copy, as text. */
  readonly read = (path: string): string => readFileSync(join(this.dir, path), "utf8");

  /** Every project file's content hash, to tell whether a command changed any. */
  snapshot(): Map<string, string> {
    return new Map(
      projectFiles(this.dir).map((file) => [
        file,
        createHash("sha256")
          .update(readFileSync(join(this.dir, file)))
          .digest("hex"),
      ]),
    );
  }

  /** For afterAll: stops what is still running in it, and deletes it. */
  remove(): void {
    killRunning();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
