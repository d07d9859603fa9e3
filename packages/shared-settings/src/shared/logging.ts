import { z } from "zod";
import { layer } from "../layer.ts";

/** pino's levels, plus `silent`. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const loggingSchema = {
  log: z.strictObject({
    level: z.enum(LOG_LEVELS),
  }),
};

export const loggingLayer = layer("shared/logging", {
  log: { level: "info" },
});

/** Chatty while developing, quiet in tests (they read logs at the level they ask for). */
export const loggingByEnvironment = {
  development: { log: { level: "debug" } },
  test: { log: { level: "warn" } },
  production: { log: { level: "info" } },
};

/** Headers whose values never reach a log line. */
const SECRET_LOG_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

/**
 * pino's options for an app, from its `log` settings: the same shape of log line in every app.
 * `secrets` are the values of the settings marked secret: any log line that would contain one has
 * it replaced, whatever logged it and under whatever key.
 */
export function loggerOptions(
  name: string,
  log: { readonly level: (typeof LOG_LEVELS)[number] },
  secrets: readonly string[] = [],
) {
  // As they appear inside a JSON string (quotes and backslashes escaped).
  const censored = secrets.map((value) => JSON.stringify(value).slice(1, -1)).filter((value) => value !== "");
  return {
    name,
    level: log.level,
    redact: { paths: SECRET_LOG_PATHS, censor: "[redacted]" },
    ...(censored.length > 0
      ? {
          hooks: {
            streamWrite: (line: string) => censored.reduce((out, value) => out.replaceAll(value, "[redacted]"), line),
          },
        }
      : {}),
  };
}
