/**
 * Security declared per controller and per endpoint, through sync-api's real app on a port: the
 * endpoint's declaration wins over its controller's, `PUBLIC` opens one endpoint of a guarded
 * controller, and the typed client sends its token only where the contract asks for one.
 */
import type { AddressInfo } from "node:net";
import { bearer, controller, createClient, PUBLIC, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../src/http/app.ts";
import { route } from "../src/http/route.ts";
import { syncApiSettings } from "../src/settings/index.ts";

const Seen = z.object({ subject: z.string().nullable(), sentAuthorization: z.boolean() });
const guarded = controller(
  "guarded",
  "sync",
  {
    open: {
      method: "GET",
      path: "/guarded/open",
      summary: "Public in a guarded controller",
      security: PUBLIC,
      headers: z.object({ authorization: z.string().optional() }),
      responses: { 200: Seen },
    },
    read: { method: "GET", path: "/guarded/read", summary: "The controller's requirement", responses: { 200: Seen } },
    admin: {
      method: "GET",
      path: "/guarded/admin",
      summary: "Its own requirement instead",
      security: bearer("guarded:admin"),
      responses: { 200: Seen },
    },
  },
  { security: bearer("guarded:read") },
);
const seen = ({ principal, headers }: { principal?: { subject: string } | undefined; headers?: unknown }) => ({
  status: 200 as const,
  body: {
    subject: principal?.subject ?? null,
    sentAuthorization: Boolean((headers as { authorization?: string } | undefined)?.authorization),
  },
});

let url = "";
let close = () => {};
beforeAll(async () => {
  const settings = syncApiSettings.load({ NODE_ENV: "test" });
  const app = createApp(
    settings,
    { routes: [route(guarded, { open: seen, read: seen, admin: seen })] },
    pino({ level: "silent" }),
  );
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

const token = (scopes: string[]) => signToken(developmentAuth, { subject: "sam", scopes, ttlS: 600 });
const get = async (path: string, scopes?: string[]) =>
  fetch(`${url}${path}`, scopes ? { headers: { authorization: `Bearer ${await token(scopes)}` } } : {});

describe("security declared on a controller and its endpoints", () => {
  it("guards every endpoint of the controller with its requirement", async () => {
    const missing = await get("/guarded/read");
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toBe('Bearer realm="api", scope="guarded:read"');
    const passed = await get("/guarded/read", ["guarded:read"]);
    expect(await passed.json()).toEqual({ subject: "sam", sentAuthorization: false });
  });

  it("lets an endpoint's own declaration win: PUBLIC opens it, bearer(...) replaces the scopes", async () => {
    expect((await get("/guarded/open")).status).toBe(200);
    // The controller's scope does not open the endpoint that asks for another; its own does.
    const withRead = await get("/guarded/admin", ["guarded:read"]);
    expect(withRead.status).toBe(403);
    expect(withRead.headers.get("www-authenticate")).toContain('scope="guarded:admin"');
    expect((await get("/guarded/admin", ["guarded:admin"])).status).toBe(200);
  });

  it("the typed client sends its token to the endpoints that need one, and to no other", async () => {
    const client = createClient({ baseUrl: url, token: await token(["guarded:read"]) }).controller(guarded);
    expect((await client.open()).body).toEqual({ subject: null, sentAuthorization: false });
    expect((await client.read()).body).toEqual({ subject: "sam", sentAuthorization: false });
    // A token given to one call goes with it, public endpoint or not.
    const own = await client.open({ token: "given" });
    expect(own.body).toEqual({ subject: null, sentAuthorization: true });
  });
});
