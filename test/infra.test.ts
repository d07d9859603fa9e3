/**
 * infra/ without a Docker engine: the nginx template checked by a real nginx, the compose file and
 * the Dockerfile parsed and held to the topology and to the harness that stands in for them.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { BlockList } from "node:net";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { NON_CANONICAL_PATH } from "@repo/contracts";
import { DEFAULT_ASYNC_PREFIX } from "@repo/shared-settings";
import {
  ASYNC_PREFIX,
  composeFile,
  freePort,
  imageCommand,
  NGINX_TEMPLATE,
  nginxMissing,
  proxyEnvironment,
  renderTemplate,
  repoRoot,
  runsHere,
  stackFile,
  startNginx,
  testNginxConfig,
  waitFor,
} from "@repo/testing";
import { describe, expect, it } from "vitest";

const compose = composeFile();
// As compose gives it: `${ASYNC_PREFIX:-/async}` and the like taken from this run's variables.
const proxyEnv = proxyEnvironment(compose);
const dockerfile = readFileSync(join(repoRoot, "infra/docker/Dockerfile"), "utf8");

/** The default of a compose variable, `${NAME:-default}` → `default`. */
function defaultOf(expression: string | undefined): string {
  return /^\$\{[A-Z_]+:-([^}]*)\}$/.exec(expression ?? "")?.[1] ?? "";
}

describe("the nginx template", () => {
  const rendered = renderTemplate(readFileSync(NGINX_TEMPLATE, "utf8"), proxyEnv);

  it("is rendered completely by the proxy service's environment", () => {
    expect(rendered).not.toMatch(/\$\{[A-Z_]+\}/);
    expect(rendered).toContain(`location ${ASYNC_PREFIX}/ {`);
    expect(rendered).toContain("client_max_body_size 1m;");
    expect(rendered).toContain("server sync-api:3001 max_fails=0;");
    expect(rendered).toContain("client_body_timeout 10s;");
    expect(rendered).toContain("limit_conn conn_per_client 64;");
    expect(rendered).toContain("limit_req zone=rate_per_client burst=100 nodelay;");
  });

  it("keeps every upstream server, backups too, in rotation after a failure (max_fails=0)", () => {
    // A backup out for fail_timeout (nginx's default after one failure) leaves a GET that a killed
    // worker's connection reset with nothing to retry on: a 502 (faults.test.ts).
    const servers = [...rendered.matchAll(/^\s*server (\S+:\d+)([^;]*);/gm)].map(([, address, options]) => ({
      address,
      options: options?.trim(),
    }));
    expect(servers).toEqual([
      { address: "sync-api:3001", options: "max_fails=0" },
      { address: "sync-api:3001", options: "backup max_fails=0" },
      { address: "sync-api:3001", options: "backup max_fails=0" },
      { address: "async-api:3002", options: "max_fails=0" },
      { address: "async-api:3002", options: "backup max_fails=0" },
    ]);
  });

  it("refuses the paths the dev proxy refuses: the contracts' NON_CANONICAL_PATH, as is", () => {
    // The same pattern, case-insensitive in both (`~*`, the `i` flag), on the request URI as sent.
    expect(NON_CANONICAL_PATH.flags).toBe("i");
    expect(readFileSync(NGINX_TEMPLATE, "utf8")).toContain(
      `map $request_uri $path_not_canonical {\n    "~*${NON_CANONICAL_PATH.source}" 1;`,
    );
  });

  it.skipIf(!runsHere("nginx -t on the template", nginxMissing()))("passes `nginx -t` in a real nginx", async () => {
    // Compose's service names do not resolve here: the harness's loopback addresses stand in.
    const check = testNginxConfig({
      ...proxyEnv,
      SYNC_API_UPSTREAM: "127.0.0.1:3001",
      ASYNC_API_UPSTREAM: "127.0.0.1:3002",
    });
    const exit = await check.exited;
    expect(check.output()).toContain("syntax is ok");
    expect(exit.code).toBe(0);
  });
});

