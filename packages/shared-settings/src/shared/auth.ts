import { z } from "zod";
import { layer } from "../layer.ts";
import { secret } from "../secrets.ts";

/**
 * Bearer JWTs (docs/settings.md, "Authentication"): the key both apps verify tokens with, and the
 * claims a token must carry. Shared, so that sync-api and async-api (`SYNC_API_AUTH__*`,
 * `ASYNC_API_AUTH__*`) accept the same tokens. Like `secretKey`, production has no default key.
 */
export const authSchema = {
  auth: z.strictObject({
    /** The HS256 key tokens are signed and verified with. Secret: never printed, never logged. */
    jwtSecret: secret(z.string().min(32, "at least 32 characters")),
    /** The `iss` a token must have. */
    issuer: z.string().min(1),
    /** The `aud` a token must name. */
    audience: z.string().min(1),
    /** How far `exp` and `nbf` may be off, for clocks that drift between machines. */
    clockToleranceS: z.int().min(0).max(300),
    /**
     * The longest lifetime (`exp` − `iat`) a token may have; a longer one is refused (401), and
     * `pnpm run token` will not sign one. Open streams end when their token expires.
     */
    maxTokenLifetimeS: z.int().positive(),
  }),
};

const authDefaults = { issuer: "api-starter", audience: "api-starter", clockToleranceS: 30, maxTokenLifetimeS: 86_400 };

export const authLayer = layer("shared/auth", { auth: authDefaults });

const insecureDevelopmentSecret = "insecure-development-jwt-key-never-use-in-production";

/** Development and test share a fixed key, so that a printed token (`pnpm token`) works there. */
const insecureDevelopmentKey = { auth: { jwtSecret: insecureDevelopmentSecret } };

/**
 * The `auth` settings development and test resolve to when nothing overrides them: what tests
 * sign their tokens with, for the apps they start.
 */
export const developmentAuth = { ...authDefaults, jwtSecret: insecureDevelopmentSecret } as const;

export const authByEnvironment = {
  development: insecureDevelopmentKey,
  test: insecureDevelopmentKey,
};
