/**
 * A bearer token for the stack under test: signed with the key it verifies with (the development
 * key for the dev proxy and combined mode, the production stack's or compose's own key otherwise).
 */
import { NOTES_WRITE_SCOPE, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { COMPOSE_JWT_SECRET, PRODUCTION_STACK_JWT_SECRET } from "@repo/testing";

const KEYS: Readonly<Record<string, string>> = { nginx: PRODUCTION_STACK_JWT_SECRET, containers: COMPOSE_JWT_SECRET };

/** A token granting `scopes` (the notes' write scope by default). */
export function e2eToken(scopes: readonly string[] = [NOTES_WRITE_SCOPE]): Promise<string> {
  const jwtSecret = KEYS[process.env.E2E_PROXY ?? "dev"] ?? developmentAuth.jwtSecret;
  return signToken({ ...developmentAuth, jwtSecret }, { subject: "e2e", scopes, ttlS: 600 });
}
