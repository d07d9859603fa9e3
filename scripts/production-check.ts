/**
 * `pnpm start` and `pnpm start:combined` run the production builds with production settings.
 * Before turbo starts anything, this resolves every app's settings the way they will, and when
 * any is invalid (typically: production has no default secret key, nor a key for bearer tokens) prints one screen naming what
 * each app needs and how to give it, then exits 1, instead of each app failing on its own.
 */
import { asyncApiSettings } from "@repo/async-api/settings";
import { proxySettings } from "@repo/dev-proxy/settings";
import { formatProblems } from "@repo/shared-settings";
import { syncApiSettings } from "@repo/sync-api/settings";

const mode = process.argv[2] === "combined" ? "combined" : "split";
const stacks =
  mode === "combined" ? [syncApiSettings, asyncApiSettings] : [syncApiSettings, asyncApiSettings, proxySettings];
const env = { ...process.env, NODE_ENV: "production" };

const reports: string[] = [];
let secretMissing = false;
let jwtSecretMissing = false;
for (const stack of stacks) {
  const resolution = stack.resolve(env);
  if (resolution.ok) continue;
  reports.push(formatProblems(stack.app, resolution.problems));
  secretMissing ||= resolution.problems.some((problem) => problem.key === "secretKey");
  jwtSecretMissing ||= resolution.problems.some((problem) => problem.key === "auth.jwtSecret");
}

if (reports.length > 0) {
  const command = mode === "combined" ? "pnpm start:combined" : "pnpm start";
  const lines = [
    `${command} runs the production builds with production settings (NODE_ENV=production), and they are not complete:`,
    "",
    ...reports,
    "",
  ];
  if (secretMissing) {
    lines.push(
      "Production has no default secret key. Make one and keep it (signed cursors die with it), for example in each",
      "app's .env file (git-ignored), or in the environment:",
      "",
      "  export SYNC_API_SECRET_KEY=$(openssl rand -hex 32) ASYNC_API_SECRET_KEY=$(openssl rand -hex 32)",
      `  ${command}`,
      "",
    );
  }
  if (jwtSecretMissing) {
    lines.push(
      "Production has no default key for bearer tokens (auth.jwtSecret) either. Both apps must verify with the same",
      "one, and whoever issues your tokens signs with it:",
      "",
      "  export SYNC_API_AUTH__JWT_SECRET=$(openssl rand -hex 32); export ASYNC_API_AUTH__JWT_SECRET=$SYNC_API_AUTH__JWT_SECRET",
      `  ${command}`,
      "",
    );
  }
  process.stderr.write(`${lines.join("\n")}\n`);
  process.exit(1);
}