describe("nginx's own errors", () => {
  it.skipIf(!runsHere("the template's nginx in front of the apps", nginxMissing()))(
    "are problem details with a request id: 502 when an app is down",
    async () => {
      const [port, deadSync, deadAsync] = await Promise.all([freePort(), freePort(), freePort()]);
      const nginx = startNginx({
        ...proxyEnv,
        NGINX_PORT: String(port),
        SYNC_API_UPSTREAM: `127.0.0.1:${deadSync}`,
        ASYNC_API_UPSTREAM: `127.0.0.1:${deadAsync}`,
      });
      try {
        const answer = await waitFor(
          "nginx to listen",
          async () => {
            try {
              return await fetch(`http://127.0.0.1:${port}${ASYNC_PREFIX}/healthz`, {
                headers: { "x-request-id": "nginx-502" },
              });
            } catch {
              return undefined;
            }
          },
          { abortIf: nginx.exitReason },
        );
        expect(answer.status).toBe(502);
        expect(answer.headers.get("content-type")).toBe("application/problem+json");
        expect(answer.headers.get("x-request-id")).toBe("nginx-502");
        expect(answer.headers.get("server")).toBe("nginx");
        expect(await answer.json()).toEqual({
          type: "about:blank",
          title: "Bad Gateway",
          status: 502,
          detail: "The app behind the proxy is not reachable",
          requestId: "nginx-502",
        });
      } finally {
        await nginx.stop("SIGQUIT");
      }
    },
  );
});

