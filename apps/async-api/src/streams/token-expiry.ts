import { type Principal, problem } from "@repo/contracts";

/** setTimeout's longest delay (about 24.8 days); a later expiry is waited for in steps. */
const LONGEST_DELAY_MS = 2 ** 31 - 1;

/**
 * Calls `expire` when the token `principal` came with expires (is no longer accepted: its `exp`
 * plus the clock tolerance): an open stream is re-checked then, not left open for as long as its
 * client keeps it. The returned function cancels it (the stream
 * closed first). Nothing happens for a public stream (no principal).
 */
export function atTokenExpiry(principal: Principal | undefined, expire: () => void): () => void {
  if (principal?.validUntil === undefined) return () => {};
  const at = principal.validUntil * 1_000;
  let timer: NodeJS.Timeout;
  const wait = () => {
    const left = at - Date.now();
    timer = left > 0 ? setTimeout(wait, Math.min(left, LONGEST_DELAY_MS)) : setTimeout(expire, 0);
  };
  wait();
  return () => clearTimeout(timer);
}

/** The SSE stream's last message when its token expires: a `token-expired` event with a 401 problem. */
export function tokenExpiredMessage(event: string): string {
  const body = problem({ status: 401, detail: "The bearer token has expired: reconnect with a fresh one" });
  return `event: ${event}\ndata: ${JSON.stringify(body)}\n\n`;
}
