/**
 * What every answer must be, whatever was asked, and what a valid request's answer must be. (The
 * examples' data invariant is in a module of their own.)
 */
import { ProblemDetails, saneRequestId } from "@repo/contracts";
import type { RawResponse } from "@repo/testing";
import { REFUSED_AUTH } from "../support/tokens.ts";
import type { Endpoint, GeneratedRequest } from "./requests.ts";

/** The largest error answer taken: an error may not amplify a request into megabytes. */
export const MAX_ERROR_BYTES = 64 * 1024;

const isProblem = (answer: RawResponse) => /^application\/problem\+json\b/i.test(answer.headers["content-type"] ?? "");

export function json(answer: RawResponse): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(answer.text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Every answer, to any request: there is one; no 5xx; an error is problem+json whose body has
 * the documented shape, its `status` the answer's, and is not megabytes long; a request id
 * echoed is a sane one.
 */
export function answerViolations(
  answer: RawResponse | undefined,
  { head = false, allowed5xx }: { head?: boolean; allowed5xx?: number | undefined } = {},
): string[] {
  if (!answer) return ["no answer: the connection was closed without a response"];
  const found: string[] = [];
  if (answer.status >= 500 && answer.status !== allowed5xx) found.push(`a ${answer.status} answer`);
  const id = answer.headers["x-request-id"];
  if (id !== undefined && !saneRequestId(id)) found.push(`an insane X-Request-ID echoed: ${JSON.stringify(id)}`);
  if (answer.status >= 400) {
    if (!isProblem(answer))
      found.push(
        `a ${answer.status} answer that is not application/problem+json (${answer.headers["content-type"] ?? "no content-type"})`,
      );
    if (answer.body.length > MAX_ERROR_BYTES) found.push(`a ${answer.status} answer of ${answer.body.length} bytes`);
    if (!head && isProblem(answer)) {
      const body = json(answer);
      const problem = body.ok ? ProblemDetails.safeParse(body.value) : undefined;
      if (!problem?.success) found.push(`a problem body without the documented shape: ${answer.text.slice(0, 200)}`);
      else if (problem.data.status !== answer.status)
        found.push(`a problem saying ${problem.data.status} in a ${answer.status} answer`);
    }
  }
  return found;
}

/** A valid request's answer: a status its contract declares, and a body its schema for that status takes. */
export function validAnswerViolations(endpoint: Endpoint, answer: RawResponse): string[] {
  const responses = endpoint.endpoint.responses;
  if (!(answer.status in responses)) {
    return [
      `a valid request answered ${answer.status}, which ${endpoint.id} does not declare (${Object.keys(responses).join(", ")}): ${answer.text.slice(0, 300)}`,
    ];
  }
  const schema = responses[answer.status];
  if (schema === null || schema === undefined) {
    return answer.body.length > 0 ? [`a ${answer.status} with a body, which ${endpoint.id} declares without one`] : [];
  }
  const body = json(answer);
  if (!body.ok) return [`a ${answer.status} whose body is not JSON: ${answer.text.slice(0, 200)}`];
  const parsed = schema.safeParse(body.value);
  return parsed.success
    ? []
    : [
        `a ${answer.status} whose body breaks ${endpoint.id}'s schema: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      ];
}

/** An invalid request's answer: refused with a 4xx, never served. */
export function invalidAnswerViolations(request: GeneratedRequest, answer: RawResponse): string[] {
  if (answer.status >= 200 && answer.status < 300)
    return [`an invalid request (${request.broken}) was served: ${answer.status} ${answer.text.slice(0, 200)}`];
  if (answer.status < 400 || answer.status >= 500)
    return [`an invalid request (${request.broken}) answered ${answer.status}`];
  return [];
}

/**
 * A request refused for its token: 401 (403 for a valid token without the scope) with an RFC 6750
 * challenge, `invalid_token` when a token was given, `insufficient_scope` and the scope for a 403.
 */
export function refusedAuthViolations(request: GeneratedRequest, answer: RawResponse): string[] {
  const refused = REFUSED_AUTH.find((c) => c.name === request.auth);
  if (!refused) return [];
  const found: string[] = [];
  if (answer.status !== refused.status) {
    found.push(
      `token ${refused.name}: answered ${answer.status}, expected ${refused.status}: ${answer.text.slice(0, 200)}`,
    );
  }
  const challenge = answer.headers["www-authenticate"] ?? "";
  if (!challenge.startsWith("Bearer "))
    found.push(`token ${refused.name}: WWW-Authenticate ${JSON.stringify(challenge)}`);
  const error = /error="([^"]*)"/.exec(challenge)?.[1];
  const expected = refused.status === 403 ? "insufficient_scope" : refused.given ? "invalid_token" : undefined;
  if (error !== expected)
    found.push(`token ${refused.name}: error=${error ?? "(none)"}, expected ${expected ?? "(none)"}`);
  if (refused.status === 403 && !/scope="[^"]+"/.test(challenge))
    found.push(`token ${refused.name}: no scope= in ${challenge}`);
  return found;
}