describe("docker-compose.yml", () => {
  const services = compose.services;

  it("has the proxy, both apps and PostgreSQL, and only the proxy publishes a port", () => {
    // And Prometheus, in the `observability` profile only: test/prometheus-config.test.ts.
    expect(Object.keys(services).sort()).toEqual(["async-api", "postgres", "prometheus", "proxy", "sync-api"]);
    // "${PORT:-8080}:8080": compose interpolates PORT (default 8080) at `up`.
    expect(services.proxy?.ports).toEqual([["$", "{PORT:-8080}:8080"].join("")]);
    for (const name of ["sync-api", "async-api", "postgres"]) expect(services[name]?.ports, name).toBeUndefined();
  });

  it("gives every service a health check, a restart policy and resource limits", () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(1);
      expect(service.restart, name).toBe("unless-stopped");
      expect(Object.keys(service.deploy?.resources?.limits ?? {}).sort(), name).toEqual(["cpus", "memory"]);
    }
  });

  it("starts the proxy only once both apps are healthy", () => {
    expect(services.proxy?.depends_on).toEqual({
      "sync-api": { condition: "service_healthy" },
      "async-api": { condition: "service_healthy" },
    });
  });

  it("has the proxy follow the apps' replicas (the script reloading nginx is mounted, and executable)", () => {
    const script = "nginx/entrypoint.d/40-follow-replicas.sh";
    expect(services.proxy?.volumes).toContain(`./${script}:/docker-entrypoint.d/40-follow-replicas.sh:ro`);
    // The image's entrypoint runs only executable scripts.
    expect(statSync(join(repoRoot, "infra", script)).mode & 0o111).toBe(0o111);
  });

  it("builds each app from the one Dockerfile, with its own env file that exists", () => {
    for (const app of ["sync-api", "async-api"]) {
      const service = services[app];
      expect(service?.build).toMatchObject({
        context: "..",
        dockerfile: "infra/docker/Dockerfile",
        args: { APP: app },
      });
      expect(existsSync(join(repoRoot, "infra", service?.env_file ?? "missing"))).toBe(true);
    }
    expect(services["sync-api"]?.secrets).toEqual(["secret_key", "jwt_secret", "database_url"]);
    // #region example
    // The note-events relay LISTENs on the same database (a SQLite path there: it polls).
    expect(services["async-api"]?.secrets).toEqual(["secret_key", "jwt_secret", "database_url"]);
    const asyncEnv = parseEnv(readFileSync(join(repoRoot, "infra/env/async-api.env"), "utf8"));
    expect(asyncEnv.ASYNC_API_NOTE_EVENTS__LISTEN_URL_FILE).toBe("/run/secrets/database_url");
    // #endregion example
    expect(services["sync-api"]?.volumes).toEqual(["sync-data:/data"]);
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(["postgres-data", "prometheus-data", "sync-data"]);
  });

  it("runs sync-api on the postgres service: its URL a secret, its start after the server is healthy", () => {
    const postgres = services.postgres;
    expect(postgres?.image).toMatch(/^postgres:\d+-bookworm$/);
    expect(postgres?.volumes).toEqual(["postgres-data:/var/lib/postgresql/data"]);
    // The password as a secret file, never in the environment.
    expect(postgres?.secrets).toEqual(["postgres_password"]);
    expect(postgres?.environment).toMatchObject({ POSTGRES_PASSWORD_FILE: "/run/secrets/postgres_password" });
    expect(Object.keys(postgres?.environment ?? {})).not.toContain("POSTGRES_PASSWORD");
    // Ready over TCP, as sync-api connects (the image's first start listens on its socket only).
    expect(postgres?.healthcheck?.test).toEqual(
      expect.arrayContaining([
        "CMD",
        "pg_isready",
        "--host=127.0.0.1",
        `--dbname=${postgres?.environment?.POSTGRES_DB}`,
      ]),
    );
    expect(services["sync-api"]?.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    expect(compose.secrets).toMatchObject({
      postgres_password: { environment: "POSTGRES_PASSWORD" },
      database_url: { environment: "DATABASE_URL" },
    });
    const syncEnv = parseEnv(readFileSync(join(repoRoot, "infra/env/sync-api.env"), "utf8"));
    expect(syncEnv.SYNC_API_DATABASE__URL_FILE).toBe("/run/secrets/database_url");
    expect(syncEnv.SYNC_API_DATABASE__URL).toBeUndefined();
  });

  it("makes the database URL in infra/.env.example from the password, naming the postgres service's user and database", () => {
    const example = readFileSync(join(repoRoot, "infra/.env.example"), "utf8");
    expect(example).toMatch(/^POSTGRES_PASSWORD=$/m);
    const template = /^DATABASE_URL=(.+)$/m.exec(example)?.[1] ?? "";
    // "${POSTGRES_PASSWORD}": compose interpolates it in the .env file.
    const url = new URL(template.replace(["$", "{POSTGRES_PASSWORD}"].join(""), "the-password"));
    const environment = services.postgres?.environment ?? {};
    expect({ protocol: url.protocol, host: url.host, user: url.username, password: url.password }).toEqual({
      protocol: "postgres:",
      host: "postgres:5432",
      user: environment.POSTGRES_USER,
      password: "the-password",
    });
    expect(url.pathname).toBe(`/${environment.POSTGRES_DB}`);
  });

  it("gives the proxy and the apps one async prefix: ASYNC_PREFIX, defaulting to the apps' default", () => {
    const oneVariable = `\${ASYNC_PREFIX:-${DEFAULT_ASYNC_PREFIX}}`;
    const files = { "docker-compose.yml": compose.services, "docker-stack.yml": stackFile().services };
    for (const [file, services] of Object.entries(files)) {
      for (const [name, service] of Object.entries(services)) {
        if (name === "postgres" || name === "prometheus") continue;
        const environment = service.environment as Record<string, string> | undefined;
        expect(environment?.ASYNC_PREFIX, `${file} ${name}`).toBe(oneVariable);
      }
    }
    const combined = readFileSync(join(repoRoot, "infra/docker-compose.combined.yml"), "utf8");
    expect(combined).toContain(`ASYNC_PREFIX: ${oneVariable}`);
    expect(combined).toContain(`'${oneVariable}/readyz'`);
  });

  it("has the apps believe X-Forwarded-For from the proxy's fixed address only, which no other container can take", () => {
    const address = services.proxy?.networks?.default?.ipv4_address ?? "";
    expect(address).toMatch(/^\$\{PROXY_ADDRESS:-[\d.]+\}$/);
    for (const app of ["sync-api", "async-api"]) {
      const environment = services[app]?.environment ?? {};
      const trust = Object.entries(environment).find(([name]) => name.endsWith("_HTTP__TRUST_PROXY"))?.[1];
      // The one variable, not a range: a container elsewhere on the network is not a proxy hop.
      expect(trust, app).toBe(`["${address}"]`);
      const fromFile = readFileSync(join(repoRoot, "infra", services[app]?.env_file ?? "missing"), "utf8");
      expect(fromFile, app).not.toMatch(/^[A-Z_]+_HTTP__TRUST_PROXY=/m);
    }
    const [pool] = compose.networks?.default?.ipam?.config ?? [];
    const cidr = (text: string | undefined) => {
      const [net, bits] = defaultOf(text).split("/");
      return { net: net as string, bits: Number(bits) };
    };
    const subnet = new BlockList();
    subnet.addSubnet(cidr(pool?.subnet).net, cidr(pool?.subnet).bits);
    const dynamic = new BlockList();
    dynamic.addSubnet(cidr(pool?.ip_range).net, cidr(pool?.ip_range).bits);
    expect(subnet.check(defaultOf(address))).toBe(true);
    // Docker hands the other containers (and replicas added later) addresses from ip_range only.
    expect(dynamic.check(defaultOf(address))).toBe(false);
  });

  it("lets infra/.env set each variable the proxy interpolates (its limits, the prefix): each is in .env.example", () => {
    const raw = Object.values(compose.services.proxy?.environment ?? {}).join("\n");
    const interpolated = [...raw.matchAll(/\$\{([A-Z_]+):-/g)].map((match) => match[1]);
    expect(interpolated.length).toBeGreaterThan(0);
    const example = readFileSync(join(repoRoot, "infra/.env.example"), "utf8");
    for (const name of interpolated) expect(example, name).toMatch(new RegExp(`^(# )?${name}=`, "m"));
  });

  it("points the proxy at the apps' ports, with the async prefix and body limit the apps use, and sets its limits", () => {
    expect(proxyEnv).toMatchObject({
      ASYNC_PREFIX,
      BODY_LIMIT: "1m",
      SYNC_API_UPSTREAM: "sync-api:3001",
      ASYNC_API_UPSTREAM: "async-api:3002",
    });
    // A browser opens at most six connections to one origin, and a WebSocket besides: a tab with an
    // SSE stream, a WebSocket and its requests in flight stays under the proxy's limit per client.
    expect(Number(proxyEnv.NGINX_CONN_PER_CLIENT)).toBeGreaterThanOrEqual(6 + 1);
    expect(proxyEnv).toMatchObject({
      NGINX_CLIENT_HEADER_TIMEOUT: expect.stringMatching(/^\d+s$/),
      NGINX_CLIENT_BODY_TIMEOUT: expect.stringMatching(/^\d+s$/),
      NGINX_SEND_TIMEOUT: expect.stringMatching(/^\d+s$/),
      NGINX_RATE_PER_CLIENT: expect.stringMatching(/^\d+r\/s$/),
      NGINX_RATE_BURST: expect.stringMatching(/^\d+$/),
    });
    const syncEnv = readFileSync(join(repoRoot, "infra/env/sync-api.env"), "utf8");
    const asyncEnv = readFileSync(join(repoRoot, "infra/env/async-api.env"), "utf8");
    expect(syncEnv).toContain("SYNC_API_PORT=3001");
    expect(asyncEnv).toContain("ASYNC_API_PORT=3002");
    expect(asyncEnv).toContain('"url":"http://sync-api:3001"');
  });
});

