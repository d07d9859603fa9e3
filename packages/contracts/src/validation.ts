import { z } from "zod";
import type { EndpointContract } from "./contract.ts";
import {
  BODY_PROBLEM_DETAIL,
  type FieldError,
  HttpProblem,
  MAX_LISTED_ERRORS,
  type ProblemDetails,
  problem,
  validationProblem,
} from "./problem.ts";

/** The parts of a request as the framework parsed them. */
export interface RequestParts {
  readonly params: unknown;
  readonly query: unknown;
  readonly headers: unknown;
  readonly body: unknown;
}

export type ValidatedRequest =
  | { readonly ok: true; readonly value: RequestParts }
  /** `errors`: the first MAX_LISTED_ERRORS failing fields; `total`: how many failed. */
  | { readonly ok: false; readonly errors: FieldError[]; readonly total: number };

const PARTS = ["params", "query", "headers", "body"] as const;

/** The message of a number in a path spelled otherwise than in plain decimal. */
export const NON_CANONICAL_NUMBER =
  "not a number in canonical form: decimal digits, without +, leading zeros, exponent or hex";

/** The message of a query key no contract declares. */
export const UNKNOWN_QUERY_PARAMETER = "unknown query parameter";

/**
 * The keys of a parsed query that are not in `declared`. The query is closed, as the OpenAPI
 * document publishes it: a key nobody declared is refused rather than ignored (a misspelt
 * `limit` would otherwise be answered as if it were not there).
 */
function unknownQueryKeys(query: unknown, declared: readonly string[]): string[] {
  if (query === null || typeof query !== "object") return NONE;
  // Most queries are empty or all declared: no array is made for them (every request asks).
  let unknown: string[] | undefined;
  for (const key in query) {
    if (!Object.hasOwn(query, key) || declared.includes(key)) continue;
    unknown ??= [];
    unknown.push(key);
  }
  return unknown ?? NONE;
}

const NONE: string[] = [];

/** The 400 validation problem for query keys no contract declares, or undefined when there are none. */
export function unknownQueryProblem(query: unknown, declared: readonly string[]): HttpProblem | undefined {
  const unknown = unknownQueryKeys(query, declared);
  if (unknown.length === 0) return undefined;
  const errors = unknown.slice(0, MAX_LISTED_ERRORS).map((key) => unknownQueryError(key));
  const body = validationProblem(errors, {}, unknown.length);
  return new HttpProblem(400, body.detail, body);
}

function unknownQueryError(key: string): FieldError {
  return { location: `query.${key}`, message: UNKNOWN_QUERY_PARAMETER, code: "unrecognized_keys" };
}

/** The declared part of a query: what its schema is given, the unknown keys being reported apart. */
function declaredOnly(query: unknown, declared: readonly string[]): unknown {
  if (query === null || typeof query !== "object") return query;
  return Object.fromEntries(Object.entries(query).filter(([key]) => declared.includes(key)));
}

/**
 * A number as a path segment, in its one spelling: decimal digits, a minus at most, no leading
 * zero, `+`, exponent, hex or trailing fraction zeros. zod's coerced number takes `1e3`, `0x10`,
 * `+1` and `01` too: each another URL of the same resource (one resource, one URL).
 */
const CANONICAL_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?$/;

/** The path parameters that are numbers spelled otherwise than CANONICAL_NUMBER, zod's verdict aside. */
function nonCanonicalNumbers(endpoint: EndpointContract, params: unknown): string[] {
  const numbers = shapeOf(endpoint).numberParams;
  if (numbers.length === 0 || params === null || typeof params !== "object") return NONE;
  const values = params as Record<string, unknown>;
  return numbers.filter((key) => typeof values[key] === "string" && !CANONICAL_NUMBER.test(values[key]));
}

/** What validation reads of an endpoint's schemas on every request, worked out once per endpoint. */
interface EndpointShape {
  /** The query keys its contract declares. */
  readonly declaredQuery: readonly string[];
  /** Its path parameters that are numbers. */
  readonly numberParams: readonly string[];
}

const shapes = new WeakMap<EndpointContract, EndpointShape>();

function shapeOf(endpoint: EndpointContract): EndpointShape {
  let shape = shapes.get(endpoint);
  if (!shape) {
    shape = {
      declaredQuery: Object.keys(endpoint.query?.shape ?? {}),
      numberParams: Object.entries(endpoint.params?.shape ?? {})
        .filter(([, field]) => field instanceof z.ZodNumber)
        .map(([key]) => key),
    };
    shapes.set(endpoint, shape);
  }
  return shape;
}

/**
 * Validates every part of a request against its endpoint's contract, the same way in both apps:
 * all parts are checked, and every failing field is reported with its location (`query.limit`),
 * a query key the contract does not declare too (the query is closed, whether or not the
 * endpoint declares one). A part the contract does not describe otherwise passes through as
 * undefined, so handlers see only what was declared.
 */
