/** Layers read from files: the local JSON layer, .env files, `<NAME>_FILE` secrets; and redaction. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  defineSettings,
  dotenvFiles,
  envVars,
  formatSettingsReport,
  jsonFile,
  layer,
  loggerOptions,
  redact,
  SettingsError,
  secret,
  secretValues,
  settingRows,
} from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "settings-sources-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const schema = z.strictObject({
  port: z.int().min(1).max(65535),
  name: z.string(),
  apiKey: secret(z.string().min(12)),
  db: z.strictObject({ password: secret(z.string()).optional(), host: z.string() }),
});

function stackWith(...layers: Parameters<typeof defineSettings>[0]["layers"]) {
  return defineSettings({
    app: "demo-api",
    envPrefix: "DEMO_API_",
    schema,
    layers: [
      layer("demo-api", { port: 3000, name: "demo", apiKey: "app-layer-key-123", db: { host: "db" } }),
      ...layers,
    ],
  });
}

describe("the local JSON layer", () => {
  it("is merged over the layers before it, with its name as the source", () => {
    const path = file("local/settings.local.json", JSON.stringify({ port: 4100, db: { host: "localhost" } }));
    const result = stackWith(jsonFile(path, { optional: true, name: "settings.local.json" })).resolve({});
    expect(result.ok && result.settings).toMatchObject({ port: 4100, name: "demo", db: { host: "localhost" } });
    expect(result.ok && result.sources.get("db.host")).toBe("settings.local.json");
  });

  it("is skipped when optional and missing, and an error when required and missing", () => {
    const missing = join(dir, "nowhere.json");
    expect(stackWith(jsonFile(missing, { optional: true })).resolve({}).ok).toBe(true);
    expect(() => stackWith(jsonFile(missing, { name: "required.json" })).load({})).toThrow(
      "(file) (from required.json): required settings file is missing",
    );
  });

  it("reports malformed JSON, a non-object and unknown keys, naming the file", () => {
    const bad = stackWith(jsonFile(file("bad.json", "{ port: 1 }"), { name: "bad.json" })).resolve({});
    expect(!bad.ok && bad.problems).toEqual([{ key: "(file)", source: "bad.json", message: "malformed JSON" }]);
    const list = stackWith(jsonFile(file("list.json", "[1]"), { name: "list.json" })).resolve({});
    expect(!list.ok && list.problems[0]?.message).toBe("expected a JSON object of settings");
    const typo = stackWith(jsonFile(file("typo.json", '{"prot": 1}'), { name: "typo.json" })).resolve({});
    expect(!typo.ok && typo.problems).toEqual([
      expect.objectContaining({ key: "prot", source: "typo.json", message: expect.stringContaining("unknown key") }),
    ]);
  });

  it("reports a file it cannot read", () => {
    const path = file("unreadable.json", "{}");
    chmodSync(path, 0o000);
    try {
      const result = stackWith(jsonFile(path, { name: "unreadable.json" })).resolve({});
      // root may read anything: then the file is simply read.
      if (result.ok) return;
      expect(result.problems[0]?.message).toMatch(/cannot read it \(EACCES\)/);
    } finally {
      chmodSync(path, 0o644);
    }
  });
});

describe(".env files", () => {
  const envDir = join(dir, "app");
  file("app/.env", "DEMO_API_PORT=4001\nDEMO_API_NAME=from-dotenv\nOTHER_TOOL=ignored\n");
  file("app/.env.local", "DEMO_API_PORT=4002\n");
  file("app/.env.test", 'DEMO_API_DB__HOST="test-db"\n');
  file("app/.env.test.local", "DEMO_API_NAME=test-local\n");
  const stack = stackWith(dotenvFiles(envDir), envVars());

  it("are read in order (.env, .env.local, .env.<NODE_ENV>, .env.<NODE_ENV>.local), each value naming its file", () => {
    const result = stack.resolve({ NODE_ENV: "development" });
    expect(result.ok && result.settings).toMatchObject({ port: 4002, name: "from-dotenv" });
    expect(result.ok && result.sources.get("port")).toBe(".env.local DEMO_API_PORT");
  });

  it("skip .env.local under NODE_ENV=test, so tests do not depend on one machine", () => {
    const result = stack.resolve({ NODE_ENV: "test" });
    expect(result.ok && result.settings).toMatchObject({ port: 4001, name: "test-local", db: { host: "test-db" } });
    expect(result.ok && result.sources.get("db.host")).toBe(".env.test DEMO_API_DB__HOST");
  });

  it("lose to real environment variables", () => {
    const result = stack.resolve({ NODE_ENV: "development", DEMO_API_PORT: "4999" });
    expect(result.ok && result.settings.port).toBe(4999);
    expect(result.ok && result.sources.get("port")).toBe("env DEMO_API_PORT");
  });

  it("report a variable of the app's prefix that names no setting, naming the file", () => {
    file("typo/.env", "DEMO_API_PROT=1\n");
    const result = stackWith(dotenvFiles(join(dir, "typo"))).resolve({});
    expect(!result.ok && result.problems).toEqual([
      expect.objectContaining({ key: "DEMO_API_PROT", source: ".env DEMO_API_PROT" }),
    ]);
  });
});

describe("<NAME>_FILE variables", () => {
  const stack = stackWith(envVars());

  it("read the value from the file, without its trailing newline", () => {
    const path = file("secrets/api_key", "from-a-file-0123456789\n");
    const result = stack.resolve({ DEMO_API_API_KEY_FILE: path, DEMO_API_DB__PASSWORD_FILE: path });
    expect(result.ok && result.settings.apiKey).toBe("from-a-file-0123456789");
    expect(result.ok && result.settings.db.password).toBe("from-a-file-0123456789");
    expect(result.ok && result.sources.get("apiKey")).toBe("env DEMO_API_API_KEY_FILE");
  });

  it("report a file that cannot be read, naming the variable and the file", () => {
    const result = stack.resolve({ DEMO_API_API_KEY_FILE: join(dir, "no-such-secret") });
    expect(!result.ok && result.problems).toEqual([
      {
        key: "apiKey",
        source: "env DEMO_API_API_KEY_FILE",
        message: `cannot read the file it names, ${join(dir, "no-such-secret")} (ENOENT)`,
      },
    ]);
  });

  it("refuse a key given both ways", () => {
    const path = file("secrets/both", "x".repeat(20));
    const result = stack.resolve({ DEMO_API_API_KEY: "y".repeat(20), DEMO_API_API_KEY_FILE: path });
    expect(!result.ok && result.problems[0]?.message).toBe(
      "both DEMO_API_API_KEY and DEMO_API_API_KEY_FILE are set; set one",
    );
  });
});

describe("secrets", () => {
  const stack = stackWith(envVars());

  it("are never printed in a problem report", () => {
    const result = stack.resolve({ DEMO_API_API_KEY: "short-pw" });
    expect(result.ok).toBe(false);
    const report = new SettingsError("demo-api", result.ok ? [] : result.problems).message;
    expect(report).toContain("apiKey (from env DEMO_API_API_KEY)");
    expect(report).toContain("[redacted]");
    expect(report).not.toContain("short-pw");
  });

  it("are never printed when a secret's JSON is malformed", () => {
    const objects = defineSettings({
      app: "demo-api",
      envPrefix: "DEMO_API_",
      schema: z.strictObject({ creds: secret(z.record(z.string(), z.string())) }),
      layers: [envVars()],
    });
    const result = objects.resolve({ DEMO_API_CREDS: '{"user": hunter2-oops' });
    expect(!result.ok && JSON.stringify(result.problems)).not.toContain("hunter2");
  });

  it("are redacted in the settings report, with their source still shown", () => {
    const path = file("secrets/report", "report-secret-value-42");
    const result = stack.resolve({ DEMO_API_API_KEY_FILE: path, DEMO_API_PORT: "4321" });
    if (!result.ok) throw new Error("expected valid settings");
    expect(settingRows(result)).toContainEqual({
      key: "apiKey",
      value: "[redacted]",
      source: "env DEMO_API_API_KEY_FILE",
    });
    const report = formatSettingsReport("demo-api", result, "development");
    expect(report).not.toContain("report-secret-value-42");
    expect(report).toMatch(/port\s+4321\s+env DEMO_API_PORT/);
    expect(redact(result.settings, result.secrets)).toMatchObject({ apiKey: "[redacted]", port: 4321 });
  });

  it("are censored in any log line, whatever logged them", () => {
    const values = secretValues({ apiKey: 'k"ey-with-quote', db: { host: "h" } }, ["apiKey", "db.password"]);
    expect(values).toEqual(['k"ey-with-quote']);
    const options = loggerOptions("demo-api", { level: "info" }, values);
    const line = `${JSON.stringify({ msg: 'connecting with k"ey-with-quote', nested: { any: 'k"ey-with-quote' } })}\n`;
    const written = options.hooks?.streamWrite(line) ?? line;
    expect(written).not.toContain("ey-with-quote");
    expect(written).toContain("[redacted]");
  });

  it("are censored by the strings they hold when a secret is a map or a list, and an empty one censors nothing", () => {
    const settings = { tokens: { billing: "tok-billing-1", search: "tok-search-2" }, none: {}, list: [] };
    expect(secretValues(settings, ["tokens", "none", "list"])).toEqual(["tok-billing-1", "tok-search-2"]);
    const options = loggerOptions("demo-api", { level: "info" }, secretValues(settings, ["tokens", "none", "list"]));
    const line = `${JSON.stringify({ msg: "calling with tok-search-2", routes: {}, ids: [] })}\n`;
    const written = options.hooks?.streamWrite(line) ?? line;
    expect(JSON.parse(written)).toEqual({ msg: "calling with [redacted]", routes: {}, ids: [] });
  });
});
