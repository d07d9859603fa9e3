/**
 * Requests generated from the contracts: every endpoint of `api`, its valid requests drawn from
 * the published JSON Schema of each part and confirmed by the contract's own zod schema (the
 * oracle: what the app enforces), and invalid ones made by breaking a valid one in one place.
 */
import { parse as parseQuery } from "node:querystring";
import { api, type Controller, type EndpointContract, PageQuery, requiredSecurity } from "@repo/contracts";
import { ASYNC_PREFIX, type RawRequestSpec } from "@repo/testing";
import fc from "fast-check";
import type { z } from "zod";
import { type AuthCase, REFUSED_AUTH } from "../support/tokens.ts";
import { arbitraryFor, type JsonSchema, jsonSchemaOf, otherType, text } from "./json-schema.ts";

/** Where async-api's routes live: the test run's ASYNC_PREFIX, which the apps and proxies read too. */
export { ASYNC_PREFIX };

export interface Endpoint {
  /** `controller.name` (`compute.primes`), for test names and reports. */
  readonly id: string;
  readonly controller: Controller;
  readonly endpoint: EndpointContract;
  /** The path as a client of the one origin sees it: async ones under the prefix. */
  readonly path: string;
}

/** Every endpoint of the public API's controllers, in their order: derived, never listed by hand. */
export const ENDPOINTS: readonly Endpoint[] = [...api.sync, ...api.async].flatMap((controller: Controller) =>
  Object.entries(controller.endpoints).map(([name, endpoint]) => ({
    id: `${controller.name}.${name}`,
    controller,
    endpoint,
    path: `${controller.runtime === "async" ? ASYNC_PREFIX : ""}${endpoint.path}`,
  })),
);

/** A request and what the generator knows about it. */
export interface GeneratedRequest extends RawRequestSpec {
  readonly endpoint?: Endpoint;
  /** `valid`: the contract's schemas accept every part; `invalid`: they refuse one; `hostile`: anything goes. */
  readonly kind: "valid" | "invalid" | "hostile";
  /** For an invalid request, what was broken (the mutation). */
  readonly broken?: string;
  /** The body as the contract's schema outputs it, for a valid request: what the app must store. */
  readonly parsedBody?: unknown;
  /**
   * The bearer token it is sent with, by case (`valid`, or a way to be refused): the header is
   * added as it is sent, signed with the key of the stack under test.
   */
  readonly auth?: AuthCase;
}

/** Does the contract require a token of this endpoint? */
export function isSecured(endpoint: Endpoint): boolean {
  return requiredSecurity(endpoint.controller.security, endpoint.endpoint.security) !== undefined;
}

/** The secured endpoint a method and target (a concrete path) reach, if any. */
export function securedEndpointAt(method: string, target: string): Endpoint | undefined {
  const path = target.split("?", 1)[0] ?? "";
  return ENDPOINTS.find(
    (e) =>
      e.endpoint.method === method &&
      isSecured(e) &&
      new RegExp(`^${e.path.replace(/:[A-Za-z0-9_]+/g, "[^/]+")}$`).test(path),
  );
}

/** What a request of this endpoint must carry to be let in: a valid token where one is required. */
const letIn = (endpoint: Endpoint): { auth?: AuthCase } => (isSecured(endpoint) ? { auth: "valid" } : {});

/** How a request reads in a failure report: a huge body is summarised, invisible characters escaped. */
export function describeRequest(request: RawRequestSpec & { kind?: string; broken?: string }): string {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const shownBody =
    body === undefined
      ? ""
      : ` body(${body.length} bytes)=${JSON.stringify(body.subarray(0, 300).toString("latin1"))}${body.length > 300 ? "…" : ""}`;
  const headers = (request.headers ?? []).map(
    ([n, v]) => `${n}: ${JSON.stringify(v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v)}`,
  );
  const target =
    request.target.length > 300 ? `${request.target.slice(0, 300)}…(${request.target.length})` : request.target;
  return `[${request.kind ?? "?"}${request.broken ? `: ${request.broken}` : ""}] ${request.method} ${target} {${headers.join("; ")}}${shownBody}`;
}

/** Prints as `describeRequest` in fast-check's counterexamples. */
export function printable<T extends RawRequestSpec>(request: T): T {
  return Object.defineProperty(request, fc.toStringMethod, {
    value: () => describeRequest(request),
    enumerable: false,
  });
}

