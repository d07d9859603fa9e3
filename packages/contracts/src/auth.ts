/**
 * Bearer JWT verification and signing with jose, the same in both apps (and for `pnpm token`):
 * the algorithm pinned to HS256, the issuer, audience and expiry checked with a small clock
 * tolerance. Refusals are RFC 6750 answers: 401 with `WWW-Authenticate: Bearer ...` for a missing
 * or bad token, 403 `insufficient_scope` for a valid one without the scope.
 */
import { errors, jwtVerify, SignJWT } from "jose";
import { HttpProblem } from "./problem.ts";
import type { Principal, SecurityRequirement } from "./security.ts";

/** The `auth` settings of both apps (packages/shared-settings/src/shared/auth.ts). */
export interface AuthSettings {
  readonly jwtSecret: string;
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceS: number;
  /** The longest lifetime (`exp` − `iat`) a token may have: one that would live longer is refused. */
  readonly maxTokenLifetimeS: number;
}

/** Pinned: a token signed with any other algorithm (`none` included) is refused. */
export const JWT_ALGORITHM = "HS256";

const REALM = "api";

/** Checks a request's token against a requirement: its principal, or a thrown 401/403 HttpProblem. */
export type Authenticate = (requirement: SecurityRequirement, token: string | undefined) => Promise<Principal>;

/**
 * The bearer token of a request: from `Authorization: Bearer <token>`, or, where a client cannot
 * set headers (EventSource, a browser's WebSocket), from `?access_token=` (RFC 6750 §2.3). `""`
 * when a Bearer header is there but holds no token; undefined when there is none.
 */
export function bearerToken(authorization: unknown, accessToken?: unknown): string | undefined {
  if (typeof authorization === "string" && /^bearer(\s|$)/i.test(authorization)) {
    return authorization.slice("bearer".length).trim();
  }
  return typeof accessToken === "string" ? accessToken : undefined;
}

function challenge(fields: Record<string, string | undefined>): Record<string, string> {
  const params = Object.entries({ realm: REALM, ...fields })
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([name, value]) => `${name}="${value}"`);
  return { "www-authenticate": `Bearer ${params.join(", ")}` };
}

/** What was wrong with a token, in words for `error_description` (no quotes or backslashes). */
function whyInvalid(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === "nbf" ? "the token is not valid yet" : `the token's ${error.claim} claim is not accepted`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `the token is not signed with ${JWT_ALGORITHM}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  return "the token is not a well-formed JWT";
}

function unauthorized(requirement: SecurityRequirement, description?: string): HttpProblem {
  const scope = requirement.scopes.join(" ") || undefined;
  return new HttpProblem(
    401,
    description ? `Invalid bearer token: ${description}` : "This needs a bearer token (Authorization: Bearer <jwt>)",
    {},
    challenge(description ? { error: "invalid_token", error_description: description, scope } : { scope }),
  );
}

/** Verifies tokens with the key and claims of `settings`. */
export function bearerAuthenticator(settings: AuthSettings): Authenticate {
  const key = new TextEncoder().encode(settings.jwtSecret);
  return async (requirement, token) => {
    if (token === undefined) throw unauthorized(requirement);
    let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [JWT_ALGORITHM],
        issuer: settings.issuer,
        audience: settings.audience,
        clockTolerance: settings.clockToleranceS,
        requiredClaims: ["sub", "exp"],
      }));
    } catch (error) {
      if (error instanceof errors.JOSEError) throw unauthorized(requirement, whyInvalid(error));
      throw error;
    }
    // A token issued for longer than the API accepts (or with no `iat`, or one in the future: then
    // counted from now) is refused even while valid: a leaked one would work for too long.
    const lifetimeS = (payload.exp as number) - Math.min(payload.iat ?? Number.POSITIVE_INFINITY, Date.now() / 1000);
    if (lifetimeS > settings.maxTokenLifetimeS) {
      throw unauthorized(requirement, `the token lives longer than ${settings.maxTokenLifetimeS} s, the most accepted`);
    }
    const scopes = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [];
    const missing = requirement.scopes.filter((scope) => !scopes.includes(scope));
    if (missing.length > 0) {
      const needed = requirement.scopes.join(" ");
      throw new HttpProblem(
        403,
        `The token does not grant the scope this needs: ${missing.join(" ")}`,
        {},
        challenge({ error: "insufficient_scope", error_description: "the token lacks a scope", scope: needed }),
      );
    }
    // Accepted until `exp` plus the tolerance: an open stream ends then, as a new request would be refused.
    return { subject: String(payload.sub), scopes, validUntil: (payload.exp as number) + settings.clockToleranceS };
  };
}

export interface TokenClaims {
  readonly subject: string;
  readonly scopes: readonly string[];
  /** Lifetime in seconds. */
  readonly ttlS: number;
}

/** A token both apps accept: signed with the settings' key, for their issuer and audience. */
export function signToken(
  settings: Pick<AuthSettings, "jwtSecret" | "issuer" | "audience">,
  { subject, scopes, ttlS }: TokenClaims,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(scopes.length > 0 ? { scope: scopes.join(" ") } : {})
    .setProtectedHeader({ alg: JWT_ALGORITHM, typ: "JWT" })
    .setSubject(subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlS)
    .sign(new TextEncoder().encode(settings.jwtSecret));
}
