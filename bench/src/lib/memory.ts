/** Resident memory from /proc (Linux): VmRSS of a process and of everything it forked. */
import { readFileSync } from "node:fs";
import { descendantsOf } from "@repo/testing";

/** VmRSS of one process in bytes (0 once it is gone). */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A process and its descendants (sync-api's supervisor and its workers), each with its VmRSS. */
export function treeRss(pid: number): { pid: number; bytes: number }[] {
  return [pid, ...descendantsOf(pid)].map((each) => ({ pid: each, bytes: rssBytes(each) }));
}
