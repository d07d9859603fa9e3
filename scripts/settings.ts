/**
 * `pnpm settings <app> [--json]`: an app's resolved settings, each value with the layer it came
 * from, secrets redacted. Exits 1 with the problem report when the settings are invalid.
 */
import { asyncApiSettings } from "@repo/async-api/settings";
import { proxySettings } from "@repo/dev-proxy/settings";
import { environmentOf, formatProblems, formatSettingsReport, settingRows } from "@repo/shared-settings";
import { syncApiSettings } from "@repo/sync-api/settings";

const stacks = {
  "sync-api": syncApiSettings,
  "async-api": asyncApiSettings,
  "dev-proxy": proxySettings,
} as const;

const args = process.argv.slice(2);
const name = args.find((arg) => !arg.startsWith("-"));
const stack = name && Object.hasOwn(stacks, name) ? stacks[name as keyof typeof stacks] : undefined;
if (!stack) {
  process.stderr.write(`usage: pnpm settings <${Object.keys(stacks).join("|")}> [--json]\n`);
  process.exit(2);
}

const resolution = stack.resolve(process.env);
if (!resolution.ok) {
  process.stderr.write(`${formatProblems(stack.app, resolution.problems)}\n`);
  process.exit(1);
}
const environment = environmentOf(process.env);
const shown = typeof environment === "string" ? environment : "?";
if (args.includes("--json")) {
  const layers = resolution.layers.map((layer) => layer.name);
  process.stdout.write(
    `${JSON.stringify({ app: stack.app, environment: shown, layers, settings: settingRows(resolution) }, null, 2)}\n`,
  );
} else {
  process.stdout.write(`${formatSettingsReport(stack.app, resolution, shown)}\n`);
}
