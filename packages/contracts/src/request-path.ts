/**
 * The one routing rule of both proxies (docs/architecture.md, "One routing rule"): the app is
 * chosen from exactly the path the app will see. A proxy forwards the request target as the client
 * sent it, but nginx picks its `location` on the decoded, normalised `$uri`; so a path that
 * decoding or normalising would change is refused before any routing, and for every other path
 * the raw path and nginx's `$uri` pick the same app (the prefix is unreserved characters only).
 */

/**
 * A request target whose path is not in canonical form: an empty segment (`//`), a dot segment
 * (`.`, `..`), a backslash or a fragment, a percent-encoded unreserved character (`%61`, `%2e`,
 * `%7e`), an encoded slash or backslash (`%2f`, `%5c`), NUL (`%00`), or a `%` that starts no
 * escape. Only the path counts, not the query. nginx's template has this pattern's source, as is
 * (test/infra.test.ts holds them equal), in the map of `$request_uri` it refuses: so a backslash
 * is spelled `\x5c`, which nginx's config parser leaves alone (it would unescape `\\`).
 */
export const NON_CANONICAL_PATH =
  /^[^?]*?(?:\/\/|\/\.\.?(?:[/?#]|$)|[\x5c#]|%(?:2[def]|3[0-9]|[46][1-9a-f]|[57][0-9a]|5[cf]|7e|00)|%(?![0-9a-f]{2}))/i;

/** `type` of the 400 a proxy answers for a path not in canonical form. */
export const NON_CANONICAL_PATH_PROBLEM_TYPE = "/problems/non-canonical-path";

/** The detail of that 400: the same words from both proxies. */
export const NON_CANONICAL_PATH_DETAIL =
  "The path is not in canonical form: no empty or dot segments, backslashes or fragments, and no percent-encoding of unreserved characters, slashes or NUL";

/**
 * The target in origin form (path and query), as a proxy forwards it: an absolute-form target
 * (`http://host/path`) loses its scheme and authority, as nginx and the dev proxy both send it on.
 */
export function originForm(target: string): string {
  const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(target);
  if (!absolute) return target;
  const rest = target.slice(absolute[0].length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}

/** The path of a request target (origin or absolute form), without its query. */
export function requestPath(target: string): string {
  return originForm(target).split("?", 1)[0] ?? "";
}

/** Is this request target's path in canonical form (see NON_CANONICAL_PATH)? */
export function isCanonicalPath(target: string): boolean {
  return !NON_CANONICAL_PATH.test(originForm(target));
}

/** The detail of the 400 for a target `isParseableTarget` refuses: the same words from every hop. */
export const UNPARSEABLE_TARGET_DETAIL = "The request target is not a valid URL: its scheme or authority is malformed";

/**
 * Can a URL be made of this request target? An absolute-form target must be a valid URL (WHATWG,
 * as Node, Fastify and the proxy libraries parse it): `http://x:99999/`, `http://[::1/`,
 * `http://x:abc/` and `http://1.2.3.4.5/` are not. Every hop refuses those with a 400 before
 * routing; parsed later, they threw (the dev proxy) or were answered by Express's own HTML 404.
 */
export function isParseableTarget(target: string): boolean {
  return !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(target) || URL.canParse(target);
}
