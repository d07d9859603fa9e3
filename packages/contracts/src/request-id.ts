/** The request id header: kept if the client sent a sane one, otherwise made at the first hop. */
export const REQUEST_ID_HEADER = "x-request-id";

/** Printable, no spaces, bounded: safe to echo into headers and log lines. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The client's request id if it is sane, else undefined. */
export function saneRequestId(value: string | readonly string[] | undefined): string | undefined {
  const id = Array.isArray(value) ? value[0] : value;
  return typeof id === "string" && SANE_REQUEST_ID.test(id) ? id : undefined;
}

/**
 * The request id to use: the client's, if sane, or a new one: 32 random hex digits, the form
 * nginx's `$request_id` takes, so ids look alike whichever hop made them.
 */
export function requestIdFrom(value: string | readonly string[] | undefined): string {
  return saneRequestId(value) ?? globalThis.crypto.randomUUID().replaceAll("-", "");
}
