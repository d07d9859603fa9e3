/**
 * One resource, one URL, as the published document describes it: a query key no contract (or
 * stream) declares is a 400 validation problem naming it, and a number in a path has one spelling
 * (`/notes/1e3`, `/notes/0x10`, `/notes/+1`, `/notes/01` are 400s, not note 1000, 16, 1 and 1).
 * Through each hop: each app directly, the dev proxy in front of them, and nginx with the infra
 * template in front of their production builds.
 */
import { NON_CANONICAL_NUMBER, NOTES_WRITE_SCOPE, ProblemDetails, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { nginxMissing, PRODUCTION_STACK_JWT_SECRET, rawRequest, runsHere, stopAll } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SharedDevStack, type SharedStack, sharedStacks } from "./support/shared-stacks.ts";

const UPGRADE: [string, string][] = [
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Version", "13"],
  ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
];

/** A request the API refuses, and the field its 400 problem must name. */
interface Refused {
  readonly app: "sync" | "async";
  readonly target: string;
  readonly location: string;
  readonly upgrade?: boolean;
}

const REFUSED: readonly Refused[] = [
  { app: "sync", target: "/healthz?x=1", location: "query.x" },
  { app: "sync", target: "/notes?limit=2&lmit=3", location: "query.lmit" },
  { app: "sync", target: "/notes/1e3", location: "params.id" },
  { app: "sync", target: "/notes/0x10", location: "params.id" },
  { app: "sync", target: "/notes/+1", location: "params.id" },
  { app: "sync", target: "/notes/01", location: "params.id" },
  { app: "async", target: "/healthz?x=1", location: "query.x" },
  { app: "async", target: "/events/notes?lastEventId=0&since=0", location: "query.since" },
  { app: "async", target: "/ws?topic=notes", location: "query.topic", upgrade: true },
];

/** How to reach each app in a stack: its own origin, or the proxy's (the async app under its prefix). */
type Hop = (app: "sync" | "async") => string;

async function tokenFor(jwtSecret: string): Promise<string> {
  return signToken(
    { ...developmentAuth, jwtSecret },
    { subject: "closed-query", scopes: [NOTES_WRITE_SCOPE], ttlS: 600 },
  );
}

function expectRefusals(hop: () => Hop, token: () => Promise<string>): void {
  it("answers an undeclared query key or a number spelled otherwise with a 400 problem naming the field", async () => {
    const authorization: [string, string] = ["Authorization", `Bearer ${await token()}`];
    const got: string[] = [];
    for (const { app, target, location, upgrade } of REFUSED) {
      const url = hop()(app);
      const { pathname } = new URL(url);
      const headers = upgrade ? [authorization, ...UPGRADE] : [authorization];
      const answer = await rawRequest(url, {
        method: "GET",
        target: `${pathname.replace(/\/$/, "")}${target}`,
        headers,
      });
      const problem = answer?.status === 400 ? ProblemDetails.parse(JSON.parse(answer.text)) : undefined;
      got.push(`${app} ${target} → ${answer?.status} ${problem?.errors?.map((e) => e.location).join(",")}`);
      if (location === "params.id") expect(problem?.errors?.[0]?.message).toBe(NON_CANONICAL_NUMBER);
    }
    expect(got).toEqual(REFUSED.map(({ app, target, location }) => `${app} ${target} → 400 ${location}`));
  });

  it("still takes what is declared: a note's id in decimal, the stream's lastEventId and access_token", async () => {
    const base = (app: "sync" | "async") => hop()(app).replace(/\/$/, "");
    const note = await fetch(`${base("sync")}/notes/987654321`, {
      headers: { authorization: `Bearer ${await token()}` },
    });
    expect(note.status).toBe(404);
    const controller = new AbortController();
    const stream = await fetch(`${base("async")}/events/notes?lastEventId=0&access_token=${await token()}`, {
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    controller.abort();
  });
}

afterAll(stopAll);

describe("through the dev proxy, and each app directly", () => {
  let stack: SharedDevStack;
  beforeAll(() => {
    stack = sharedStacks().dev;
  });
  const token = () => tokenFor(developmentAuth.jwtSecret);

  describe("each app directly", () => {
    expectRefusals(() => (app) => (app === "sync" ? stack.syncUrl : `${stack.asyncUrl}${stack.asyncPrefix}`), token);
  });
  describe("the dev proxy", () => {
    expectRefusals(() => (app) => (app === "sync" ? stack.url : `${stack.url}${stack.asyncPrefix}`), token);
  });
});

describe.skipIf(!runsHere("closed query through nginx", nginxMissing()))("through nginx", () => {
  let stack: SharedStack;
  beforeAll(() => {
    stack = sharedStacks().production as SharedStack;
  });
  expectRefusals(
    () => (app) => (app === "sync" ? stack.url : `${stack.url}${stack.asyncPrefix}`),
    () => tokenFor(PRODUCTION_STACK_JWT_SECRET),
  );
});
