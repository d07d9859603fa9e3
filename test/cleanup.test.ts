/**
 * No process outlives a test run, pass or fail: a child Vitest runs test files that start
 * processes (sync-api with its workers, a detached process group as `pnpm start` makes, a process
 * that escaped its group and its parent) and then fail, time out, or never stop what they
 * started; once it has ended, none of those processes, nor anything else carrying its run's mark,
 * is left.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { leftoversOf, repoRoot, startProcess, stopAll } from "@repo/testing";
import { afterAll, expect, it } from "vitest";

afterAll(stopAll);

/** Live and not a zombie (a zombie has exited; it only waits for its parent to read its status). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

it.skipIf(process.platform !== "linux")(
  "a failing, timing-out or careless test run leaves no process behind",
  async () => {
    const run = `cleanup-${process.pid}-${Date.now()}`;
    const dir = mkdtempSync(join(tmpdir(), "cleanup-"));
    const pidsFile = join(dir, "pids");
    const child = startProcess(
      process.execPath,
      [join(repoRoot, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/cleanup/fixture.config.ts"],
      { env: { REPO_TESTING_RUN: run, REPO_TESTING_PIDS_FILE: pidsFile, CI: undefined } },
    );
    const exit = await child.exited;
    const output = child.output();
    // The run failed, as its three files meant to, each for its own reason.
    expect(exit.code, output).not.toBe(0);
    expect(output).toMatch(/3 failed/);
    expect(output).toContain("failing on purpose");
    expect(output).toMatch(/Test timed out in 3000ms/);

    const started = readFileSync(pidsFile, "utf8").split("\n").filter(Boolean).map(Number);
    rmSync(dir, { recursive: true, force: true });
    // sync-api and its two workers, two groups of three, a plain sleep, two escaped ones.
    expect(started.length, output).toBeGreaterThanOrEqual(12);
    // Give the last SIGKILLs a moment to land.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const left = [...new Set([...started.filter(running), ...leftoversOf(run).filter(running)])];
    // What is left, by its command line (read before anything else can end it).
    expect(left.map((pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")}`)).toEqual(
      [],
    );
  },
  120_000,
);
