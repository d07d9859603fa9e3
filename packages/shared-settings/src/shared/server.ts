import { z } from "zod";
import { layer } from "../layer.ts";

/** Where an app listens and how long it may take to stop. Each app's own layer sets its `port`. */
export const serverSchema = {
  /** Interface to bind. 127.0.0.1 keeps an app private to the machine; compose sets 0.0.0.0. */
  host: z.string().min(1),
  port: z.int().min(1).max(65535),
  shutdown: z.strictObject({
    /** How long in-flight requests get to finish after SIGTERM before the process stops anyway. */
    gracefulTimeoutMs: z.int().positive(),
    /**
     * Once draining, how long a keep-alive connection that was idle may still send one more
     * request (answered with `Connection: close`) before it is closed.
     */
    idleConnectionGraceMs: z.int().min(0),
  }),
};

export const serverLayer = layer("shared/server", {
  host: "127.0.0.1",
  shutdown: { gracefulTimeoutMs: 30_000, idleConnectionGraceMs: 1_000 },
});

/**
 * Under `pnpm dev` an app's only client is the dev proxy, which stops using a draining app's idle
 * connections at its first `Connection: close`: no grace to wait for, so a save reaches the new
 * process sooner.
 */
export const serverByEnvironment = {
  development: { shutdown: { idleConnectionGraceMs: 0 } },
};

/**
 * The one line to say when an app cannot listen, naming the variables that move it, instead of
 * Node's error and stack: `127.0.0.1:3001 is in use by another process (…): stop it, or set
 * SYNC_API_PORT`. Undefined for an error this does not know; log that one whole.
 */
export function listenFailure(
  error: unknown,
  { host, port, variables }: { host: string; port: number; variables: { host: string; port: string } },
): string | undefined {
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case "EADDRINUSE":
      return `cannot listen on ${address}: another process is listening there (an earlier pnpm dev or pnpm start still running?); stop it, or move this app with ${variables.port}`;
    case "EACCES":
      return `cannot listen on ${address}: permission denied (ports below 1024 need privileges); choose another port with ${variables.port}`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${address}: ${host} is not an address of this machine; set ${variables.host}`;
    default:
      return undefined;
  }
}

/** The URL to reach an app at on this machine: a wildcard bind address is reached through loopback. */
export function targetOf(app: { readonly host: string; readonly port: number }): string {
  const host = app.host === "0.0.0.0" ? "127.0.0.1" : app.host === "::" ? "::1" : app.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${app.port}`;
}
