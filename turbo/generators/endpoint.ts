/**
 * What `pnpm turbo gen sync-endpoint` and `async-endpoint` write (config.ts runs them): a
 * contract in a controller of the generator's runtime, its handler in the app of that runtime,
 * the route-table entry, a test through the typed client, and for an async endpoint that calls an
 * upstream, the upstream's setting. The runtime comes from the generator, never from an answer,
 * so a controller is never mixed and never lands in the other app.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeMigrationStep } from "../../apps/sync-api/src/migrations/new-step.ts";

export type Runtime = "sync" | "async";

export interface EndpointAnswers {
  /** The resource, lower-case with hyphens: `reports`, `weather-alerts`. */
  readonly name: string;
  /** An upstream the async endpoint calls, by its settings name; `none` (or empty) for none. */
  readonly upstream?: string;
  /** Where a sync endpoint keeps its items: `db` (a table in sync-api's database), or `none`. */
  readonly storage?: string;
}

export interface Names {
  readonly kebab: string;
  /** The controller's variable and name: `weatherAlerts`. */
  readonly camel: string;
  /** The item schema: `WeatherAlertsItem`. */
  readonly item: string;
  readonly upstream: string | undefined;
  /** A sync endpoint over a table of its own (`db`): a migration step, create and read. */
  readonly table: string | undefined;
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Why a name cannot be an endpoint's, or undefined when it can. */
export function invalidName(name: string): string | undefined {
  if (!NAME.test(name)) return "lower-case letters and digits, words joined by hyphens (reports, weather-alerts)";
  return undefined;
}

export function namesOf(answers: EndpointAnswers): Names {
  const name = answers.name.trim();
  const invalid = invalidName(name);
  if (invalid) throw new Error(`"${name}" cannot name an endpoint: ${invalid}`);
  const camel = name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  const upstream = answers.upstream?.trim();
  if (upstream && upstream !== "none" && !/^[a-z0-9][a-z0-9-]*$/.test(upstream)) {
    throw new Error(`"${upstream}" cannot name an upstream: lower-case letters, digits and hyphens`);
  }
  const storage = answers.storage?.trim() || "none";
  if (storage !== "db" && storage !== "none") throw new Error(`"${storage}" is no storage: db or none`);
  return {
    kebab: name,
    camel,
    item: `${camel[0]?.toUpperCase()}${camel.slice(1)}Item`,
    upstream: upstream && upstream !== "none" ? upstream : undefined,
    table: storage === "db" ? name.replaceAll("-", "_") : undefined,
  };
}

const APP: Record<Runtime, string> = { sync: "sync-api", async: "async-api" };

/** Every file the generator writes or edits, relative to the repository's root. */
export function paths(runtime: Runtime, names: Names) {
  const app = `apps/${APP[runtime]}`;
  return {
    contract: `packages/contracts/src/${names.kebab}.ts`,
    contractsIndex: "packages/contracts/src/index.ts",
    api: "packages/contracts/src/api.ts",
    handler: `${app}/src/routes/${names.kebab}.ts`,
    routeTable: `${app}/src/routes/index.ts`,
    test: `${app}/test/${names.kebab}.test.ts`,
    settings: `${app}/src/settings/index.ts`,
    migrations: `${app}/src/migrations`,
    /** The upstreams' stand-ins, which @repo/testing starts for the suites that run whole stacks. */
    standIns: "apps/async-api/test/stand-ins",
  };
}

export function contractSource(runtime: Runtime, names: Names): string {
  if (runtime === "sync" && names.table) return tableContractSource(names);
  const { kebab, camel, item, upstream } = names;
  const failures = upstream ? ", 502: ProblemDetails, 504: ProblemDetails" : "";
  return `import { z } from "zod";
import { controller } from "./contract.ts";
${upstream ? 'import { ProblemDetails } from "./problem.ts";\n' : ""}
/** One ${kebab} item: replace these fields with the resource's own. */
export const ${item} = z.strictObject({ id: z.int().positive(), name: z.string() }).meta({ id: "${item}" });

/** ${kebab}: ${runtime} endpoints, served by ${APP[runtime]}. */
export const ${camel} = controller("${camel}", "${runtime}", {
  get: {
    method: "GET",
    path: "/${kebab}/:id",
    summary: "Read one ${kebab} item${upstream ? `, from the ${upstream} upstream` : ""}",
    params: z.object({ id: z.coerce.number().int().positive() }),
    responses: { 200: ${item}${failures} },
    // Public. To require a token: security: bearer("<scope>"), from ./security.ts (docs/contracts.md).
  },
});
`;
}

/** A sync resource over a table of its own: create one item, read one. */
function tableContractSource({ kebab, camel, item }: Names): string {
  return `import { z } from "zod";
import { controller } from "./contract.ts";
import { ProblemDetails } from "./problem.ts";

/** One ${kebab} item, as the ${kebab} table holds it: replace these fields with the resource's own. */
export const ${item} = z.strictObject({ id: z.int().positive(), name: z.string() }).meta({ id: "${item}" });

/** What a client sends to make one (the id is the table's). */
export const New${item} = z
  .strictObject({ name: z.string().trim().min(1).max(200) })
  .meta({ id: "New${item}" });

/** ${kebab}: sync endpoints over sync-api's database, served by sync-api. */
export const ${camel} = controller("${camel}", "sync", {
  create: {
    method: "POST",
    path: "/${kebab}",
    summary: "Make one ${kebab} item",
    body: New${item},
    responses: { 201: ${item} },
    // Public. To require a token: security: bearer("<scope>"), from ./security.ts (docs/contracts.md).
  },
  get: {
    method: "GET",
    path: "/${kebab}/:id",
    summary: "Read one ${kebab} item",
    params: z.object({ id: z.coerce.number().int().positive() }),
    responses: { 200: ${item}, 404: ProblemDetails },
  },
});
`;
}

/** The migration step that makes the table, for each database (docs/adding-a-table.md). */
export function tableSql({ table }: Names): { sqlite: string; postgres: string } {
  return {
    sqlite: `CREATE TABLE ${table} (\n     id   INTEGER PRIMARY KEY AUTOINCREMENT,\n     name TEXT NOT NULL\n   )`,
    postgres: `CREATE TABLE ${table} (\n     id   bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n     name text NOT NULL\n   )`,
  };
}

export function handlerSource(runtime: Runtime, names: Names): string {
  const { kebab, camel, item, upstream, table } = names;
  if (runtime === "sync" && table) {
    return `import { ${camel}, problem } from "@repo/contracts";
import type { Database } from "../db/database.ts";
import { route } from "../http/route.ts";

interface ${item}Row {
  id: number;
  name: string;
}

/**
 * ${kebab}: synchronous handlers over the ${table} table (its migration step is in
 * src/migrations/), on the connection of the host that runs them, SQLite or PostgreSQL
 * (docs/adding-a-table.md).
 */
export function ${camel}Routes({ db }: { db: Database }) {
  return route(${camel}, {
    create: ({ body }) => {
      const row = db.transaction(
        () => db.get<${item}Row>("INSERT INTO ${table} (name) VALUES ($1) RETURNING id, name", [body.name]) as ${item}Row,
      );
      return { status: 201, body: row, headers: { location: \`/${kebab}/\${row.id}\` } };
    },
    get: ({ params }) => {
      const row = db.get<${item}Row>("SELECT id, name FROM ${table} WHERE id = $1", [params.id]);
      if (row) return { status: 200, body: row };
      return { status: 404, body: problem({ status: 404, detail: \`There is no ${kebab} item \${params.id}\` }) };
    },
  });
}
`;
  }
  if (runtime === "sync") {
    return `import { ${camel} } from "@repo/contracts";
import { route } from "../http/route.ts";

/** ${kebab}: synchronous handlers (what they need is a parameter of a function that builds them). */
export const ${camel}Routes = route(${camel}, {
  get: ({ params }) => ({ status: 200, body: { id: params.id, name: \`${kebab} \${params.id}\` } }),
});
`;
  }
  if (!upstream) {
    return `import { ${camel} } from "@repo/contracts";
import { route } from "../http/route.ts";

/** ${kebab}: async handlers (what they need is a parameter of a function that builds them). */
export const ${camel}Routes = route(${camel}, {
  get: async ({ params }) => ({ status: 200, body: { id: params.id, name: \`${kebab} \${params.id}\` } }),
});
`;
  }
  return `import { ${camel}, ${item}, problem } from "@repo/contracts";
import { route } from "../http/route.ts";
import type { Outbound } from "../outbound/client.ts";

/**
 * ${kebab}: read from the ${upstream} upstream (its base URL and headers are the \`upstreams\`
 * setting: docs/settings.md, "Upstreams") through the Outbound client: within its request timeout,
 * retried when idempotent, cancelled when the client goes away, the request id sent on. A timeout
 * is a 504, any other failure a 502, naming the upstream only.
 */
export function ${camel}Routes({ outbound }: { outbound: Outbound }) {
  // Asked for here, so that settings without this upstream stop the app at start-up.
  const upstream = outbound.upstream("${upstream}");
  return route(${camel}, {
    get: async ({ id, params, signal }) => {
      const call = await upstream.call(\`/${kebab}/\${params.id}\`, { signal, requestId: id });
      const parsed = call.outcome === "ok" ? ${item}.safeParse(call.body) : undefined;
      if (parsed?.success) return { status: 200, body: parsed.data };
      const code = call.outcome === "timeout" ? 504 : 502;
      const detail = \`${upstream}: \${parsed ? "an answer that is not a ${kebab} item" : call.outcome}\`;
      return { status: code, body: problem({ status: code, detail }) };
    },
  });
}
`;
}

/** A sync endpoint's test file, but for its cases: sync-api in its own process, a database of its own. */
function syncTestSetup({ kebab, camel }: Names): string {
  return `import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, ${camel} } from "@repo/contracts";
import { freePort, startApp, stopAll, waitForHttp } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "${kebab}-"));
let baseUrl = "";

beforeAll(async () => {
  const port = await freePort();
  const app = startApp("sync-api", {
    env: { SYNC_API_PORT: String(port), SYNC_API_WORKERS: "1", SYNC_API_DATABASE__URL: join(dir, "test.sqlite") },
  });
  baseUrl = \`http://127.0.0.1:\${port}\`;
  await waitForHttp(\`\${baseUrl}/healthz\`, { abortIf: app.exitReason });
});
afterAll(async () => {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});
`;
}

export function testSource(runtime: Runtime, names: Names): string {
  const { kebab, camel, upstream, table } = names;
  if (runtime === "sync" && table) {
    return `/** ${kebab} through the typed client, against sync-api in its own process and a database of its own. */
${syncTestSetup(names)}
describe("${kebab}", () => {
  const client = () => createClient({ baseUrl }).controller(${camel});

  it("makes an item in the table and reads it back", async () => {
    const made = await client().create({ body: { name: "  first  " } });
    expect(made).toMatchObject({ status: 201, body: { name: "first" } });
    const id = (made.body as { id: number }).id;
    expect(await client().get({ params: { id } })).toMatchObject({ status: 200, body: { id, name: "first" } });
  });

  it("answers 404 for an item that is not there, and 400 for a blank name", async () => {
    expect(await client().get({ params: { id: 999_999 } })).toMatchObject({ status: 404 });
    const response = await fetch(\`\${baseUrl}/${kebab}\`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: " " }),
    });
    expect(response.status).toBe(400);
  });
});
`;
  }
  if (runtime === "sync") {
    return `/** ${kebab} through the typed client, against sync-api in its own process. */
${syncTestSetup(names)}
describe("${kebab}", () => {
  it("answers GET /${kebab}/:id", async () => {
    const client = createClient({ baseUrl }).controller(${camel});
    expect(await client.get({ params: { id: 7 } })).toMatchObject({ status: 200, body: { id: 7, name: "${kebab} 7" } });
  });

  it("refuses an id that is not a positive integer", async () => {
    const response = await fetch(\`\${baseUrl}/${kebab}/nope\`);
    expect(response.status).toBe(400);
  });
});
`;
  }
  if (!upstream) {
    return `/** ${kebab} through the typed client, against async-api in its own process. */
import { createClient, ${camel} } from "@repo/contracts";
import { freePort, startApp, stopAll, waitForHttp } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let baseUrl = "";

beforeAll(async () => {
  const port = await freePort();
  const app = startApp("async-api", { env: { ASYNC_API_PORT: String(port) } });
  baseUrl = \`http://127.0.0.1:\${port}\`;
  await waitForHttp(\`\${baseUrl}/async/healthz\`, { abortIf: app.exitReason });
});
afterAll(stopAll);

describe("${kebab}", () => {
  it("answers GET /async/${kebab}/:id", async () => {
    const client = createClient({ baseUrl }).controller(${camel});
    expect(await client.get({ params: { id: 7 } })).toMatchObject({ status: 200, body: { id: 7, name: "${kebab} 7" } });
  });

  it("refuses an id that is not a positive integer", async () => {
    const response = await fetch(\`\${baseUrl}/async/${kebab}/nope\`);
    expect(response.status).toBe(400);
  });
});
`;
  }
  return `/**
 * ${kebab} through the typed client, against async-api in its own process and a stand-in for the
 * ${upstream} upstream on loopback.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, ${camel} } from "@repo/contracts";
import { freePort, startApp, stopAll, waitForHttp } from "@repo/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The upstream's stand-in: an item for ids below 100, a 500 above, and no answer at all for 999. */
const upstream: Server = createServer((req, res) => {
  const id = Number(req.url?.split("/").at(-1));
  if (id === 999) return; // never answers: the call times out
  if (id >= 100) return void res.writeHead(500).end();
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id, name: \`upstream \${id}\` }));
});
let baseUrl = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const url = \`http://127.0.0.1:\${(upstream.address() as AddressInfo).port}\`;
  const port = await freePort();
  const app = startApp("async-api", {
    env: {
      ASYNC_API_PORT: String(port),
      ASYNC_API_UPSTREAMS: JSON.stringify({ "${upstream}": { url } }),
      ASYNC_API_OUTBOUND__REQUEST_TIMEOUT_MS: "500",
    },
  });
  baseUrl = \`http://127.0.0.1:\${port}\`;
  await waitForHttp(\`\${baseUrl}/async/healthz\`, { abortIf: app.exitReason });
});
afterAll(async () => {
  await stopAll();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe("${kebab}", () => {
  const client = () => createClient({ baseUrl }).controller(${camel});

  it("answers with the upstream's item", async () => {
    expect(await client().get({ params: { id: 7 } })).toMatchObject({ status: 200, body: { id: 7, name: "upstream 7" } });
  });

  it("answers 502 naming the upstream when it fails", async () => {
    expect(await client().get({ params: { id: 100 } })).toMatchObject({ status: 502, body: { detail: "${upstream}: failed" } });
  });

  it("answers 504 when the upstream does not answer within the timeout", async () => {
    expect(await client().get({ params: { id: 999 } })).toMatchObject({ status: 504, body: { detail: "${upstream}: timeout" } });
  });
});
`;
}

/**
 * A new upstream's stand-in: a healthy service answering every `GET /<resource>/<id>` with an
 * item, the shape the generated endpoints read. The whole-stack suites call it instead of the
 * real service (@repo/testing's startStandIns); make it answer as the real service does.
 */
export function standInSource(upstream: string): string {
  return `/**
 * The ${upstream} upstream's stand-in, for the suites that start whole stacks (@repo/testing's
 * startStandIns, which serves every file of this folder under its upstream's name): a healthy
 * ${upstream}, answering each GET /<resource>/<id> with an item. Make it answer as the real service does.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export default function standIn(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url?.split("?", 1)[0] ?? "/";
  const item = /^\\/[a-z0-9-]+\\/(\\d+)$/.exec(path);
  if (req.method === "GET" && item) {
    const id = Number(item[1]);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id, name: \`upstream \${id}\` }));
    return;
  }
  if (req.method === "GET" && path === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return;
  }
  res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
}
`;
}

/** A file's text with `edit` applied; throws, naming the file, when the edit finds no anchor. */
function editFile(root: string, path: string, edit: (text: string) => string): void {
  const file = join(root, path);
  const before = readFileSync(file, "utf8");
  const after = edit(before);
  if (after === before) throw new Error(`${path}: nothing to change (already generated, or edited past recognition?)`);
  writeFileSync(file, after);
}

function replaceOnce(
  text: string,
  pattern: RegExp,
  replacement: (match: string, ...groups: string[]) => string,
  what: string,
) {
  if (!pattern.test(text)) throw new Error(`cannot find ${what}`);
  return text.replace(pattern, replacement);
}

/**
 * `entry` added at the end of a list's text: on a line of its own when the list is on several
 * (Biome keeps one so when a line comment is in it, such as an example marker), after a comma
 * otherwise. The generator formats what it wrote afterwards.
 */
function appendEntry(list: string, entry: string): string {
  if (list.includes("\n")) return `${list.trimEnd()}\n${entry},\n`;
  return list.trim() ? `${list.trim()}, ${entry}` : entry;
}

/** An import line after the file's last import. */
function addImport(text: string, line: string): string {
  const imports = [...text.matchAll(/^import [^;]+;\n/gm)];
  const last = imports.at(-1);
  if (!last || last.index === undefined) return `${line}\n${text}`;
  const at = last.index + last[0].length;
  return `${text.slice(0, at)}${line}\n${text.slice(at)}`;
}

/** The route-table entry: a constant, or a call with what the handler needs. */
function routeEntry(runtime: Runtime, { camel, upstream, table }: Names): string {
  if (runtime === "async" && upstream) return `${camel}Routes({ outbound })`;
  if (runtime === "sync" && table) return `${camel}Routes({ db: dependencies.db })`;
  return `${camel}Routes`;
}

/** Refuses to overwrite: every file it would add must be new, and the controller's name free. */
export function checkFree(root: string, runtime: Runtime, names: Names): void {
  const files = paths(runtime, names);
  for (const path of [files.contract, files.handler, files.test]) {
    if (existsSync(join(root, path))) throw new Error(`${path} exists already: pick another name`);
  }
  if (runtime === "sync" && names.table) {
    const steps = readdirSync(join(root, files.migrations));
    if (steps.some((file) => file.endsWith(`-${names.kebab}.ts`))) {
      throw new Error(`${files.migrations} has a step named ${names.kebab} already: pick another name`);
    }
  }
  const index = readFileSync(join(root, files.contractsIndex), "utf8");
  if (new RegExp(`\\b(${names.camel}|${names.item})\\b`).test(index)) {
    throw new Error(`@repo/contracts already exports ${names.camel} or ${names.item}: pick another name`);
  }
}

/** Writes every file; returns what it wrote or changed, for the generator's summary. */
export function writeEndpoint(root: string, runtime: Runtime, names: Names): string[] {
  checkFree(root, runtime, names);
  const files = paths(runtime, names);
  const write = (path: string, text: string) => writeFileSync(join(root, path), text);
  write(files.contract, contractSource(runtime, names));
  write(files.handler, handlerSource(runtime, names));
  write(files.test, testSource(runtime, names));

  editFile(
    root,
    files.contractsIndex,
    (text) => `${text.trimEnd()}\nexport { ${names.camel}, ${names.item} } from "./${names.kebab}.ts";\n`,
  );
  editFile(root, files.api, (text) =>
    replaceOnce(
      addImport(text, `import { ${names.camel} } from "./${names.kebab}.ts";`),
      new RegExp(`(\\b${runtime}: \\[)([^\\]]*)(\\])`),
      (_m, open: string, list: string, close: string) => `${open}${appendEntry(list, names.camel)}${close}`,
      `the ${runtime} list of api in ${files.api}`,
    ),
  );
  editFile(root, files.routeTable, (text) =>
    replaceOnce(
      addImport(text, `import { ${names.camel}Routes } from "./${names.kebab}.ts";`),
      /(servesExactly\("[a-z-]+", api\.(?:sync|async), \[)([\s\S]*?)(\]\);)/,
      (_m, open: string, list: string, close: string) =>
        `${open}${appendEntry(list, routeEntry(runtime, names))}${close}`,
      `mainRoutes' list (servesExactly(…, [ … ])) in ${files.routeTable}`,
    ),
  );
  const changed = [files.contract, files.handler, files.test, files.contractsIndex, files.api, files.routeTable];
  if (runtime === "sync" && names.table) {
    const step = writeMigrationStep(join(root, files.migrations), names.kebab, tableSql(names));
    changed.push(`${files.migrations}/${step}`, `${files.migrations}/index.ts`);
  }
  if (runtime === "async" && names.upstream) {
    const upstream = names.upstream;
    const standIn = `${files.standIns}/${upstream}.ts`;
    if (!existsSync(join(root, standIn))) {
      mkdirSync(join(root, files.standIns), { recursive: true });
      write(standIn, standInSource(upstream));
      changed.push(standIn);
    }
    const settings = readFileSync(join(root, files.settings), "utf8");
    if (!new RegExp(`"${upstream}":|\\b${upstream}:`).test(settings)) {
      editFile(root, files.settings, (text) =>
        replaceOnce(
          text,
          /(layer\("async-api", \{[\s\S]*?\n {6}upstreams: \{)/,
          (open: string) =>
            `${open}\n        // ${upstream}: its development URL; another environment's in byEnvironment below or\n        // ASYNC_API_UPSTREAMS (docs/settings.md, "Upstreams"). status: true makes /async/status ask it.\n        "${upstream}": { url: "http://127.0.0.1:4000", statusPath: "/healthz", status: false },`,
          `the upstreams of async-api's layer in ${files.settings}`,
        ),
      );
      changed.push(files.settings);
    }
  }
  return changed;
}
