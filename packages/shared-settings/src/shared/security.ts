import { z } from "zod";
import { secret } from "../secrets.ts";

/**
 * Django's SECRET_KEY: signs what the API hands out and takes back (pagination cursors), so a
 * client cannot forge it. Secret: never printed, never logged. Production has no default: it must
 * come from the environment (`SYNC_API_SECRET_KEY_FILE=/run/secrets/...`).
 */
export const securitySchema = {
  secretKey: secret(z.string().min(32, "at least 32 characters")),
};

/** Development and test share a fixed key, so that signed values survive a restart there. */
const insecureDevelopmentKey = { secretKey: "insecure-development-key-never-use-in-production" };

export const securityByEnvironment = {
  development: insecureDevelopmentKey,
  test: insecureDevelopmentKey,
};
