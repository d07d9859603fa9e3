import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AppProcess, repoRoot, startProcess } from "./process.ts";

/** The infra template, as the official nginx image finds it in /etc/nginx/templates. */
export const NGINX_TEMPLATE = join(repoRoot, "infra/nginx/templates/default.conf.template");

/**
 * The template's per-client limits opened wide, for stacks a test or benchmark loads from one
 * address (the property and fault suites, the bench): every request there comes from 127.0.0.1,
 * and compose's defaults, made for one client among many, would answer most of that load 429.
 * For compose and the swarm stack, which take it from the shell, sync-api's route limits go off too.
 */
export const ONE_CLIENT_LOAD_LIMITS: Readonly<Record<string, string>> = {
  NGINX_CONN_PER_CLIENT: "60000",
  NGINX_RATE_PER_CLIENT: "100000r/s",
  NGINX_RATE_BURST: "100000",
  SYNC_API_RATE_LIMIT__ENABLED: "false",
};

/** Debian's nginx, or $NGINX_PATH; undefined when the machine has none. */
export function nginxBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return [env.NGINX_PATH, "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].find(
    (path): path is string => Boolean(path) && existsSync(path as string),
  );
}

/** Why tests through nginx cannot run here, if they cannot: for `runsHere`. */
export function nginxMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return nginxBinary(env) ? undefined : "no nginx: install Debian's nginx (apt-get install nginx) or set NGINX_PATH";
}

/**
 * The official image's envsubst step: every `${NAME}` whose NAME is defined is replaced; nginx's
 * own `$variables` (and undefined names) are left alone.
 */
export function renderTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => variables[name] ?? whole);
}

function requireNginx(): string {
  const binary = nginxBinary();
  if (!binary) throw new Error(nginxMissing());
  return binary;
}

/**
 * A scratch nginx prefix whose nginx.conf includes the rendered infra template as its only
 * server, the way the image's default nginx.conf includes /etc/nginx/conf.d/*.conf.
 */
function writeNginxPrefix(variables: Readonly<Record<string, string>>, { workerConnections = 1024 } = {}): string {
  const prefix = mkdtempSync(join(tmpdir(), "nginx-"));
  mkdirSync(join(prefix, "conf.d"));
  mkdirSync(join(prefix, "logs"));
  // Started as root, nginx runs its workers as another user (`nobody`), and they buffer large
  // request bodies to files in client_body_temp_path: they must be able to reach and write there
  // (the image's /var/cache/nginx is theirs), or every body past the memory buffer is a 500.
  chmodSync(prefix, 0o755);
  for (const temp of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
    mkdirSync(join(prefix, temp));
    chmodSync(join(prefix, temp), 0o777);
  }
  // The access log in the scratch prefix (the image's path is its stdout; here, stdout is a
  // socket nginx cannot open as a file): `accessLog` of the running nginx.
  const rendered = renderTemplate(readFileSync(NGINX_TEMPLATE, "utf8"), {
    ...variables,
    NGINX_ACCESS_LOG: join(prefix, "logs/access.log"),
  });
  writeFileSync(join(prefix, "conf.d/default.conf"), rendered);
  writeFileSync(
    join(prefix, "nginx.conf"),
    [
      "worker_processes 1;",
      `pid ${join(prefix, "nginx.pid")};`,
      "error_log stderr warn;",
      // The official image's number, unless a test of nginx's capacity asks for fewer.
      `events { worker_connections ${workerConnections}; }`,
      "http {",
      "  include /etc/nginx/mime.types;",
      "  default_type application/octet-stream;",
      "  access_log off;",
      `  client_body_temp_path ${join(prefix, "client_body")};`,
      `  proxy_temp_path ${join(prefix, "proxy")};`,
      `  fastcgi_temp_path ${join(prefix, "fastcgi")};`,
      `  uwsgi_temp_path ${join(prefix, "uwsgi")};`,
      `  scgi_temp_path ${join(prefix, "scgi")};`,
      `  include ${join(prefix, "conf.d")}/*.conf;`,
      "}",
      "",
    ].join("\n"),
  );
  return prefix;
}

/** A running nginx, and the file its access log goes to. */
export type NginxProcess = AppProcess & { readonly accessLog: string };

/** Runs nginx in the foreground (as the image does) on the rendered infra template. */
export function startNginx(
  variables: Readonly<Record<string, string>>,
  options: { readonly workerConnections?: number } = {},
): NginxProcess {
  const prefix = writeNginxPrefix(variables, options);
  const nginx = startProcess(requireNginx(), ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-g", "daemon off;"]);
  return Object.assign(nginx, { accessLog: join(prefix, "logs/access.log") });
}

/** `nginx -t` on the rendered template: nginx's own verdict on the configuration. */
export function testNginxConfig(variables: Readonly<Record<string, string>>): AppProcess {
  const prefix = writeNginxPrefix(variables);
  return startProcess(requireNginx(), ["-t", "-p", prefix, "-c", join(prefix, "nginx.conf")]);
}
