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

/**
 * Validates every part of a request against its endpoint's contract, the same way in both apps:
 * all parts are checked, and every failing field is reported with its location (`query.limit`).
 * A part the contract does not describe passes through as undefined, so handlers see only what
 * was declared.
 */
export function validateRequest(endpoint: EndpointContract, parts: RequestParts): ValidatedRequest {
  const value: Record<string, unknown> = { params: undefined, query: undefined, headers: undefined, body: undefined };
  // Listed up to the cap and counted past it: no array of every failure is ever built, so a body
  // of 100,000 unknown keys costs neither a huge answer nor a spread that overflows the stack.
  const errors: FieldError[] = [];
  let total = 0;
  for (const part of PARTS) {
    const schema = endpoint[part];
    if (!schema) continue;
    const parsed = schema.safeParse(parts[part]);
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
