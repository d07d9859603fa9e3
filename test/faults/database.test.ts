/**
 * The fault suite's database faults, on the notes resource's writes: while sync-api cannot write
 * its SQLite file (a file size limit, a full disk), writes are refused with 503 problems, reads go
 * on, no worker crashes, and nothing committed is lost.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DevStack, startDevStack, stopAll } from "@repo/testing";
import { afterAll, afterEach, expect, describe as group, it } from "vitest";
import { validToken } from "../support/tokens.ts";
import { expectNothingLost } from "./notes.ts";
import { answered, crashLines, describe, expectProblem, mixedWith, report, Traffic, tally } from "./traffic.ts";

const mixed = mixedWith(await validToken());

afterEach(stopAll);
afterAll(() => {
  console.log(`fault suite (database):\n  ${report.join("\n  ")}`);
});

/** `prlimit` on sync-api's supervisor and workers: a limit on the size of files they write. */
function limitFileSize(stack: DevStack, bytes: number | "unlimited") {
  for (const pid of [stack.processes["sync-api"].pid, ...stack.workers()]) {
    // The soft limit only: raising a hard limit again needs CAP_SYS_RESOURCE, which a container may lack.
    execFileSync("prlimit", ["--pid", String(pid), `--fsize=${bytes}:`]);
  }
}

function hasCommand(command: string): boolean {
  try {
    execFileSync("which", [command], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * While sync-api cannot write its database: writes are refused with a 503 problem, reads go on,
 * no worker crashes; once it can again, writes succeed, and every note committed before is there.
 */
async function databaseFault(name: string, stack: DevStack, fault: { start(): void; end(): void }) {
  const before = new Traffic(stack.url, mixed, { clients: 2 });
  await before.grow(40);
  await before.stop();
  const workers = stack.workers();
  fault.start();
  const during = new Traffic(stack.url, mixed, {
    clients: 2,
    // A write may only be refused as a 503 problem; everything else must still be answered.
    ok: (o) => answered(o) || (o.request.method === "POST" && o.answer?.status === 503),
  });
  await during.grow(40);
  await during.stop();
  fault.end();
  const after = new Traffic(stack.url, mixed, { clients: 2 });
  await after.grow(40);
  await after.stop();

  const outcomes = [...before.outcomes, ...during.outcomes, ...after.outcomes];
  const failed = [...before.failed(), ...during.failed(), ...after.failed()];
  tally(name, outcomes, failed);
  expect(failed.map(describe)).toEqual([]);
  const refused = during.outcomes.filter((o) => o.answer?.status === 503);
  expect(refused.length, "writes refused while the database could not be written").toBeGreaterThan(0);
  for (const outcome of refused) expectProblem(outcome, 503);
  expect(stack.workers().sort()).toEqual(workers.sort());
  expect(crashLines(stack)).toEqual([]);
  await expectNothingLost(stack, outcomes);
}

group("a database sync-api cannot write", () => {
  it.skipIf(!hasCommand("prlimit"))(
    "a file size limit (every write fails: EFBIG): 503 problems for writes, reads go on, nothing lost",
    async () => {
      const stack = await startDevStack({ syncWorkers: 2 });
      await databaseFault("sync-api's database cannot grow (RLIMIT_FSIZE) (dev proxy)", stack, {
        start: () => limitFileSize(stack, 1),
        end: () => limitFileSize(stack, "unlimited"),
      });
    },
    90_000,
  );

  it("a full disk (a small tmpfs filled up): 503 problems for writes, reads go on, nothing lost", async (context) => {
    const mountPoint = mkdtempSync(join(tmpdir(), "full-disk-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mountPoint], { stdio: "pipe" });
    } catch (error) {
      rmSync(mountPoint, { recursive: true, force: true });
      const reason = `cannot mount a tmpfs here (${String(error).split("\n")[0]}): needs root`;
      if (process.env.CI) throw new Error(reason);
      console.warn(`\n  ⚠  the full-disk fault SKIPPED: ${reason}\n`);
      context.skip();
      return;
    }
    try {
      mkdirSync(join(mountPoint, "db"));
      const stack = await startDevStack({ syncWorkers: 2, databaseUrl: join(mountPoint, "db", "notes.sqlite") });
      const filler = join(mountPoint, "filler");
      await databaseFault("sync-api's disk is full (tmpfs) (dev proxy)", stack, {
        start: () => {
          // Everything the tmpfs has left, in one file.
          const free = Number(
            execFileSync("df", ["--output=avail", "-B1", mountPoint], { encoding: "utf8" }).split("\n")[1],
          );
          try {
            writeFileSync(filler, Buffer.alloc(free));
          } catch {
            // ENOSPC at the very end: full, which is the point
          }
          expect(statSync(filler).size).toBeGreaterThan(0);
        },
        end: () => rmSync(filler),
      });
      await stack.stop();
    } finally {
      await stopAll();
      execFileSync("umount", ["-l", mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    }
  }, 90_000);
});
