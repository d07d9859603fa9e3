/**
 * `database.synchronous` reaches SQLite: the connections sync-api opens on a real file, with the
 * settings each environment resolves, read `PRAGMA synchronous` back (1 NORMAL, 2 FULL).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.ts";
import { openDatabase } from "../src/db/open.ts";
import { openRateLimitDatabase } from "../src/http/rate-limit-store.ts";
import { syncApiSettings } from "../src/settings/index.ts";

const dir = mkdtempSync(join(tmpdir(), "sqlite-"));
const opened: Database[] = [];
afterAll(() => {
  for (const db of opened) db.close();
});

const PRODUCTION_SECRETS = { SYNC_API_SECRET_KEY: "k".repeat(32), SYNC_API_AUTH__JWT_SECRET: "j".repeat(32) };

/** The app's database as host.ts opens it, with the settings `env` resolves, on a file of its own. */
function openAsTheApp(env: Record<string, string>): Database {
  const path = join(dir, `${opened.length}.sqlite`);
  const settings = syncApiSettings.load({ ...env, SYNC_API_DATABASE__URL: path });
  const db = openDatabase(settings.database);
  opened.push(db);
  return db;
}

const synchronous = (db: Database) => db.get<{ synchronous: number }>("PRAGMA synchronous")?.synchronous;

describe("database.synchronous", () => {
  it("is FULL in production and NORMAL elsewhere, as the app's connection reads it back", () => {
    expect(synchronous(openAsTheApp({ NODE_ENV: "production", ...PRODUCTION_SECRETS }))).toBe(2);
    expect(synchronous(openAsTheApp({ NODE_ENV: "development" }))).toBe(1);
    expect(synchronous(openAsTheApp({ NODE_ENV: "test" }))).toBe(1);
  });

  it("follows SYNC_API_DATABASE__SYNCHRONOUS, and refuses another value naming the key", () => {
    const env = { NODE_ENV: "production", ...PRODUCTION_SECRETS };
    expect(synchronous(openAsTheApp({ ...env, SYNC_API_DATABASE__SYNCHRONOUS: "NORMAL" }))).toBe(1);
    expect(synchronous(openAsTheApp({ NODE_ENV: "development", SYNC_API_DATABASE__SYNCHRONOUS: "FULL" }))).toBe(2);
    expect(() => openAsTheApp({ NODE_ENV: "development", SYNC_API_DATABASE__SYNCHRONOUS: "OFF" })).toThrow(
      /database\.synchronous \(from env SYNC_API_DATABASE__SYNCHRONOUS\)/,
    );
  });

  it("leaves the rate-limit store at NORMAL: a power loss there loses only counts", () => {
    const settings = syncApiSettings.load({ NODE_ENV: "production", ...PRODUCTION_SECRETS });
    expect(settings.database.synchronous).toBe("FULL");
    const store = openRateLimitDatabase(join(dir, "rate-limit.sqlite"), settings.database);
    opened.push(store);
    expect(synchronous(store)).toBe(1);
  });
});
