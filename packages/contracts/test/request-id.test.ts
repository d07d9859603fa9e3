import { describe, expect, it } from "vitest";
import { newRequestId, requestIdFrom } from "../src/request-id.ts";

describe("request ids", () => {
  it("are 32 hex digits, and never repeat across many refills of the random pool", () => {
    const ids = Array.from({ length: 10_000 }, () => newRequestId());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("keep the client's id when it is sane, and replace it otherwise", () => {
    expect(requestIdFrom("req-42.a:b")).toBe("req-42.a:b");
    expect(requestIdFrom(["first", "second"])).toBe("first");
    expect(requestIdFrom("has space")).toMatch(/^[0-9a-f]{32}$/);
    expect(requestIdFrom("x".repeat(129))).toMatch(/^[0-9a-f]{32}$/);
    expect(requestIdFrom(undefined)).toMatch(/^[0-9a-f]{32}$/);
  });
});
