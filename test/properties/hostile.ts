/**
 * Hostile requests that no schema describes, aimed at the API's own paths: odd methods, path
 * tricks, bad headers and framing, huge and deep JSON, broken encodings. Tables rather than
 * random draws: each case is cheap, and all of them run every time.
 */
import { METHODS } from "node:http";
import { allowHeader, type HttpMethod } from "@repo/contracts";
import { type RawRequestSpec, requestBytes } from "@repo/testing";
import { ASYNC_PREFIX, ENDPOINTS, type GeneratedRequest, printable, securedEndpointAt } from "./requests.ts";

/** An id no test creates: requests that might change a resource aim here. */
export const NO_SUCH_ID = 987_654_321;

export interface ApiPath {
  /** A concrete path: parameters filled with an id that does not exist. */
  readonly path: string;
  readonly methods: readonly HttpMethod[];
  readonly internal: boolean;
}

/** Every path of the API once, with the methods its contracts declare there. */
export const API_PATHS: readonly ApiPath[] = [...new Set(ENDPOINTS.map((e) => e.path))].map((path) => {
  const here = ENDPOINTS.filter((e) => e.path === path);
  return {
    path: path.replace(/:[A-Za-z0-9_]+/g, String(NO_SUCH_ID)),
    methods: here.map((e) => e.endpoint.method),
    internal: here.every((e) => e.endpoint.internal === true),
  };
});

export interface HostileCase {
  readonly request: GeneratedRequest;
  /** An exact status the answer must have, when the case has one (405 for a method not allowed). */
  readonly status?: number;
  /** An exact `Allow` header the answer must carry. */
  readonly allow?: string;
  /** Bytes sent as they are, instead of `request` rendered (framing that no spec can express). */
  readonly bytes?: Buffer;
  /**
   * The one 5xx that is a right answer here, as HTTP defines it rather than a failure: 501 (Not
   * Implemented) for a method no parser knows, 505 for an HTTP version nobody speaks.
   */
  readonly allowed5xx?: 501 | 505;
}

/** Sent with a valid token where the route takes one: what is hostile is the rest of the request. */
export const hostile = (spec: RawRequestSpec, broken: string): GeneratedRequest =>
  printable({
    ...spec,
    kind: "hostile",
    broken,
    ...(securedEndpointAt(spec.method, spec.target) ? { auth: "valid" } : {}),
  });

const ODD_METHODS = [
  "GET",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "TRACE",
  "PROPFIND",
  "PROPPATCH",
  "MKCOL",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
  "SEARCH",
  "QUERY",
  "PURGE",
  "REPORT",
  "LINK",
  "UNLINK",
  "MKCALENDAR",
  "SUBSCRIBE",
  "M-SEARCH",
  "CONNECT",
  "FOO",
  "get",
] as const;

/**
 * Every method on every path. A method HTTP knows but the path does not take is a 405 naming the
 * path's methods in `Allow`; OPTIONS is a 204 with it; an internal path is a 404 whatever the
 * method; a token no HTTP server knows gets whatever error, as long as it is a problem.
 */
export function oddMethods(): HostileCase[] {
  return API_PATHS.flatMap(({ path, methods, internal }) => {
    const allowed = new Set<string>([...methods, ...(methods.includes("GET") ? ["HEAD"] : []), "OPTIONS"]);
    return [...ODD_METHODS, "OPTIONS", "HEAD"]
      .filter((method) => internal || !allowed.has(method) || method === "OPTIONS")
      .map((method): HostileCase => {
        const request = hostile({ method, target: path }, `${method} on ${path}`);
        const unknown = METHODS.includes(method) ? {} : { allowed5xx: 501 as const };
        if (internal) return { request, ...(METHODS.includes(method) ? { status: 404 } : unknown) };
        if (method === "OPTIONS") return { request, status: 204, allow: allowHeader([...methods]) };
        if (METHODS.includes(method) && method !== "CONNECT")
          return { request, status: 405, allow: allowHeader([...methods]) };
        // A token no HTTP parser knows: 501 Not Implemented is the answer HTTP gives for it.
        return { request, ...unknown };
      });
  });
}