describe("the Dockerfile", () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages.at(-1) ?? "";

  it("is multi-stage on Node 24, the final stage without pnpm or the build's sources", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim/);
    expect(dockerfile).toContain("ARG NODE_VERSION=24");
    expect(final).not.toMatch(/pnpm|npm install|COPY \. /);
    // The app's files root's: its own user (node) cannot change its code.
    expect(final).toContain("COPY --from=build /out ./");
    expect(final).not.toMatch(/--chown=node\S* \/out/);
    expect(stages[0]).toContain("deploy --prod /out");
  });

  it("runs as a non-root user with a health check", () => {
    expect(final).toMatch(/^USER node$/m);
    expect(final).toMatch(/^HEALTHCHECK /m);
  });

  it("starts the app as `pnpm --filter <app> start` and the test harness do: node dist/main.js", () => {
    expect(imageCommand()).toEqual(["node", "dist/main.js"]);
    for (const app of ["sync-api", "async-api"]) {
      const pkg = JSON.parse(readFileSync(join(repoRoot, "apps", app, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      };
      expect(pkg.scripts.start).toBe(imageCommand().join(" "));
    }
  });
});

describe("docker-stack.yml", () => {
  const stack = stackFile();
  const services = stack.services;

  it("runs sync-api on any node, two replicas or more, its data in PostgreSQL, which stays on its labelled node", () => {
    const sync = services["sync-api"];
    // No placement and no volume but /tmp in memory: nothing of sync-api's is on one node's disk.
    expect(sync?.deploy?.placement).toBeUndefined();
    expect(sync?.volumes).toEqual([{ type: "tmpfs", target: "/tmp", tmpfs: { size: 67108864 } }]);
    expect(Number(defaultOf(String(sync?.deploy?.replicas)))).toBeGreaterThanOrEqual(2);
    expect(sync?.secrets).toEqual(["secret_key", "jwt_secret", "database_url"]);
    const postgres = services.postgres;
    expect(postgres?.deploy).toMatchObject({
      replicas: 1,
      placement: { constraints: ["node.labels.api-starter.postgres-data == true"] },
      // Never two servers on one data directory.
      update_config: { order: "stop-first" },
    });
    expect(postgres?.volumes).toEqual(compose.services.postgres?.volumes);
    expect(postgres?.environment).toEqual(compose.services.postgres?.environment);
    expect(stack.secrets?.postgres_password).toMatchObject({ external: true, name: "api-starter_postgres_password" });
    expect(stack.secrets?.database_url).toMatchObject({ external: true, name: "api-starter_database_url" });
  });

  it("has compose's services, images, env files, health checks and proxy settings", () => {
    // Not compose's optional profiles (Prometheus): a swarm has its own monitoring, docs/deploy.md.
    const composed = Object.entries(compose.services).filter(([, service]) => !service.profiles);
    expect(Object.keys(services).sort()).toEqual(composed.map(([name]) => name).sort());
    for (const [name, service] of Object.entries(services)) {
      const composed = compose.services[name];
      expect(service.image, name).toBe(composed?.image);
      expect(service.env_file, name).toEqual(composed?.env_file);
      expect(service.secrets, name).toEqual(composed?.secrets);
      expect((service.healthcheck as { test: unknown }).test, name).toEqual(composed?.healthcheck?.test);
    }
    expect(services.proxy?.environment).toEqual(compose.services.proxy?.environment);
  });

  it("is in the form `docker stack deploy` takes: no name, builds or depends_on; the secret made on the swarm", () => {
    expect(stack.name).toBeUndefined();
    for (const service of Object.values(services)) {
      expect(service.build).toBeUndefined();
      expect(service.depends_on).toBeUndefined();
    }
    expect(stack.secrets?.secret_key).toMatchObject({ external: true });
    expect(stack.secrets?.jwt_secret).toMatchObject({ external: true });
  });

  it("has the apps believe X-Forwarded-For from the edge network only, which holds only the proxies and the apps", () => {
    const networks = (stack as { networks?: Record<string, { ipam?: { config?: { subnet?: string }[] } }> }).networks;
    const subnet = networks?.edge?.ipam?.config?.[0]?.subnet ?? "";
    expect(subnet).toMatch(/^\$\{EDGE_SUBNET:-[\d./]+\}$/);
    // PostgreSQL is on a network of its own with the apps, not on the proxy's.
    const networksOf = Object.fromEntries(Object.entries(services).map(([name, service]) => [name, service.networks]));
    expect(networksOf).toMatchObject({ proxy: ["edge"], "sync-api": ["edge", "db"], postgres: ["db"] });
    expect(networksOf["async-api"]).toEqual(["edge", "db"]); // #example: the note-events relay's LISTEN
    for (const app of ["sync-api", "async-api"]) {
      const environment = services[app]?.environment as Record<string, string>;
      const trust = Object.entries(environment).find(([name]) => name.endsWith("_HTTP__TRUST_PROXY"))?.[1];
      expect(trust, app).toBe(`["${subnet}"]`);
    }
  });

  it("lets nginx find every task by DNS, publishing the proxy's port in host mode", () => {
    for (const [name, service] of Object.entries(services)) expect(service.deploy?.endpoint_mode, name).toBe("dnsrr");
    expect(services.proxy?.ports).toEqual([
      // "${PORT:-8080}": interpolated by `docker stack deploy`.
      { target: 8080, published: ["$", "{PORT:-8080}"].join(""), protocol: "tcp", mode: "host" },
    ]);
  });

  it("updates the apps start-first, health-gated, rolling back on failure, slower than nginx follows them", () => {
    // How often the proxy looks at the replicas again (40-follow-replicas.sh).
    const follow = readFileSync(join(repoRoot, "infra/nginx/entrypoint.d/40-follow-replicas.sh"), "utf8");
    const every = Number(/NGINX_FOLLOW_SECONDS:-(\d+)/.exec(follow)?.[1]);
    for (const app of ["sync-api", "async-api"]) {
      const service = services[app];
      const update = service?.deploy?.update_config as Record<string, string | number>;
      expect(update, app).toMatchObject({ parallelism: 1, order: "start-first", failure_action: "rollback" });
      expect(Number.parseInt(String(update.delay), 10), app).toBeGreaterThan(every);
      expect(service?.healthcheck, app).toBeDefined();
      // Longer than the apps' graceful timeout (30 s), so Docker never kills a task still draining.
      expect(Number.parseInt(String(service?.stop_grace_period), 10), app).toBeGreaterThan(30);
    }
  });
});
