import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { HttpProblem, validationProblem } from "./problem.ts";

/** The query of a paginated list: how many items, and where to continue (an opaque cursor). */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).meta({ description: "Items per page, 1 to 100" }),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .meta({ description: "The `next` of the previous page; absent for the first page" }),
});
export type PageQuery = z.output<typeof PageQuery>;

/** A page of `item`s: `next` is the cursor of the following page, null on the last one. */
export function page<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page" }),
  });
}

/**
 * Cursors are signed with the app's `secretKey`, so a client can only hand back a cursor the API
 * made: `base64url(JSON position).base64url(HMAC-SHA256)`.
 */
export function encodeCursor(position: unknown, secretKey: string): string {
  const payload = Buffer.from(JSON.stringify(position)).toString("base64url");
  return `${payload}.${sign(payload, secretKey)}`;
}

/**
 * The position a cursor holds, checked against `position`'s schema. A forged, truncated or foreign
 * cursor is a 400 problem on `query.cursor`.
 */
export function decodeCursor<T extends z.ZodType>(cursor: string, secretKey: string, position: T): z.output<T> {
  const [payload = "", signature = ""] = cursor.split(".");
  const expected = Buffer.from(sign(payload, secretKey));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw invalidCursor();
  }
  const parsed = position.safeParse(value);
  if (!parsed.success) throw invalidCursor();
  return parsed.data;
}

function sign(payload: string, secretKey: string): string {
  return createHmac("sha256", secretKey).update(payload).digest("base64url");
}

function invalidCursor(): HttpProblem {
  const body = validationProblem([
    { location: "query.cursor", message: "not a cursor this API made", code: "invalid_cursor" },
  ]);
  return new HttpProblem(400, body.detail, body);
}
