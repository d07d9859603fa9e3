import { type AppProcess, killTree, type StartOptions, startProcess } from "@repo/testing";

const running = new Set<AppProcess>();

/**
 * Runs a command to its end and resolves with its exit code and output. It starts detached, so
 * past `timeoutMs` it is killed with everything it started (turbo, vitest workers, apps).
 */
export async function runToEnd(
  command: string,
  args: readonly string[],
  { timeoutMs, ...options }: StartOptions & { readonly timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  const child = startProcess(command, args, { ...options, detached: true });
  running.add(child);
  const timer = setTimeout(() => killTree(child.pid), timeoutMs);
  const exit = await child.exited;
  clearTimeout(timer);
  running.delete(child);
  return { code: exit.code, output: child.output() };
}

/** Kills what runToEnd started and is still running: for afterAll, so a failed test leaves nothing. */
export function killRunning(): void {
  for (const child of running) killTree(child.pid);
  running.clear();
}
