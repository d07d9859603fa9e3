/**
 * `pnpm run token [--scope <scope>]... [--sub <subject>] [--ttl <seconds|30m|12h|7d>]`: prints a
 * bearer token both apps accept, signed with the key sync-api's settings resolve to (in
 * development and test, the fixed development key). The token alone goes to stdout, so
 * `TOKEN=$(pnpm -s run token ...)` works; what it grants goes to stderr. With production settings
 * it refuses, naming the key, unless the key is given (`SYNC_API_AUTH__JWT_SECRET` or `..._FILE`); a
 * `--ttl` longer than `auth.maxTokenLifetimeS` (a day), which the apps would refuse, too.
 * (`run`: a bare `pnpm token` is pnpm's own command, for npm registry tokens.)
 */
import { parseArgs } from "node:util";
import { signToken } from "@repo/contracts";
import { environmentOf, formatProblems } from "@repo/shared-settings";
import { syncApiSettings } from "@repo/sync-api/settings";

const USAGE = "usage: pnpm run token [--scope <scope>]... [--sub <subject>] [--ttl <seconds|30m|12h|7d>]";
const UNIT_S: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let values: { scope?: string[]; sub?: string; ttl?: string };
try {
  ({ values } = parseArgs({
    options: {
      scope: { type: "string", multiple: true },
      sub: { type: "string", default: "developer" },
      ttl: { type: "string", default: "1h" },
    },
  }));
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`, 2);
}

const ttl = /^(\d{1,9})([smhd]?)$/.exec(values.ttl ?? "");
const ttlS = ttl ? Number(ttl[1]) * (UNIT_S[ttl[2] || "s"] ?? 1) : 0;
if (ttlS <= 0)
  fail(`--ttl must be a positive number of seconds, or of minutes, hours or days (30m, 12h, 7d)\n${USAGE}`, 2);
const subject = values.sub ?? "";
if (subject.trim() === "") fail(`--sub must not be empty\n${USAGE}`, 2);
// `--scope "a b"` and `--scope a --scope b` alike: a token's `scope` is space-separated.
const scopes = [...new Set((values.scope ?? []).flatMap((scope) => scope.split(/\s+/)).filter(Boolean))];

const resolution = syncApiSettings.resolve(process.env);
if (!resolution.ok) {
  const hint = resolution.problems.some((problem) => problem.key === "auth.jwtSecret")
    ? "\nProduction has no default key: give the one the apps verify with (SYNC_API_AUTH__JWT_SECRET or SYNC_API_AUTH__JWT_SECRET_FILE)."
    : "";
  fail(`${formatProblems(syncApiSettings.app, resolution.problems)}${hint}`, 1);
}

// The apps refuse a token that lives longer than this: say so here rather than print one they refuse.
const { maxTokenLifetimeS } = resolution.settings.auth;
if (ttlS > maxTokenLifetimeS) {
  fail(
    `--ttl ${values.ttl} is ${ttlS} s, longer than the apps accept: auth.maxTokenLifetimeS is ${maxTokenLifetimeS} s (${syncApiSettings.variable(["auth", "maxTokenLifetimeS"])})\n${USAGE}`,
    2,
  );
}

const token = await signToken(resolution.settings.auth, { subject, scopes, ttlS });
const expires = new Date(Date.now() + ttlS * 1000).toISOString();
const environment = String(environmentOf(process.env));
// Which key signed it: a token signed with the development key is refused by production apps
// with "signature does not verify", so say so here rather than there.
const keySource = resolution.sources.get("auth.jwtSecret") ?? "unknown";
const keyVariable = syncApiSettings.variable(["auth", "jwtSecret"]);
const keyNote = keySource.startsWith("env ")
  ? `signed with the key from ${keySource.slice("env ".length)}`
  : `signed with the development key (from ${keySource}): only apps under NODE_ENV=development or test accept it; for production, give the production key: NODE_ENV=production ${keyVariable}_FILE=<its file> pnpm run token …`;
process.stderr.write(
  `a token for sub=${subject} scope=${scopes.length > 0 ? `"${scopes.join(" ")}"` : "(none)"}, expiring ${expires} (NODE_ENV=${environment})\n${keyNote}\n`,
);
process.stdout.write(`${token}\n`);
