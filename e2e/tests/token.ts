/**
 * A bearer token for the stack under test: signed with the key it verifies with (the development
 * key for the dev proxy and combined mode, the production stack's or compose's own key otherwise).
 */
import { api, scopesAskedBy, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { COMPOSE_JWT_SECRET, PRODUCTION_STACK_JWT_SECRET } from "@repo/testing";

const KEYS: Readonly<Record<string, string>> = { nginx: PRODUCTION_STACK_JWT_SECRET, containers: COMPOSE_JWT_SECRET };

/** Every scope the API's secured endpoints ask for. */
const DEFAULT_SCOPES = scopesAskedBy([...api.sync, ...api.async]);

/** A token granting `scopes` (by default DEFAULT_SCOPES). */
export function e2eToken(scopes: readonly string[] = DEFAULT_SCOPES): Promise<string> {
  const jwtSecret = KEYS[process.env.E2E_PROXY ?? "dev"] ?? developmentAuth.jwtSecret;
  return signToken({ ...developmentAuth, jwtSecret }, { subject: "e2e", scopes, ttlS: 600 });
}
