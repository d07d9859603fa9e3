import type { IncomingMessage } from "node:http";
import { isWebSocketHandshake, requestPath } from "@repo/contracts";
import type { RouteOptions } from "fastify";

/**
 * The paths of the app's WebSocket routes, learnt as they are registered, and which requests take
 * Node's 'upgrade' path: a WebSocket handshake on one of them. Any other request with
 * `Connection: Upgrade` (`Upgrade: foo`, `h2c`, a handshake on a plain route) is served as an
 * ordinary request on a connection Node keeps reading; on the 'upgrade' path it was answered on a
 * socket nobody read again, which a proxy's keep-alive pool then handed to the next client.
 */
export class WebSocketRoutes {
  readonly #patterns: RegExp[] = [];

  /** The `onRoute` hook that learns them. */
  readonly learn = (route: RouteOptions & { websocket?: boolean }): void => {
    if (!route.websocket) return;
    const segments = route.url.split("/").map((segment) =>
      // A `:param` matches one segment, as Fastify's router does.
      segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    );
    this.#patterns.push(new RegExp(`^${segments.join("/")}$`));
  };

  /** Node's `shouldUpgradeCallback`: true only for a WebSocket handshake on a WebSocket route. */
  readonly takesUpgrade = (req: IncomingMessage): boolean => {
    if (!isWebSocketHandshake(req)) return false;
    const path = requestPath(req.url ?? "/");
    return this.#patterns.some((pattern) => pattern.test(path));
  };
}
