import { z } from "zod";
import type { EndpointContract } from "./contract.ts";
import { ProblemDetails } from "./problem.ts";
import { bearer } from "./security.ts";

/** The scope `/_test/whoami` needs: tests give it, or leave it out for a 403. */
export const TEST_SCOPE = "test:read";

const Echo = z.object({
  params: z.object({ id: z.int() }),
  query: z.object({ limit: z.int() }),
  headers: z.object({ "x-tenant": z.string() }),
  body: z.object({ email: z.string(), age: z.int() }),
});

/**
 * Endpoints of the `test` route tables only (never in the OpenAPI document): each app serves them
 * under its own test-only controller, so that tests can drive every part of the contract layer
 * through both frameworks.
 */
export const testingEndpoints = {
  crash: {
    method: "GET",
    path: "/_test/crash",
    summary: "Fails unexpectedly: the answer is a 500 problem without internals",
    responses: { 500: ProblemDetails },
  },
  echo: {
    method: "POST",
    path: "/_test/echo/:id",
    summary: "Answers with every validated part of the request",
    params: z.object({ id: z.coerce.number().int().positive() }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(10) }),
    headers: z.object({ "x-tenant": z.string().min(2) }),
    body: z.strictObject({ email: z.email(), age: z.int().min(0) }),
    responses: { 200: Echo },
  },
  hang: {
    method: "GET",
    path: "/_test/hang",
    summary: "Never answers: sync-api's worker timeout must kill the worker running it",
    responses: { 200: z.object({}) },
  },
  slow: {
    method: "GET",
    path: "/_test/slow",
    summary: "Answers after `ms` milliseconds (blocking the worker in sync-api): for graceful shutdown",
    query: z.object({ ms: z.coerce.number().int().min(0).max(60_000) }),
    responses: { 200: z.object({ sleptMs: z.int(), pid: z.int() }) },
  },
  limited: {
    method: "GET",
    path: "/_test/limited",
    summary: "Answers with the pid that served it; rate-limited (a window no test run outlasts)",
    responses: { 200: z.object({ pid: z.int() }) },
    rateLimit: { limit: 5, windowMs: 3_600_000 },
  },
  whoami: {
    method: "GET",
    path: "/_test/whoami",
    summary: "Answers with the principal of the request's bearer token (which must grant `test:read`)",
    security: bearer(TEST_SCOPE),
    responses: { 200: z.object({ subject: z.string(), scopes: z.array(z.string()) }) },
  },
  brokenResponse: {
    method: "GET",
    path: "/_test/broken-response",
    summary: "Answers a body that breaks its own contract",
    responses: { 200: z.object({ ok: z.literal(true) }) },
  },
} as const satisfies Record<string, EndpointContract>;
