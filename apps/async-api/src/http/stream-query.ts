import { requiredSecurity, type Security, unknownQueryProblem } from "@repo/contracts";
import type { preValidationHookHandler } from "fastify";

/**
 * A stream route's hook closing its query, as every controller endpoint's is (validateRequest):
 * a key other than `declared` (and `access_token` where the stream takes a token) is the 400
 * validation problem naming it, before the stream opens or the socket upgrades.
 */
export function closedStreamQuery(
  declared: readonly string[],
  security: Security | undefined,
): { preValidation: preValidationHookHandler } {
  const keys = requiredSecurity(undefined, security) ? [...declared, "access_token"] : declared;
  return { preValidation: (request, _reply, done) => done(unknownQueryProblem(request.query, keys)) };
}
