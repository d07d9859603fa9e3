import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

/** The shared memory between a worker's event loop and its watchdog thread. */
export interface WatchdogMemory {
  /** [0]: a counter the event loop bumps every beat; [1]: the byte length of the request in `serving`, 0 for none. */
  readonly control: Int32Array<SharedArrayBuffer>;
  /** The request a handler is running, as `id method url` in UTF-8. */
  readonly serving: Uint8Array<SharedArrayBuffer>;
}

export interface WatchdogOptions {
  readonly timeoutMs: number;
  /** Where the thread writes its reports. */
  readonly fd: number;
}

/** What the thread is started with. */
export interface WatchdogThreadData extends WatchdogOptions {
  /** How often the event loop beats and the watchdog looks. */
  readonly beatMs: number;
  readonly memory: WatchdogMemory;
}

const SERVING_BYTES = 2_048;

/**
 * How long taking the stack may take: code stuck in a native call never pauses for it. The
 * inspector first reports every script the worker loaded, which took over a second on a busy
 * machine (two test runs side by side on 2 cores): the stack came back empty.
 */
export const STACK_TIMEOUT_MS = 3_000;

/**
 * How long a watchdog may stay silent before the supervisor takes its whole process for frozen:
 * it reports every beat, and may spend up to STACK_TIMEOUT_MS taking a stack past the timeout.
 */
export function watchdogSilenceLimit(workerTimeoutMs: number): number {
  return workerTimeoutMs + 2 * beatInterval(workerTimeoutMs) + STACK_TIMEOUT_MS;
}

/** How often the event loop beats and the watchdog looks: a quarter of the timeout, within 50 ms to 1 s. */
export function beatInterval(workerTimeoutMs: number): number {
  return Math.max(50, Math.min(1_000, Math.round(workerTimeoutMs / 4)));
}

/** The thread's module, next to this one: .ts when running from source, .js from the build. */
const THREAD_FILE = new URL(`./watchdog-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * gunicorn's worker timeout, with the stack of the stuck code. A thread of the worker's own
 * watches its event loop through shared memory: the loop bumps a counter every beat and, as each
 * handler starts, writes the request it runs. When the counter stops for longer than the timeout,
 * the thread pauses the loop through the inspector, takes its JavaScript stack, and reports it
 * with the request to the supervisor, which kills the worker. Per request this costs a few bytes
 * written to memory: no message, no system call.
 */
export class Watchdog {
  readonly #memory: WatchdogMemory = {
    control: new Int32Array(new SharedArrayBuffer(8)),
    serving: new Uint8Array(new SharedArrayBuffer(SERVING_BYTES)),
  };
  readonly #encoder = new TextEncoder();

  constructor(options: WatchdogOptions) {
    const { control } = this.#memory;
    const beatMs = beatInterval(options.timeoutMs);
    setInterval(() => Atomics.add(control, 0, 1), beatMs).unref();
    const workerData: WatchdogThreadData = { ...options, beatMs, memory: this.#memory };
    new Worker(THREAD_FILE, { workerData }).unref();
  }

  /** A handler starts running for this request. */
  serving(id: string, method: string, url: string): void {
    const { written } = this.#encoder.encodeInto(`${id} ${method} ${url}`, this.#memory.serving);
    Atomics.store(this.#memory.control, 1, written);
  }

  /** The handler returned. */
  idle(): void {
    Atomics.store(this.#memory.control, 1, 0);
  }
}
