/**
 * The apps believe X-Forwarded-For from the proxy only, with the trust compose and the swarm
 * stack give them (issue 20, item 9): a container elsewhere on their network that sends one is
 * seen at its own address, so it cannot pose as many clients past the apps' per-client limits.
 * The apps run here from source with the trust list the compose file gives each, and requests
 * come from addresses of this machine that are not the proxy's: loopback, and a unique-local
 * (private) IPv6 address when the machine has one (the kind a container network hands out).
 */
import { request } from "node:http";
import { networkInterfaces } from "node:os";
import {
  ASYNC_PREFIX,
  composeFile,
  freePort,
  logLines,
  serviceEnv,
  startApp,
  stopAll,
  waitFor,
  waitForHttp,
} from "@repo/testing";
import { afterEach, describe, expect, it } from "vitest";

afterEach(stopAll);

const FORGED = "203.0.113.9";
const compose = composeFile();

/** This machine's private addresses other than loopback: fc00::/7 (what `uniquelocal` names), 10/8, 172.16/12, 192.168/16. */
const privateAddresses = Object.values(networkInterfaces())
  .flat()
  .map((info) => info?.address ?? "")
  .filter((address) => /^(f[cd][0-9a-f]{2}:|10\.|172\.(1[6-9]|2\d|3[01])\.|192\.168\.)/i.test(address));

/** GET from `localAddress`, with X-Forwarded-For forged; resolves once answered. */
function getFrom(localAddress: string, port: number, path: string, id: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        // To the app from one of this machine's addresses, to that same address.
        host: localAddress,
        localAddress,
        port,
        path,
        headers: { "x-forwarded-for": FORGED, "x-request-id": id },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const APPS = [
  { app: "sync-api", prefix: "SYNC_API", path: "/compute/primes?below=10" },
  { app: "async-api", prefix: "ASYNC_API", path: `${ASYNC_PREFIX}/nope` },
] as const;

describe("the apps behind compose's proxy", () => {
  for (const { app, prefix, path } of APPS) {
    it(`${app} does not believe X-Forwarded-For from an address that is not the proxy's`, async () => {
      const trust = serviceEnv(compose.services[app] as Parameters<typeof serviceEnv>[0])[
        `${prefix}_HTTP__TRUST_PROXY`
      ];
      expect(trust, `${app}'s trust list in infra/docker-compose.yml`).toBeDefined();
      const port = await freePort();
      const started = startApp(app, {
        env: {
          [`${prefix}_HOST`]: "::",
          [`${prefix}_PORT`]: String(port),
          [`${prefix}_HTTP__TRUST_PROXY`]: trust as string,
          [`${prefix}_LOG__LEVEL`]: "info",
        },
      });
      await waitForHttp(`http://127.0.0.1:${port}${app === "sync-api" ? "" : ASYNC_PREFIX}/healthz`, {
        abortIf: started.exitReason,
      });
      const sources = ["127.0.0.1", ...privateAddresses];
      for (const [i, source] of sources.entries()) {
        await getFrom(source, port, path, `${app}-forged-${i}`);
        const line = await waitFor("the access line", async () =>
          logLines(started).find((l) => l.reqId === `${app}-forged-${i}`),
        );
        const ip = (line.req as { ip: string }).ip;
        expect(ip, `from ${source}`).not.toBe(FORGED);
        expect(ip.replace(/^::ffff:/, ""), `from ${source}`).toBe(source);
      }
    });
  }
});
