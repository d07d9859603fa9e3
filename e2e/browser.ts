import { existsSync } from "node:fs";
import { chromium } from "@playwright/test";

/** Flags for a system Chromium on a locked-down machine (root, no GPU, no network but loopback). */
const SYSTEM_CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
];

export type BrowserChoice =
  | { readonly kind: "bundled" }
  | { readonly kind: "system"; readonly executablePath: string; readonly args: readonly string[] }
  | { readonly kind: "missing"; readonly reason: string };

/**
 * Playwright's own Chromium when it is installed (`pnpm exec playwright install chromium`),
 * otherwise a system Chromium: $CHROMIUM_PATH, or Debian's /usr/bin/chromium.
 */
export function chooseBrowser(env: NodeJS.ProcessEnv = process.env): BrowserChoice {
  if (existsSync(chromium.executablePath())) return { kind: "bundled" };
  const candidates = [env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
    (path): path is string => Boolean(path),
  );
  const found = candidates.find((path) => existsSync(path));
  if (found) return { kind: "system", executablePath: found, args: SYSTEM_CHROMIUM_ARGS };
  return {
    kind: "missing",
    reason:
      `no Chromium: Playwright's is not installed and none of ${candidates.join(", ")} exists. ` +
      "Run `pnpm --filter @repo/e2e exec playwright install chromium`, install your system's chromium, " +
      "or set CHROMIUM_PATH.",
  };
}
