import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Every live descendant of `pid` (children, grandchildren, ...), from `ps` (Linux and macOS). */
export function descendantsOf(pid: number): number[] {
  const table = execFileSync("ps", ["-A", "-o", "pid=,ppid="], { encoding: "utf8" });
  const children = new Map<number, number[]>();
  for (const line of table.split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (!child || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Is a process with this pid still there (zombies included)? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * SIGKILL to a process started `detached` (its whole process group) and to any descendant that
 * left the group: nothing it started outlives a test, whatever state the test ended in.
 */
export function killTree(pid: number): void {
  for (const target of [-pid, ...descendantsOf(pid)]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * The live processes whose environment holds `name=value` (Linux: /proc; elsewhere none are
 * found). An environment is inherited, so this finds a process's whole family, wherever it went.
 */
export function markedProcesses(name: string, value: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const mark = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(mark)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
