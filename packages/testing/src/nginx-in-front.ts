import type { DevStack } from "./dev-stack.ts";
import { type NginxProcess, ONE_CLIENT_LOAD_LIMITS, startNginx } from "./nginx.ts";
import { freePort } from "./ports.ts";
import { proxyEnvironment } from "./production-stack.ts";
import { waitForHttp } from "./wait.ts";

/**
 * nginx on the infra template in front of a dev stack's two apps, its per-client limits opened for
 * one test client's load: the third hop, beside the apps themselves and the dev proxy. Stop it
 * with `nginx.stop("SIGQUIT")`.
 */
export async function nginxInFront(stack: DevStack): Promise<{ url: string; nginx: NginxProcess }> {
  const port = await freePort();
  const nginx = startNginx({
    ...proxyEnvironment(),
    ...ONE_CLIENT_LOAD_LIMITS,
    NGINX_PORT: String(port),
    SYNC_API_UPSTREAM: new URL(stack.syncUrl).host,
    ASYNC_API_UPSTREAM: new URL(stack.asyncUrl).host,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, { abortIf: nginx.exitReason });
  return { url, nginx };
}