export function validateRequest(endpoint: EndpointContract, parts: RequestParts): ValidatedRequest {
  const value: Record<string, unknown> = { params: undefined, query: undefined, headers: undefined, body: undefined };
  // Listed up to the cap and counted past it: no array of every failure is ever built, so a body
  // of 100,000 unknown keys costs neither a huge answer nor a spread that overflows the stack.
  const errors: FieldError[] = [];
  let total = 0;
  const { declaredQuery } = shapeOf(endpoint);
  for (const part of PARTS) {
    const schema = endpoint[part];
    if (part === "query") {
      for (const key of unknownQueryKeys(parts.query, declaredQuery)) {
        total += 1;
        if (errors.length < MAX_LISTED_ERRORS) errors.push(unknownQueryError(key));
      }
    }
    if (!schema) continue;
    const parsed = schema.safeParse(part === "query" ? declaredOnly(parts.query, declaredQuery) : parts[part]);
    if (part === "params") {
      // Only where zod took the value: a field is reported once.
      const failing = new Set(parsed.error?.issues.map((issue) => String(issue.path[0])));
      for (const key of nonCanonicalNumbers(endpoint, parts.params).filter((k) => !failing.has(k))) {
        total += 1;
        if (errors.length < MAX_LISTED_ERRORS) {
          errors.push({ location: `params.${key}`, message: NON_CANONICAL_NUMBER, code: "invalid_format" });
        }
      }
    }
    if (parsed.success) {
      value[part] = parsed.data;
      continue;
    }
    for (const issue of parsed.error.issues) {
      const at = [part, ...issue.path.map(String)];
      const keys = issue.code === "unrecognized_keys" ? issue.keys : undefined;
      total += keys ? keys.length : 1;
      for (const key of keys ?? [undefined]) {
        if (errors.length >= MAX_LISTED_ERRORS) break;
        errors.push(
          key === undefined
            ? { location: at.join("."), message: issue.message, code: issue.code }
            : { location: [...at, key].join("."), message: "unknown field", code: issue.code },
        );
      }
    }
  }
  return total > 0 ? { ok: false, errors, total } : { ok: true, value: value as unknown as RequestParts };
}

/**
 * Checks what a handler answered against the endpoint's contract: a declared status, and a body
 * its schema accepts. Returns why not, naming the contract, or undefined when it fits.
 */
export function responseMismatch(
  where: string,
  endpoint: EndpointContract,
  status: number,
  body: unknown,
): string | undefined {
  if (!(status in endpoint.responses)) {
    return `${where} answered ${status}, which its contract does not declare (${Object.keys(endpoint.responses).join(", ")})`;
  }
  const schema = endpoint.responses[status];
  if (schema === null || schema === undefined) {
    return body === undefined ? undefined : `${where} answered ${status} with a body, but its contract declares none`;
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return undefined;
  const fields = parsed.error.issues.map((i) => `${["body", ...i.path.map(String)].join(".")}: ${i.message}`);
  return `${where} answered ${status} with a body that breaks its contract: ${fields.join("; ")}`;
}

/**
 * Are every string and key in a parsed JSON value well-formed Unicode (no lone surrogate)? A loop
 * with a stack of its own, not recursion: a body nested 100,000 deep must not overflow the call
 * stack.
 */
export function isWellFormedJson(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === "string") {
      if (!item.isWellFormed()) return false;
    } else if (Array.isArray(item)) {
      for (const element of item) pending.push(element);
    } else if (item !== null && typeof item === "object") {
      for (const [key, element] of Object.entries(item)) {
        if (!key.isWellFormed()) return false;
        pending.push(element);
      }
    }
  }
  return true;
}

/** Is this `content-type` JSON (`application/json`, `application/problem+json`, ...)? */
export function isJsonContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** What a handler answers, as an app reads it. */
export interface HandlerResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A response that breaks its contract: a bug in the handler, reported as a loud 500. */
export class ContractViolation extends Error {
  override readonly name = "ContractViolation";
}

/**
 * The request's parts as the handler gets them, or the problem to answer instead: 415 when a
 * declared body is not JSON, 400 listing every failing field. Both apps run exactly this.
 */
export function parseRequest(
  endpoint: EndpointContract,
  parts: RequestParts,
  contentType: string | undefined,
): RequestParts {
  if (endpoint.body && !isJsonContentType(contentType)) {
    throw new HttpProblem(415, BODY_PROBLEM_DETAIL.mediaType);
  }
  // A lone surrogate would be stored as U+FFFD: the client's text changed without a word.
  if (endpoint.body && !isWellFormedJson(parts.body)) throw new HttpProblem(400, BODY_PROBLEM_DETAIL.loneSurrogate);
  const validated = validateRequest(endpoint, parts);
  if (!validated.ok) {
    const body = validationProblem(validated.errors, {}, validated.total);
    throw new HttpProblem(400, body.detail, body);
  }
  return validated.value;
}

/** Throws a ContractViolation naming the contract when a handler's answer breaks it. */
export function checkResponse(where: string, endpoint: EndpointContract, result: HandlerResult): void {
  const mismatch = responseMismatch(where, endpoint, result.status, result.body);
  if (mismatch) throw new ContractViolation(mismatch);
}

export interface ErrorAnswer {
  readonly body: ProblemDetails;
  readonly headers: Readonly<Record<string, string>>;
  /** A bug rather than the client's mistake: log it whole. */
  readonly unexpected: boolean;
}

/**
 * The problem both apps answer for anything thrown while handling a request: an HttpProblem as it
 * is; a framework's or parser's error with a 4xx status as the client's mistake (`clientDetail`
 * words it); anything else a 500 that names a broken contract but hides other internals unless
 * `exposeErrors` is on.
 */
export function answerForError(
  error: unknown,
  { exposeErrors, clientDetail }: { exposeErrors: boolean; clientDetail?: (error: unknown) => string | undefined },
): ErrorAnswer {
  if (error instanceof HttpProblem) return { body: error.body, headers: error.headers, unexpected: false };
  const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown };
  const code = typeof status === "number" ? status : statusCode;
  if (typeof code === "number" && code >= 400 && code < 500) {
    const detail = clientDetail?.(error) ?? (error instanceof Error ? error.message : undefined);
    return { body: problem({ status: code, detail }), headers: {}, unexpected: false };
  }
  const show = error instanceof ContractViolation || (exposeErrors && error instanceof Error);
  return {
    body: problem({ status: 500, detail: show ? (error as Error).message : undefined }),
    headers: {},
    unexpected: true,
  };
}
