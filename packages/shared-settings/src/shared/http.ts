import { z } from "zod";
import { layer } from "../layer.ts";

/** How both apps handle HTTP requests: body limit, response checks, what errors reveal. */
export const httpSchema = {
  http: z.strictObject({
    /**
     * Largest request body accepted, in bytes; a larger one is a 413 problem. Equal to the
     * proxy's limit (nginx's `client_max_body_size`, 1m by default), so both refuse the same.
     */
    bodyLimitBytes: z.int().positive(),
    /** Check every response against its contract; a mismatch is a loud 500 naming the contract. */
    responseValidation: z.boolean(),
    /** Put an unexpected error's message in its 500 problem (never in production). */
    exposeErrors: z.boolean(),
    /**
     * Which peers may set X-Forwarded-For/-Proto: the proxy hop only. Addresses, CIDRs, or the
     * names `loopback`, `linklocal`, `uniquelocal` (as Express's `trust proxy` and Fastify's
     * `trustProxy` take them). Compose sets the proxy's network.
     */
    trustProxy: z.array(z.string().min(1)),
    /**
     * How long an idle keep-alive connection stays open. Above the proxy's own upstream idle
     * timeout (nginx: 60 s), so the app never closes a connection the proxy is about to reuse:
     * Node's default of 5 s causes intermittent 502s behind nginx.
     */
    keepAliveTimeoutMs: z.int().positive(),
    /**
     * The longest a request may take to arrive in full, head and body (Node's `requestTimeout`):
     * past it a 408 problem, and the connection closes. nginx streams bodies through (no
     * buffering), so this is the one deadline for a trickled body behind either proxy.
     */
    requestTimeoutMs: z.int().positive(),
    /**
     * Browser origins allowed to call the API from another origin (CORS), exactly as the
     * browser sends them (`https://app.example.com`). Empty, the default: the proxy's one origin
     * needs none, and no cross-origin request is allowed.
     */
    corsOrigins: z.array(
      z.url({ protocol: /^https?$/ }).regex(/^[^/]+\/\/[^/]+$/, "an origin: scheme://host[:port], no path"),
    ),
  }),
};

export const httpLayer = layer("shared/http", {
  http: {
    bodyLimitBytes: 1_048_576,
    responseValidation: false,
    exposeErrors: false,
    trustProxy: ["loopback"],
    keepAliveTimeoutMs: 65_000,
    requestTimeoutMs: 60_000,
    corsOrigins: [],
  },
});

/**
 * The timeouts of an app's Node HTTP server, from these settings:
 * - `headersTimeout` no longer than `requestTimeout`: Node enforces `requestTimeout` only when
 *   it is at least `headersTimeout` (Node 24: with 66 s and 60 s, a body trickled in was never
 *   cut; test/request-deadline.test.ts). Equal: the head has the whole request's deadline. (It
 *   need not exceed the keep-alive timeout: Node starts it at a request's first byte, so an idle
 *   kept-alive connection is never cut by it.)
 * - `connectionsCheckingInterval`, how often Node looks for a request past either: its default,
 *   30 s, would let one outlive its deadline by up to that much. Once a second at most (a walk
 *   over the requests in progress).
 */
export function serverTimeouts(http: { readonly keepAliveTimeoutMs: number; readonly requestTimeoutMs: number }) {
  return {
    keepAliveTimeout: http.keepAliveTimeoutMs,
    headersTimeout: http.requestTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, http.requestTimeoutMs),
  };
}

/** Response checks on while developing and testing; error details only on a developer's machine. */
export const httpByEnvironment = {
  development: { http: { responseValidation: true, exposeErrors: true } },
  test: { http: { responseValidation: true } },
};
