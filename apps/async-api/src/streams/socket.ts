import websocket from "@fastify/websocket";
import {
  type Authenticate,
  problem,
  SocketClientMessage,
  type SocketServerMessage,
  socketChannel,
  validationProblem,
} from "@repo/contracts";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { streamSecurity } from "../http/auth.ts";
import { closedStreamQuery } from "../http/stream-query.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { AsyncApiSettings } from "../settings/index.ts";
import type { StreamBudget } from "./budget.ts";
import type { EventFrame } from "./frames.ts";
import type { NoteEventsRelay } from "./relay.ts";
import { atTokenExpiry } from "./token-expiry.ts";

const { closeCodes } = socketChannel;

function send(socket: WebSocket, message: SocketServerMessage): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/**
 * `GET <prefix>/ws`: a WebSocket channel. Every message is checked against its zod contract:
 * malformed JSON or an invalid message gets an `error` frame naming the fields (the connection
 * stays); a binary frame closes with 1003, an oversized one with 1009. Pings keep it alive and
 * find dead peers; a drain closes every socket with 1012 (reconnect), the token's expiry with 4401.
 */
export async function registerSocket(
  app: FastifyInstance,
  {
    relay,
    budget,
    lifecycle,
    settings,
    authenticate,
  }: {
    relay: NoteEventsRelay;
    budget: StreamBudget;
    lifecycle: Lifecycle;
    settings: AsyncApiSettings["websocket"];
    authenticate: Authenticate;
  },
): Promise<void> {
  await app.register(websocket, { options: { maxPayload: settings.maxMessageBytes } });
  // The token is checked before the upgrade: a refused client gets a 401/403 problem, never a socket.
  const secured = streamSecurity(app, socketChannel.security, authenticate);
  const query = closedStreamQuery([], socketChannel.security);
  app.get(socketChannel.path, { websocket: true, ...secured, ...query }, (socket, request) => {
    let alive = true;
    socket.on("pong", () => {
      alive = true;
    });
    const ping = setInterval(() => {
      if (!alive) {
        socket.close(closeCodes.goingAway, "no pong");
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, settings.pingIntervalMs);

    let unsubscribe: (() => void) | undefined;
    const forget = lifecycle.track(() => socket.close(closeCodes.serviceRestart, "server restarting; reconnect"));
    const expiry = atTokenExpiry(request.principal, () => socket.close(closeCodes.tokenExpired, "token expired"));
    socket.on("close", () => {
      expiry();
      clearInterval(ping);
      unsubscribe?.();
      forget();
      budget.release(holder);
    });
    // What the socket holds unsent shrinks as the client reads: the process's count follows.
    /** Closes a client that lets too much wait unsent, or that the process's bound needs the room of. */
    const holder = {
      drop() {
        if (socket.readyState !== socket.OPEN) return;
        request.log.warn(
          { queued: socket.bufferedAmount, processBytes: budget.total },
          "slow WebSocket client closed: too much unsent",
        );
        socket.close(closeCodes.tooSlow, "too slow: reconnect");
        // Its unsent messages go now, not when a client that does not read takes the close frame.
        socket.terminate();
      },
    };
    request.socket.on("drain", () => {
      if (socket.readyState === socket.OPEN) budget.hold(holder, socket.bufferedAmount, true);
    });

    /**
     * A note event, its message shared with every subscriber. A client that lets more than
     * `maxQueuedBytes` wait unsent (or whose message would take the process's streams past their
     * bound, with nothing stalled longer to drop) is closed with 1008: a socket has no resume, so
     * it reconnects and reloads.
     */
    const relayed = (frame: EventFrame) => {
      if (socket.readyState !== socket.OPEN) return;
      const queued = socket.bufferedAmount + frame.ws.length;
      if (queued > settings.maxQueuedBytes || !budget.hold(holder, queued)) {
        holder.drop();
        return;
      }
      socket.send(frame.ws, { binary: false });
    };

    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        socket.close(closeCodes.unsupportedData, "text frames of JSON only");
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(String(data));
      } catch {
        send(socket, { type: "error", problem: problem({ status: 400, detail: "The message is not valid JSON" }) });
        return;
      }
      const parsed = SocketClientMessage.safeParse(json);
      if (!parsed.success) {
        const errors = parsed.error.issues.map((i) => ({
          location: ["message", ...i.path.map(String)].join("."),
          message: i.message,
          code: i.code,
        }));
        send(socket, { type: "error", problem: validationProblem(errors), errors });
        return;
      }
      const message = parsed.data;
      if (message.type === "echo") {
        send(socket, { type: "echo", text: message.text, at: new Date().toISOString() });
      } else if (!unsubscribe) {
        unsubscribe = relay.subscribe(relayed);
        send(socket, { type: "subscribed", topic: "notes" });
      }
    });
    request.log.debug("websocket open");
  });
}
