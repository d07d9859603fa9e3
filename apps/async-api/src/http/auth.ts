import {
  type Authenticate,
  bearerToken,
  type Principal,
  requiredSecurity,
  type Security,
  type SecurityRequirement,
} from "@repo/contracts";
import type { FastifyInstance, onRequestHookHandler } from "fastify";

declare module "fastify" {
  interface FastifyRequest {
    /** Who the request's verified bearer token speaks for (routes whose contract requires one). */
    principal: Principal | undefined;
  }
}

export interface TokenHookOptions {
  /** Also take the token from `?access_token=`: for the streams, whose browser clients cannot set headers. */
  readonly fromQuery?: boolean;
}

/**
 * The `onRequest` hook that checks a route's security before its body is read (and, for the
 * WebSocket, before the upgrade). A refusal is the 401/403 HttpProblem, answered by the app's
 * error handler.
 */
export function tokenHook(
  app: FastifyInstance,
  requirement: SecurityRequirement,
  authenticate: Authenticate,
  { fromQuery = false }: TokenHookOptions = {},
): onRequestHookHandler {
  if (!app.hasRequestDecorator("principal")) app.decorateRequest("principal", undefined);
  return (request, _reply, done) => {
    const query = fromQuery ? (request.query as Record<string, unknown>).access_token : undefined;
    authenticate(requirement, bearerToken(request.headers.authorization, query)).then((principal) => {
      request.principal = principal;
      done();
    }, done);
  };
}

/** A stream route's options for its declared security: the hook, taking `?access_token=` too; none when public. */
export function streamSecurity(
  app: FastifyInstance,
  security: Security | undefined,
  authenticate: Authenticate,
): { onRequest?: onRequestHookHandler } {
  const requirement = requiredSecurity(undefined, security);
  return requirement ? { onRequest: tokenHook(app, requirement, authenticate, { fromQuery: true }) } : {};
}
