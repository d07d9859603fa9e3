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

/** Headers whose values never reach a log line. */
const SECRET_LOG_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

/** pino's options for an app, from its `log` settings: the same shape of log line in every app. */
export function loggerOptions(name: string, log: { readonly level: (typeof LOG_LEVELS)[number] }) {
  return {
    name,
    level: log.level,
    redact: { paths: SECRET_LOG_PATHS, censor: "[redacted]" },
  };
}
