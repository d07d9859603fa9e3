import { withoutAccessToken } from "@repo/shared-settings";
import { z } from "zod";

/** The media type of every error answer, from both apps and from the proxy (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** `type` of a 400 whose request broke its contract; `errors` lists each failing field. */
export const VALIDATION_PROBLEM_TYPE = "/problems/validation";

/** One failing field of a request: where it is (`body.email`, `query.limit`), what is wrong. */
export const FieldError = z
  .object({
    location: z.string().meta({ example: "body.title" }),
    message: z.string(),
    code: z.string(),
  })
  .meta({ id: "FieldError" });
export type FieldError = z.infer<typeof FieldError>;

/** RFC 9457 problem details: the one error shape of the whole API. */
/**
 * The most failing fields a validation problem lists; the rest are counted. A request of 100,000
 * unknown keys must not get an answer ten times its size.
 */
export const MAX_LISTED_ERRORS = 50;

export const ProblemDetails = z
  .object({
    type: z
      .string()
      .meta({ description: "URI reference naming the kind of problem; about:blank for a plain HTTP status" }),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().optional(),
    instance: z.string().optional().meta({ description: "The request's path" }),
    requestId: z.string().optional().meta({ description: "The request id, as in X-Request-ID and the logs" }),
    errors: z
      .array(FieldError)
      .optional()
      .meta({
        description: `For validation problems: each failing field, the first ${MAX_LISTED_ERRORS} at most`,
      }),
    unlistedErrors: z
      .int()
      .positive()
      .optional()
      .meta({ description: "For validation problems: how many more fields failed than are listed in `errors`" }),
  })
  .meta({ id: "ProblemDetails" });
export type ProblemDetails = z.infer<typeof ProblemDetails>;

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  426: "Upgrade Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * A problem body. `type` is `about:blank` (RFC 9457: the title is the status's phrase) unless a
 * more specific type is given.
 */
export function problem(fields: { status: number } & Partial<Omit<ProblemDetails, "status">>): ProblemDetails {
  const { status, type = "about:blank", title = TITLES[status] ?? "Error", ...rest } = fields;
  const body: ProblemDetails = { type, title, status };
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) (body as Record<string, unknown>)[key] = value;
  }
  return body;
}

/**
 * A problem as it is answered to a request: its URL as `instance` unless the problem names one,
 * its id, and no bearer token in `instance` or `detail` (the streams take one as `?access_token=`,
 * and a body is kept by clients, their logs and error trackers).
 */
export function problemForRequest(body: ProblemDetails, url: string | undefined, requestId: string): ProblemDetails {
  const instance = withoutAccessToken(body.instance ?? url);
  const detail = withoutAccessToken(body.detail);
  return {
    ...body,
    ...(instance === undefined ? {} : { instance }),
    ...(detail === undefined ? {} : { detail }),
    requestId,
  };
}

/** The 400 problem for a request that breaks its contract. */
export function validationProblem(
  errors: readonly FieldError[],
  extra: Partial<ProblemDetails> = {},
  total = errors.length,
): ProblemDetails {
  const count = total === 1 ? "1 field is" : `${total.toLocaleString("en")} fields are`;
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const unlisted = total - listed.length;
  return problem({
    status: 400,
    type: VALIDATION_PROBLEM_TYPE,
    title: "Invalid request",
    detail: unlisted > 0 ? `${count} invalid; the first ${listed.length} are listed` : `${count} invalid`,
    errors: listed,
    ...(unlisted > 0 ? { unlistedErrors: unlisted } : {}),
    ...extra,
  });
}

/**
 * A problem a handler or a hook throws to answer with it (`throw new HttpProblem(404, "no such report")`).
 * The app turns it into problem+json with the request's path and id.
 */
export class HttpProblem extends Error {
  readonly status: number;
  readonly body: ProblemDetails;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    detail?: string,
    fields: Partial<ProblemDetails> = {},
    headers: Record<string, string> = {},
  ) {
    super(detail ?? TITLES[status] ?? `HTTP ${status}`);
    this.name = "HttpProblem";
    this.status = status;
    this.body = problem({ status, detail, ...fields });
    this.headers = headers;
  }
}

/** What both apps say about a request body they cannot take, whichever parser found it. */
export const BODY_PROBLEM_DETAIL = {
  invalidJson: "The body is not valid JSON",
  invalidUtf8: "The body is not valid UTF-8",
  loneSurrogate:
    "The body has a lone surrogate (a \\uD800–\\uDFFF escape without its pair): not interoperable JSON (RFC 7493)",
  emptyJson: "The body is empty but its content-type says JSON",
  tooLarge: "The body is larger than this server accepts",
  mediaType: "Send the body as application/json",
} as const;
