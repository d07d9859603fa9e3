/**
 * Tokens for the workspace tests: valid ones for the apps' key (the development/test one unless
 * told), and each way a token can be wrong, for the refusals (the auth tests and the property
 * suite's hostile cases).
 */
import { api, scopesAskedBy, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { SignJWT } from "jose";

/** The scopes a test token grants unless told: every one the API's secured endpoints ask for. */
const DEFAULT_SCOPES = scopesAskedBy([...api.sync, ...api.async]);

/** A token the apps accept, granting `scopes` (by default DEFAULT_SCOPES). */
export function validToken(
  scopes: readonly string[] = DEFAULT_SCOPES,
  subject = "tester",
  jwtSecret: string = developmentAuth.jwtSecret,
): Promise<string> {
  // An hour: longer than any suite that signs its tokens once runs.
  return signToken({ ...developmentAuth, jwtSecret }, { subject, scopes, ttlS: 3_600 });
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

/** Signed like a valid token, with `claims` changed (undefined: left out) and the header's algorithm chosen. */
function signed(claims: Record<string, unknown>, secret: string, alg = "HS256"): Promise<string> {
  const payload: Record<string, unknown> = {
    sub: "tester",
    iss: developmentAuth.issuer,
    aud: developmentAuth.audience,
    iat: now(),
    exp: now() + 600,
    scope: DEFAULT_SCOPES.join(" "),
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(new TextEncoder().encode(secret));
}

/**
 * Each way a bearer token is refused with 401 `invalid_token`, by name: made for an API whose key
 * is `secret` (so that only the named fault is wrong).
 */
export const invalidTokens: Readonly<Record<string, (secret?: string) => Promise<string>>> = {
  "not a JWT": async () => "not-a-jwt",
  // Past the clock tolerance (30 s), by far.
  expired: (secret = developmentAuth.jwtSecret) => signed({ exp: now() - 3_600, iat: now() - 7_200 }, secret),
  "not valid yet": (secret = developmentAuth.jwtSecret) => signed({ nbf: now() + 3_600 }, secret),
  "wrong audience": (secret = developmentAuth.jwtSecret) => signed({ aud: "another-api" }, secret),
  "wrong issuer": (secret = developmentAuth.jwtSecret) => signed({ iss: "https://attacker.example" }, secret),
  "no expiry": (secret = developmentAuth.jwtSecret) => signed({ exp: undefined }, secret),
  "no subject": (secret = developmentAuth.jwtSecret) => signed({ sub: undefined }, secret),
  "signed with another key": () => signed({}, "another-key-of-at-least-32-characters!!"),
  "another algorithm (HS512, the right key)": (secret = developmentAuth.jwtSecret) => signed({}, secret, "HS512"),
  // An unsecured JWT (RFC 7519 §6): no signature at all.
  "alg none": async () =>
    `${base64url({ alg: "none", typ: "JWT" })}.${base64url({
      sub: "tester",
      iss: developmentAuth.issuer,
      aud: developmentAuth.audience,
      exp: now() + 600,
      scope: DEFAULT_SCOPES.join(" "),
    })}.`,
};

/** How a request asks to be let in: a valid token, or one of the ways it is refused. */
export type AuthCase = "valid" | "missing" | "another scheme" | "an empty Bearer" | "wrong scope" | string;

/** The cases a secured request is refused for, with the status each must get. */
export const REFUSED_AUTH: readonly { readonly name: AuthCase; readonly status: 401 | 403; readonly given: boolean }[] =
  [
    { name: "missing", status: 401, given: false },
    { name: "another scheme", status: 401, given: false },
    { name: "an empty Bearer", status: 401, given: true },
    { name: "wrong scope", status: 403, given: true },
    ...Object.keys(invalidTokens).map((name) => ({ name, status: 401 as const, given: true })),
  ];

/**
 * The `Authorization` header of every case, for an API whose key is `secret`: undefined when the
 * case sends none. Signed once (a token stays valid for an hour).
 */
export async function authorizationHeaders(
  secret: string = developmentAuth.jwtSecret,
): Promise<Readonly<Record<AuthCase, string | undefined>>> {
  const headers: Record<AuthCase, string | undefined> = {
    valid: `Bearer ${await validToken(undefined, undefined, secret)}`,
    missing: undefined,
    "another scheme": "Basic dGVzdGVyOnNlY3JldA==",
    "an empty Bearer": "Bearer ",
    "wrong scope": `Bearer ${await validToken(["another:scope"], undefined, secret)}`,
  };
  for (const [name, make] of Object.entries(invalidTokens)) headers[name] = `Bearer ${await make(secret)}`;
  return headers;
}
