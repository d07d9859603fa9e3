import type { IncomingHttpHeaders } from "node:http";
import { httpGet, type PlainResponse } from "./http.ts";

/** `count` GETs of `url` at once, each on a fresh connection (so a cluster spreads them over its workers). */
export function burst(url: string, count: number): Promise<PlainResponse[]> {
  return Promise.all(Array.from({ length: count }, () => httpGet(url)));
}

/** What the IETF `RateLimit` and `RateLimit-Policy` headers (draft 8) say, or undefined without them. */
export interface RateLimitHeaders {
  /** The policy's name, in both headers. */
  readonly policy: string;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
  readonly quota: number;
  readonly windowSeconds: number;
}

const RATE_LIMIT = /^"([^"]*)"; r=(\d+); t=(\d+)$/;
const POLICY = /^"([^"]*)"; q=(\d+); w=(\d+); pk=:[A-Za-z0-9+/=]+:$/;

/** Parses both headers strictly: an answer in another shape is undefined, as one without them. */
export function rateLimitHeaders(headers: IncomingHttpHeaders): RateLimitHeaders | undefined {
  const limit = RATE_LIMIT.exec(String(headers.ratelimit ?? ""));
  const policy = POLICY.exec(String(headers["ratelimit-policy"] ?? ""));
  if (!limit || !policy || limit[1] !== policy[1]) return undefined;
  return {
    policy: String(policy[1]),
    remaining: Number(limit[2]),
    resetSeconds: Number(limit[3]),
    quota: Number(policy[2]),
    windowSeconds: Number(policy[3]),
  };
}

/**
 * Callers behind one address (a NAT) on a secured route limited to 2 a window: three requests
 * without a token, then `alice` three times, then `bob`. The statuses each got, for a test to
 * hold to the rule that such a route counts each token's subject once its token is checked.
 */
export async function callersBehindOneAddress(
  url: string,
  tokenFor: (subject: string) => Promise<string>,
): Promise<{ anonymous: number[]; alice: number[]; bob: number[] }> {
  const get = async (token?: string) =>
    (await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})).status;
  const [alice, bob] = await Promise.all([tokenFor("alice"), tokenFor("bob")]);
  const anonymous = [await get(), await get(), await get()];
  const asAlice = [await get(alice), await get(alice), await get(alice)];
  return { anonymous, alice: asAlice, bob: [await get(bob)] };
}
