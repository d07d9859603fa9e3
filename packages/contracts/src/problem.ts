import { z } from "zod";

/** The media type of every error answer, from both apps and from the proxy (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** RFC 9457 problem details, the one error shape of the whole API. */
export const ProblemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int().min(400).max(599),
  detail: z.string().optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
});
export type ProblemDetails = z.infer<typeof ProblemDetails>;

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
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