function encodeFirstLetter(path: string): string {
  const at = path.search(/[a-z]/);
  return at < 0 ? path : `${path.slice(0, at)}%${path.charCodeAt(at).toString(16)}${path.slice(at + 1)}`;
}

/** Ways to spell a path that routers, normalisers and proxies disagree on. */
export function pathTricks(): HostileCase[] {
  const cases = API_PATHS.flatMap(({ path }) => {
    const rest = path.slice(1);
    const variants = [
      `${path}/`,
      `${path}//`,
      `/${path}`,
      `/.${path}`,
      `${path}/.`,
      `${path}/..`,
      `${path}/../..`,
      path.toUpperCase(),
      `${path}%2f`,
      `${path}%2F..%2F..`,
      `${path}%00`,
      `${path}%00.json`,
      `${path};a=b`,
      `${path}?%00`,
      `${path}?a=%zz&b`,
      `${path}?${"x=1&".repeat(2_000)}`,
      `${path}#fragment`,
      `${path}%20`,
      `${path}/%`,
      `${path}/%zz`,
      `/%2e%2e${path}`,
      `/..%2f..%2f${rest}`,
      `/../${rest}`,
      `/%2e/${rest}`,
      encodeFirstLetter(path),
      `http://evil.example${path}`,
      rest,
    ];
    if (path.startsWith(`${ASYNC_PREFIX}/`)) {
      const inner = path.slice(ASYNC_PREFIX.length);
      variants.push(
        `${ASYNC_PREFIX}/.${inner}`,
        `${ASYNC_PREFIX}/..${inner}`,
        `${ASYNC_PREFIX}/..%2f${inner.slice(1)}`,
        `${ASYNC_PREFIX}%2f${inner.slice(1)}`,
      );
    } else {
      variants.push(`${ASYNC_PREFIX}/..${path}`, `${ASYNC_PREFIX}/%2e%2e${path}`);
    }
    return variants.map((target) => ({
      request: hostile({ method: "GET", target }, `path trick ${target.slice(0, 80)}`),
    }));
  });
  return [
    ...cases,
    { request: hostile({ method: "GET", target: `/${"a".repeat(16_000)}` }, "a 16 KB path") },
    { request: hostile({ method: "GET", target: `${BODY_PATH}?q=${"a".repeat(9_000)}` }, "a 9 KB query") },
    { request: hostile({ method: "OPTIONS", target: "*" }, "OPTIONS *") },
    { request: hostile({ method: "GET", target: "*" }, "GET *") },
  ];
}

export const JSON_TYPE: [string, string] = ["Content-Type", "application/json"];
/** Some JSON: what the framing and media-type cases carry. */
const SAMPLE_BODY = JSON.stringify({ title: "t", body: "b" });

/**
 * Where the body cases go: the first public endpoint that takes a body (its parameters filled),
 * so they reach a parser; the sync health path when the API has none (a 405 then, the framing
 * still refused first).
 */
export const BODY_PATH =
  API_PATHS.find(
    ({ path, internal }) =>
      !internal &&
      ENDPOINTS.some(
        (e) =>
          e.endpoint.body &&
          e.path.replace(/:[A-Za-z0-9_]+/g, String(NO_SUCH_ID)) === path &&
          e.endpoint.method === "POST",
      ),
  )?.path ?? "/healthz";

