/** Polls `check` until it returns a value other than undefined, or fails with the last error. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  {
    timeoutMs = 15_000,
    intervalMs = 100,
    abortIf,
  }: { timeoutMs?: number; intervalMs?: number; abortIf?: () => string | undefined } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = abortIf?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Waits until `url` answers with a 2xx status, and returns that response's parsed JSON body. A
 * minute by default: an app starting while two test runs load a 2-core machine takes seconds per
 * worker, and one that failed ends the wait at once (`abortIf`).
 */
export function waitForHttp(
  url: string,
  { timeoutMs = 60_000, abortIf }: { timeoutMs?: number; abortIf?: () => string | undefined } = {},
): Promise<unknown> {
  return waitFor(
    `${url} to answer`,
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      return (await response.json()) as unknown;
    },
    { timeoutMs, ...(abortIf ? { abortIf } : {}) },
  );
}
