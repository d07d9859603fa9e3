/** The machine and the code a report was made on, so that two reports can be compared honestly. */
import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, totalmem } from "node:os";

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly node: string;
  readonly date: string;
  /** The commit checked out where the apps were measured. */
  readonly commit: string;
  /** The last commit that changed what is measured (apps/, packages/, infra/), with its subject. */
  readonly codeCommit: string;
  readonly codeCommitSubject: string;
  /** Uncommitted changes to apps/, packages/ or infra/ in that checkout (`git status --porcelain`). */
  readonly uncommittedChanges: readonly string[];
}

function git(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/** What the bench measures: the apps, the packages they are built from, the nginx template. */
const MEASURED = ["apps", "packages", "infra"];

export function describeMachine(appsRoot: string): Machine {
  const release = (() => {
    try {
      return execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim();
    } catch {
      return process.platform;
    }
  })();
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    os: release,
    node: process.version,
    date: new Date().toISOString(),
    commit: git(appsRoot, ["rev-parse", "HEAD"]) || "unknown",
    codeCommit: git(appsRoot, ["log", "-1", "--format=%H", "--", ...MEASURED]) || "unknown",
    codeCommitSubject: git(appsRoot, ["log", "-1", "--format=%s", "--", ...MEASURED]),
    uncommittedChanges: git(appsRoot, ["status", "--porcelain", "--", ...MEASURED])
      .split("\n")
      .filter(Boolean),
  };
}

export function machineLines(machine: Machine): [string, string][] {
  const dirty = machine.uncommittedChanges.length;
  return [
    ["CPU", `${machine.cpu}, ${machine.cores} cores`],
    ["memory", `${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB`],
    ["OS", machine.os],
    ["Node", machine.node],
    ["date", machine.date],
    ["checkout", machine.commit.slice(0, 12)],
    [
      "apps/, packages/, infra/ as of",
      `${machine.codeCommit.slice(0, 12)} (${machine.codeCommitSubject})${dirty ? `, plus ${dirty} uncommitted changes` : ""}`,
    ],
  ];
}
