/**
 * Tokens for the workspace tests: valid ones for the apps' development/test key, and each way a
 * token can be wrong, for the refusals (the auth tests and the property suite's hostile cases).
 */
import { NOTES_WRITE_SCOPE, signToken } from "@repo/contracts";
import { developmentAuth } from "@repo/shared-settings";
import { SignJWT } from "jose";

/** A token the apps accept, granting `scopes` (by default the notes example's write scope). */
export function validToken(scopes: readonly string[] = [NOTES_WRITE_SCOPE], subject = "tester"): Promise<string> {
  return signToken(developmentAuth, { subject, scopes, ttlS: 600 });
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);
const key = (secret: string) => new TextEncoder().encode(secret);

/** Signed like a valid token, with `claims` changed and the header's algorithm chosen. */
function signed(
  claims: Record<string, unknown>,
  { alg = "HS256", secret = developmentAuth.jwtSecret }: { alg?: string; secret?: string } = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    sub: "tester",
    iss: developmentAuth.issuer,
    aud: developmentAuth.audience,
    iat: now(),
    exp: now() + 600,
    scope: NOTES_WRITE_SCOPE,
    ...claims,
  };
  // A claim given as undefined is left out.
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(key(secret));
}

/**
 * Each way a bearer token is refused with 401 `invalid_token`, by name, as an Authorization
 * header's value would carry it.
 */
export const invalidTokens: Readonly<Record<string, () => Promise<string>>> = {
  "not a JWT": async () => "not-a-jwt",
  // Past the clock tolerance (30 s), by far.
  expired: () => signed({ exp: now() - 3_600, iat: now() - 7_200 }),
  "not valid yet": () => signed({ nbf: now() + 3_600 }),
  "wrong audience": () => signed({ aud: "another-api" }),
  "wrong issuer": () => signed({ iss: "https://attacker.example" }),
  "no expiry": () => signed({ exp: undefined }),
  "no subject": () => signed({ sub: undefined }),
  "signed with another key": () => signed({}, { secret: "another-key-of-at-least-32-characters!!" }),
  "another algorithm (HS512, the right key)": () => signed({}, { alg: "HS512" }),
  // An unsecured JWT (RFC 7519 §6): no signature at all.
  "alg none": async () =>
    `${base64url({ alg: "none", typ: "JWT" })}.${base64url({
      sub: "tester",
      iss: developmentAuth.issuer,
      aud: developmentAuth.audience,
      exp: now() + 600,
      scope: NOTES_WRITE_SCOPE,
    })}.`,
};