/** Bad headers and framing: what a parser must refuse, as a problem, without falling over. */
export function badHeaders(): HostileCase[] {
  const on = (path: string, headers: [string, string][], broken: string, extra: Partial<RawRequestSpec> = {}) => ({
    request: hostile({ method: "GET", target: path, headers, ...extra }, broken),
  });
  const raw = (bytes: string, broken: string, path = "/healthz"): HostileCase => ({
    request: hostile({ method: "GET", target: path }, broken),
    bytes: Buffer.from(bytes, "latin1"),
  });
  return API_PATHS.filter((p) => !p.internal)
    .flatMap(({ path }) => [
      on(path, [["X-Big", "a".repeat(20_000)]], "a 20 KB header"),
      on(
        path,
        Array.from({ length: 300 }, (_, i): [string, string] => [`X-H${i}`, "v"]),
        "300 headers",
      ),
      on(path, [["Cookie", `c=${"x".repeat(10_000)}`]], "a 10 KB cookie"),
      on(path, [["X-Request-ID", "r".repeat(200)]], "a 200-character request id"),
      on(path, [["X-Request-ID", "a b\tc"]], "a request id with spaces"),
      on(path, [["X-Request-ID", "\u00e9\u00ff"]], "a request id of latin-1 bytes"),
      on(
        path,
        [
          ["X-Request-ID", "id1"],
          ["X-Request-ID", "id2"],
        ],
        "two request ids",
      ),
      on(path, [["X-Bad", "a\u0001b"]], "a control character in a header value"),
      on(path, [["X-Forwarded-For", "not-an-ip, 999.1.1.1"]], "a forged X-Forwarded-For"),
      on(path, [["Accept", "application/xml"]], "Accept: application/xml"),
      on(path, [["Expect", "fancy"]], "Expect: fancy"),
      on(
        path,
        [
          ["Host", "a"],
          ["Host", "b"],
        ],
        "two Host headers",
      ),
      on(path, [["Transfer-Encoding", "chunked"]], "a chunked GET with a bad chunk", {
        body: "zz\r\nabc\r\n0\r\n\r\n",
      }),
      raw(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nX Bad: 1\r\nConnection: close\r\n\r\n`,
        "a header name with a space",
        path,
      ),
      raw(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nX-A: a\r\n folded\r\nConnection: close\r\n\r\n`,
        "an obs-folded header",
        path,
      ),
      raw(`GET ${path} HTTP/1.1\nHost: x\nConnection: close\n\n`, "bare LF line ends", path),
      raw(`GET ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`, "no Host header", path),
      raw(`GET ${path} HTTP/1.0\r\n\r\n`, "HTTP/1.0", path),
      // 505 (HTTP Version Not Supported) is HTTP's own answer to these two.
      {
        ...raw(`GET ${path} HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n`, "HTTP/2.0 in the request line", path),
        allowed5xx: 505 as const,
      },
      {
        ...raw(`GET ${path} HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n`, "HTTP/9.9", path),
        allowed5xx: 505 as const,
      },
      raw(`GET ${path} x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, "a space in the target", path),
    ])
    .concat([
      { ...raw("GARBAGE\r\n\r\n", "a garbage request line"), allowed5xx: 501 },
      raw(
        `POST ${BODY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\n{"a":1}`,
        "two Content-Lengths",
      ),
      raw(
        `POST ${BODY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\nConnection: close\r\n\r\n{}`,
        "a negative Content-Length",
      ),
      raw(
        `POST ${BODY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        "Content-Length and chunked",
      ),
      raw(
        `POST ${BODY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
        "a bad chunk size",
      ),
      raw(
        `POST ${BODY_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        "Transfer-Encoding gzip, chunked",
      ),
      ...[
        ["gzip", "Content-Encoding gzip on a plain body"],
        ["br", "Content-Encoding br on a plain body"],
        ["x-unknown", "an unknown Content-Encoding"],
      ].map(([encoding, broken]) => ({
        request: hostile(
          {
            method: "POST",
            target: BODY_PATH,
            headers: [JSON_TYPE, ["Content-Encoding", encoding as string]],
            body: SAMPLE_BODY,
          },
          broken as string,
        ),
      })),
      ...[
        "application/json; charset=utf-16",
        "application/json; charset=latin1",
        "application/json; charset=nope",
        "application/merge-patch+json",
      ].map((type) => ({
        request: hostile(
          { method: "POST", target: BODY_PATH, headers: [["Content-Type", type]], body: SAMPLE_BODY },
          `Content-Type ${type}`,
        ),
      })),
      {
        request: hostile(
          { method: "POST", target: BODY_PATH, headers: [JSON_TYPE, ["Expect", "100-continue"]], body: SAMPLE_BODY },
          "Expect: 100-continue",
        ),
      },
    ]);
}

/** `case` as bytes: its own when it has them, otherwise its request rendered. */
export function caseBytes(hostileCase: HostileCase, host: string): Buffer {
  return hostileCase.bytes ?? requestBytes(hostileCase.request, host);
}
