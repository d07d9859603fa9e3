/**
 * What else the machine was doing during a scenario: CPU time spent by processes outside the
 * bench's own tree (the bench, the targets it started, their children), and time the hypervisor
 * took (steal). A figure measured while something else ran is not a figure about the code; the
 * report says so instead of leaving it to be guessed. Linux only (/proc); elsewhere it reads 0.
 */
import { readFileSync } from "node:fs";
import { descendantsOf } from "@repo/testing";

/** /proc times are in clock ticks: 100 a second on every Linux this runs on (USER_HZ). */
const TICKS_PER_SECOND = 100;

interface Snapshot {
  readonly at: number;
  /** Busy ticks of the whole machine (user, nice, system, irq, softirq). */
  readonly busy: number;
  readonly steal: number;
  /** Ticks of the bench's tree: each live process's own time and that of children it reaped. */
  readonly tree: number;
}

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** utime + stime + cutime + cstime of one process (fields 14 to 17 of /proc/<pid>/stat). */
function processTicks(pid: number): number {
  const stat = read(`/proc/${pid}/stat`);
  // The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return [11, 12, 13, 14].reduce((sum, i) => sum + (Number(fields[i]) || 0), 0);
}

/** Ticks of a process tree: each live process's own time (all its threads) and that of children it reaped. */
function treeTicks(pid: number): number {
  return [pid, ...descendantsOf(pid)].reduce((sum, each) => sum + processTicks(each), 0);
}

/** CPU time used so far by a process and everything it forked (sync-api's supervisor and workers), in seconds. */
export const treeCpuSeconds = (pid: number) => treeTicks(pid) / TICKS_PER_SECOND;

export function snapshot(): Snapshot {
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] =
    read("/proc/stat").split("\n", 1)[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  return { at: performance.now(), busy: user + nice + system + irq + softirq, steal, tree: treeTicks(process.pid) };
}

export interface Background {
  /** Cores' worth of CPU used by other processes, on average over the interval. */
  readonly otherCores: number;
  /** Cores' worth of CPU the hypervisor took. */
  readonly stealCores: number;
}

export function backgroundBetween(from: Snapshot, to: Snapshot): Background {
  const seconds = (to.at - from.at) / 1000;
  if (seconds <= 0) return { otherCores: 0, stealCores: 0 };
  const cores = (ticks: number) => Math.max(0, ticks) / TICKS_PER_SECOND / seconds;
  return { otherCores: cores(to.busy - from.busy - (to.tree - from.tree)), stealCores: cores(to.steal - from.steal) };
}

/** Above this much CPU taken by others (cores, steal included), a scenario's figures are disturbed. */
export const isBusy = (b: Background) => b.otherCores + b.stealCores >= 0.1;

export const describeBackground = (b: Background) =>
  `other processes used ${b.otherCores.toFixed(2)} cores on average, hypervisor steal ${b.stealCores.toFixed(2)}`;
