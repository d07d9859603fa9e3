/** `pnpm run token`: a development token both running apps accept; refused in production without the key. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { TEST_SCOPE } from "@repo/contracts";
import { stopAll } from "@repo/testing";
import { jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { startBothApps } from "./support/both-apps.ts";

const dir = mkdtempSync(join(tmpdir(), "token-command-"));
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `pnpm run token`, its stdout (the token) apart from its stderr. */
async function token(args: string[], env: Record<string, string | undefined> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)("pnpm", ["--silent", "run", "token", ...args], {
      env: { ...process.env, NODE_ENV: "development", ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout: stdout.trim(), stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout: stdout.trim(), stderr };
  }
}

describe("pnpm run token", () => {
  it("prints a token that both running apps accept, with the subject and scopes asked for", async () => {
    const printed = await token(["--scope", TEST_SCOPE, "--scope", "reports:read", "--sub", "ada", "--ttl", "5m"]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(printed.stderr).toContain(`sub=ada scope="${TEST_SCOPE} reports:read"`);
    // It says the key is the development one, which production refuses, and how to sign for production.
    expect(printed.stderr).toMatch(
      /signed with the development key \(from [^)]+\): only apps under NODE_ENV=development or test/,
    );
    expect(printed.stderr).toContain("NODE_ENV=production SYNC_API_AUTH__JWT_SECRET_FILE=<its file> pnpm run token");

    for (const { url } of Object.values(await startBothApps(dir))) {
      const answer = await fetch(`${url}/_test/whoami`, { headers: { authorization: `Bearer ${printed.stdout}` } });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ subject: "ada", scopes: [TEST_SCOPE, "reports:read"] });
    }
  });

  it("refuses with production settings without the key, naming it; signs with the key once given", async () => {
    const refused = await token([], { NODE_ENV: "production", SYNC_API_SECRET_KEY: "k".repeat(32) });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain("auth.jwtSecret (from no layer): required");
    expect(refused.stderr).toContain("SYNC_API_AUTH__JWT_SECRET");

    const key = "a-production-jwt-key-of-32-chars-or-more";
    const given = await token(["--scope", "reports:read"], {
      NODE_ENV: "production",
      SYNC_API_SECRET_KEY: "k".repeat(32),
      SYNC_API_AUTH__JWT_SECRET: key,
    });
    expect(given.code).toBe(0);
    expect(given.stderr).toContain("signed with the key from SYNC_API_AUTH__JWT_SECRET\n");
    const { payload, protectedHeader } = await jwtVerify(given.stdout, new TextEncoder().encode(key), {
      issuer: "api-starter",
      audience: "api-starter",
    });
    expect(protectedHeader.alg).toBe("HS256");
    expect(payload).toMatchObject({ sub: "developer", scope: "reports:read" });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3_600);
  });

  it("refuses options it cannot use, saying how to call it", async () => {
    for (const args of [["--ttl", "0"], ["--ttl", "soon"], ["--sub", " "], ["--unknown"]]) {
      const refused = await token(args);
      expect(refused.code, args.join(" ")).toBe(2);
      expect(refused.stderr, args.join(" ")).toContain("usage: pnpm run token");
    }
  });

  it("refuses a --ttl longer than the apps accept (auth.maxTokenLifetimeS), naming the setting", async () => {
    const refused = await token(["--ttl", "2d"]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain(
      "--ttl 2d is 172800 s, longer than the apps accept: auth.maxTokenLifetimeS is 86400 s (SYNC_API_AUTH__MAX_TOKEN_LIFETIME_S)",
    );
    // The setting moves the bound: a week, when the apps are told so too.
    const week = await token(["--ttl", "7d"], { SYNC_API_AUTH__MAX_TOKEN_LIFETIME_S: String(7 * 86_400) });
    expect(week.code, week.stderr).toBe(0);
    expect((await token(["--ttl", "1d"])).code).toBe(0);
  });
});
