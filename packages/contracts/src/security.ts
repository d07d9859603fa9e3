/**
 * Security, declared in the contracts (docs/contracts.md, "Declaring security"): one scheme, a
 * bearer JWT, required per controller or per endpoint with the scopes it needs. Both apps enforce
 * it, the OpenAPI document publishes it and the typed client sends a token for it, all from this
 * one declaration.
 */
import type { Controller } from "./contract.ts";

/** The one security scheme: a JWT as an RFC 6750 bearer token (`Authorization: Bearer <jwt>`). */
export const bearerJwt = {
  /** Its name in the OpenAPI document's `components.securitySchemes`. */
  name: "bearerAuth",
  type: "http",
  scheme: "bearer",
  bearerFormat: "JWT",
} as const;

/** A token is needed, and it must grant every scope listed (none: any valid token). */
export interface SecurityRequirement {
  readonly scheme: typeof bearerJwt;
  readonly scopes: readonly string[];
}

/** What an endpoint or controller declares: a requirement, or `"public"` (no token needed). */
export type Security = SecurityRequirement | "public";

/** `security: bearer("orders:write")`: a valid token granting these scopes. */
export function bearer(...scopes: string[]): SecurityRequirement {
  return { scheme: bearerJwt, scopes };
}

/** `security: PUBLIC`: no token needed, even in a controller that requires one. */
export const PUBLIC = "public" satisfies Security;

/** Who a verified token speaks for, as plain data (it crosses to a pool thread in combined mode). */
export interface Principal {
  /** The token's `sub`. */
  readonly subject: string;
  /** The scopes it grants (its `scope` claim, space-separated). */
  readonly scopes: readonly string[];
  /**
   * The last moment the token is accepted, in seconds since the epoch: its `exp` plus
   * `auth.clockToleranceS`. Open streams end then.
   */
  readonly validUntil?: number;
}

/**
 * What an endpoint requires: its own declaration, else its controller's; undefined when public.
 */
export function requiredSecurity(
  controllerSecurity: Security | undefined,
  endpointSecurity: Security | undefined,
): SecurityRequirement | undefined {
  const security = endpointSecurity ?? controllerSecurity;
  return security === undefined || security === PUBLIC ? undefined : security;
}

/** Every scope the controllers' secured endpoints ask for: what a token that may call them all grants. */
export function scopesAskedBy(controllers: readonly Controller[]): string[] {
  const scopes = controllers.flatMap((ctrl) =>
    Object.values(ctrl.endpoints).flatMap(
      (endpoint) => requiredSecurity(ctrl.security, endpoint.security)?.scopes ?? [],
    ),
  );
  return [...new Set(scopes)];
}
