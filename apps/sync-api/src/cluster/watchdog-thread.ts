/**
 * The watchdog thread of a sync-api worker (see watchdog.ts). It runs beside the worker's event
 * loop, so it can still act, and reach the supervisor on its own pipe, while that loop is stuck.
 */
import { writeSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { workerData } from "node:worker_threads";
import type { ServingRequest, WatchdogReport } from "./messages.ts";
import { STACK_TIMEOUT_MS, type WatchdogThreadData } from "./watchdog.ts";

const { memory, timeoutMs, beatMs, fd } = workerData as WatchdogThreadData;
const MAX_FRAMES = 30;
const decoder = new TextDecoder();

function report(message: WatchdogReport): void {
  try {
    writeSync(fd, `${JSON.stringify(message)}\n`);
  } catch {
    // The supervisor is gone; the worker will follow it when its IPC channel closes.
  }
}

function servingRequest(): ServingRequest | null {
  const length = Atomics.load(memory.control, 1);
  if (length === 0) return null;
  const [id = "", method = "", ...url] = decoder.decode(memory.serving.subarray(0, length)).split(" ");
  return { id, method, url: url.join(" ") };
}

/** The event loop's JavaScript stack, taken by pausing it through the inspector; null if it does not pause in time. */
async function stackOfEventLoop(): Promise<string | null> {
  const session = new Session();
  const scripts = new Map<string, string>();
  session.on("Debugger.scriptParsed", ({ params }) => scripts.set(params.scriptId, params.url));
  let timer: NodeJS.Timeout | undefined;
  try {
    session.connectToMainThread();
    const paused = new Promise<string>((resolve) => {
      session.once("Debugger.paused", ({ params }) => {
        resolve(
          params.callFrames
            .slice(0, MAX_FRAMES)
            .map((frame) => {
              const url = scripts.get(frame.location.scriptId) ?? frame.url;
              const where = `${url}:${frame.location.lineNumber + 1}:${(frame.location.columnNumber ?? 0) + 1}`;
              return `    at ${frame.functionName || "<anonymous>"} (${where})`;
            })
            .join("\n"),
        );
      });
    });
    const gaveUp = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), STACK_TIMEOUT_MS);
    });
    const stack = (async () => {
      await session.post("Debugger.enable");
      await session.post("Debugger.pause");
      return paused;
    })();
    return await Promise.race([stack, gaveUp]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    session.disconnect();
  }
}

let lastCount = Atomics.load(memory.control, 0);
let lastChange = Date.now();
const watch = setInterval(async () => {
  const count = Atomics.load(memory.control, 0);
  const now = Date.now();
  if (count !== lastCount) {
    lastCount = count;
    lastChange = now;
  }
  const blockedMs = now - lastChange;
  if (blockedMs <= timeoutMs) {
    report({ type: "beat", blockedMs });
    return;
  }
  clearInterval(watch);
  const serving = servingRequest();
  const stack = await stackOfEventLoop();
  report({ type: "stuck", blockedMs: Date.now() - lastChange, serving, stack });
}, beatMs);