const isPageCursor = (endpoint: EndpointContract, key: string) =>
  key === "cursor" && endpoint.query?.shape.cursor === PageQuery.shape.cursor;

/** A part of a request as it goes on the wire: path segments escaped, query values as strings. */
interface Parts {
  params?: Record<string, string>;
  query?: [string, string][];
  body?: unknown;
}

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate goes as U+FFFD's, as any client's encoder sends it). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`,
    )
    .join("");
}

function wire(endpoint: Endpoint, parts: Parts, extraHeaders: [string, string][] = []): RawRequestSpec {
  const path = endpoint.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => parts.params?.[name] ?? "1");
  const query = parts.query?.length
    ? `?${parts.query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join("&")}`
    : "";
  const hasBody = endpoint.endpoint.body !== undefined && parts.body !== undefined;
  return {
    method: endpoint.endpoint.method,
    target: `${path}${query}`,
    headers: [...(hasBody ? ([["Content-Type", "application/json"]] as [string, string][]) : []), ...extraHeaders],
    ...(hasBody ? { body: JSON.stringify(parts.body) } : {}),
  };
}

/**
 * What the app's framework hands the contract for this request, parsed back from the wire (path
 * segments unescaped, the query as node:querystring reads it, the body as JSON), or why it
 * cannot: the zod oracle then judges these parts exactly as the app does.
 */
export function partsFromWire(
  endpoint: Endpoint,
  request: RawRequestSpec,
): { params: unknown; query: unknown; body: unknown } {
  const [pathname = "", search = ""] = request.target.split("?", 2) as [string, string?];
  const names = [...endpoint.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
  const pattern = new RegExp(`^${endpoint.path.replace(/:[A-Za-z0-9_]+/g, "([^/]+)")}$`);
  const match = pattern.exec(pathname);
  const params = match
    ? Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1] as string)]))
    : undefined;
  const body = request.body === undefined ? undefined : JSON.parse(Buffer.from(request.body).toString("utf8"));
  return { params, query: { ...parseQuery(search ?? "") }, body };
}

/** Does the contract accept every part of this request? Then also what its body schema outputs. */
export function oracle(endpoint: Endpoint, request: RawRequestSpec): { valid: boolean; body?: unknown } {
  let parts: ReturnType<typeof partsFromWire>;
  try {
    parts = partsFromWire(endpoint, request);
  } catch {
    return { valid: false };
  }
  const contract = endpoint.endpoint;
  const check = (schema: z.ZodType | undefined, value: unknown) => (schema ? schema.safeParse(value) : undefined);
  if (contract.params && parts.params === undefined) return { valid: false };
  const results = [
    check(contract.params, parts.params),
    check(contract.query, parts.query),
    check(contract.headers, {}),
  ];
  const body = check(contract.body, parts.body);
  const valid = [...results, body].every((result) => result === undefined || result.success);
  return { valid, ...(body?.success ? { body: body.data } : {}) };
}

const schemaArbitrary = (schema: z.ZodType | undefined) =>
  schema ? arbitraryFor(jsonSchemaOf(schema)) : fc.constant(undefined);

/** Sane request ids sometimes, so answers can be matched to the logs. */
const requestIdHeader: fc.Arbitrary<[string, string][]> = fc.option(
  fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/).map((id): [string, string][] => [["X-Request-ID", id]]),
  { nil: [] },
);

/** The parts a valid request of this endpoint may have, drawn from the published schemas. */
function validParts(endpoint: Endpoint): fc.Arbitrary<Parts> {
  const contract = endpoint.endpoint;
  return fc
    .record({
      params: schemaArbitrary(contract.params),
      query: schemaArbitrary(contract.query),
      body: schemaArbitrary(contract.body),
    })
    .map(({ params, query, body }) => ({
      ...(params !== undefined
        ? {
            params: Object.fromEntries(
              Object.entries(params as Record<string, unknown>).map(([k, v]) => [k, percentEncode(String(v))]),
            ),
          }
        : {}),
      ...(query !== undefined
        ? {
            query: Object.entries(query as Record<string, unknown>)
              // A page cursor is valid only when the API made it: the invalid class sends made-up ones.
              .filter(([key, value]) => value !== undefined && !isPageCursor(contract, key))
              .map(([key, value]): [string, string] => [key, String(value)]),
          }
        : {}),
      ...(body !== undefined ? { body } : {}),
    }));
}

/** Valid requests of `endpoint`: published-schema values that the contract's zod schemas accept. */
export function validRequests(endpoint: Endpoint): fc.Arbitrary<GeneratedRequest> {
  return fc
    .tuple(validParts(endpoint), requestIdHeader)
    .map(([parts, headers]) => ({ spec: wire(endpoint, parts, headers), parts }))
    .map(({ spec }) => ({ spec, verdict: oracle(endpoint, spec) }))
    .filter(({ verdict }) => verdict.valid)
    .map(({ spec, verdict }) =>
      printable({
        ...spec,
        endpoint,
        kind: "valid" as const,
        ...letIn(endpoint),
        ...(verdict.body !== undefined ? { parsedBody: verdict.body } : {}),
      }),
    );
}

/** Path parameter values a client may send that no integer id schema takes (already escaped). */
const BAD_SEGMENTS = [
  "abc",
  "0",
  "-1",
  "1.5",
  "1e400",
  "9007199254740993",
  "0x1A",
  "%201",
  "1%20",
  "%D9%A1",
  "%00",
  "%2e%2e",
  "null",
  "%5B%5D",
  "1;2",
  "NaN",
  "Infinity",
  "%EF%BC%91",
];
/** Query values that break numbers and bounds. */
const BAD_QUERY_VALUES = [
  "",
  "abc",
  "-1",
  "0",
  "1.5",
  "1e400",
  "NaN",
  "Infinity",
  "99999999999",
  "%00",
  "\u0000",
  "1,2",
  "[]",
  "true",
];

interface Mutation {
  readonly name: string;
  readonly apply: (
    parts: Parts,
    endpoint: Endpoint,
  ) => { parts: Parts; transport?: Partial<RawRequestSpec> } | undefined;
}

/** The ways one valid request is broken in one place: zod must refuse what these make (checked). */
function mutations(endpoint: Endpoint): fc.Arbitrary<Mutation>[] {
  const contract = endpoint.endpoint;
  const list: fc.Arbitrary<Mutation>[] = [];
  const paramNames = [...endpoint.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1] as string);
  if (paramNames.length > 0) {
    list.push(
      fc.tuple(fc.constantFrom(...paramNames), fc.constantFrom(...BAD_SEGMENTS)).map(([name, value]) => ({
        name: `path parameter ${name}=${value}`,
        apply: (parts) => ({ parts: { ...parts, params: { ...parts.params, [name]: value } } }),
      })),
    );
  }
  const queryNames = Object.keys(contract.query?.shape ?? {});
  if (queryNames.length > 0) {
    list.push(
      fc
        .tuple(fc.constantFrom(...queryNames), fc.constantFrom(...BAD_QUERY_VALUES), text(1, 600))
        .map(([name, value, cursor]) => ({
          name: `query ${name}=${JSON.stringify(isPageCursor(contract, name) ? cursor : value)}`,
          apply: (parts) => ({
            parts: {
              ...parts,
              query: [
                ...(parts.query ?? []).filter(([k]) => k !== name),
                [name, isPageCursor(contract, name) ? cursor : value],
              ],
            },
          }),
        })),
      fc.constantFrom(...queryNames).map((name) => ({
        name: `query ${name} twice`,
        apply: (parts) => ({ parts: { ...parts, query: [...(parts.query ?? []), [name, "1"], [name, "2"]] } }),
      })),
      fc.constantFrom(...queryNames).map((name) => ({
        name: `query ${name} missing`,
        apply: (parts) => ({ parts: { ...parts, query: (parts.query ?? []).filter(([k]) => k !== name) } }),
      })),
    );
  }
  if (contract.body) {
    const schema = resolve(jsonSchemaOf(contract.body));
    const properties = Object.keys(schema.properties ?? {});
    list.push(
      otherType({}).map((value) => ({
        name: `body is ${JSON.stringify(value)}`,
        apply: (parts) => ({ parts: { ...parts, body: value } }),
      })),
      fc.constantFrom(...(properties.length ? properties : ["-"])).map((name) => ({
        name: `body.${name} missing`,
        apply: (parts) => {
          const { [name]: _, ...rest } = parts.body as Record<string, unknown>;
          return { parts: { ...parts, body: rest } };
        },
      })),
      fc
        .tuple(fc.constantFrom(...(properties.length ? properties : ["-"])), fc.jsonValue({ maxDepth: 1 }))
        .chain(([name, original]) =>
          otherType(original).map((value) => ({
            name: `body.${name} = ${JSON.stringify(value)}`,
            apply: (parts: Parts) => ({ parts: { ...parts, body: { ...(parts.body as object), [name]: value } } }),
          })),
        ),
      fc
        .tuple(fc.constantFrom(...(properties.length ? properties : ["-"])), fc.integer({ min: 1, max: 3 }))
        .map(([name, over]) => ({
          name: `body.${name} ${over} over its maximum length`,
          apply: (parts: Parts) => {
            const max = schema.properties?.[name]?.maxLength;
            return max === undefined
              ? undefined
              : { parts: { ...parts, body: { ...(parts.body as object), [name]: "\u00e9".repeat(max + over) } } };
          },
        })),
      fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })).map(([name, value]) => ({
        name: `body.${name} unknown`,
        apply: (parts: Parts) =>
          schema.additionalProperties === false && !properties.includes(name)
            ? { parts: { ...parts, body: { ...(parts.body as object), [name]: value } } }
            : undefined,
      })),
      fc.integer({ min: 1, max: 20 }).map((cut) => ({
        name: `body cut ${cut} bytes short (malformed JSON)`,
        apply: (parts: Parts) => {
          const json = JSON.stringify(parts.body);
          return { parts, transport: { body: json.slice(0, Math.max(0, json.length - cut)) || "{" } };
        },
      })),
      fc
        .constantFrom(
          "text/plain",
          "application/x-www-form-urlencoded",
          "application/xml",
          "multipart/form-data; boundary=x",
          "",
          "application/jsonx",
        )
        .map((type) => ({
          name: `content-type ${JSON.stringify(type)}`,
          apply: (parts: Parts) => ({ parts, transport: { headers: type ? [["Content-Type", type]] : [] } }),
        })),
      fc.constant({
        name: "no body (content-type JSON, length 0)",
        apply: (parts: Parts) => ({ parts, transport: { body: "" } }),
      }),
    );
  }
  return list;
}

function resolve(schema: JsonSchema): JsonSchema {
  const name = schema.$ref?.replace(/^#\/\$defs\//, "");
  return name ? (schema.$defs?.[name] ?? schema) : schema;
}

/** Whether the endpoint has any part a client can break (an endpoint without inputs has no invalid class). */
export function hasInputs(endpoint: Endpoint): boolean {
  return mutations(endpoint).length > 0;
}

/**
 * Invalid requests of `endpoint`: a valid one broken in one place. What the broken parts are
 * judged by the zod oracle (a mutation that happens to stay valid is discarded); a transport
 * mutation (malformed JSON, another media type, no body) is invalid by construction.
 */
export function invalidRequests(endpoint: Endpoint): fc.Arbitrary<GeneratedRequest> {
  return fc
    .tuple(validParts(endpoint), fc.oneof(...mutations(endpoint)), requestIdHeader)
    .map(([parts, mutation, ids]) => {
      const outcome = mutation.apply(parts, endpoint);
      if (!outcome) return undefined;
      const spec = wire(endpoint, outcome.parts, ids);
      const transport = outcome.transport;
      const request: RawRequestSpec = transport
        ? {
            ...spec,
            ...(transport.body !== undefined ? { body: transport.body } : {}),
            headers: transport.headers !== undefined ? [...transport.headers, ...ids] : [...(spec.headers ?? [])],
          }
        : spec;
      if (!transport && oracle(endpoint, request).valid) return undefined;
      return printable({ ...request, endpoint, kind: "invalid" as const, broken: mutation.name, ...letIn(endpoint) });
    })
    .filter((request): request is NonNullable<typeof request> => request !== undefined);
}

/**
 * Requests of a secured endpoint that are valid but for their token: none, another scheme, a
 * token that is malformed, expired, for another audience or issuer, unsigned (`alg: none`),
 * signed with another key or algorithm, or without the scope.
 */
export function refusedRequests(endpoint: Endpoint): fc.Arbitrary<GeneratedRequest> {
  return fc
    .tuple(validRequests(endpoint), fc.constantFrom(...REFUSED_AUTH))
    .map(([request, { name }]) =>
      printable({ ...request, kind: "hostile" as const, broken: `token: ${name}`, auth: name }),
    );
}
