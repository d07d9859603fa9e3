/**
 * Traffic for the fault suite: client loops sending a mix of requests (bodies included) through
 * the proxy, each on a fresh connection, every outcome kept with when it was sent and answered,
 * and one line per case saying how many requests were sent and how many failed.
 */
import { ProblemDetails } from "@repo/contracts";
import { ASYNC_PREFIX, type DevStack, type RawRequestSpec, type RawResponse, rawRequest } from "@repo/testing";
import { expect } from "vitest";
import { noteRead, noteWrite } from "./notes.ts"; // #example

/** What became of one request: its answer, or why there was none. */
export type Outcome = { request: RawRequestSpec; startedAt: number; endedAt: number } & (
  | { answer: RawResponse; error?: undefined }
  | { answer?: undefined; error: string }
);

/** A 2xx: what a healthy API answers this traffic. */
export const answered = (outcome: Outcome) => outcome.answer !== undefined && outcome.answer.status < 300;

/** Sends one request and records what became of it, whatever that was. */
export async function attempt(origin: string, request: RawRequestSpec, timeoutMs = 15_000): Promise<Outcome> {
  const startedAt = Date.now();
  try {
    const answer = await rawRequest(origin, request, { timeoutMs });
    return answer
      ? { request, startedAt, endedAt: Date.now(), answer }
      : { request, startedAt, endedAt: Date.now(), error: "closed without an answer" };
  } catch (error) {
    return { request, startedAt, endedAt: Date.now(), error: String(error) };
  }
}

/**
 * `clients` loops sending `next(i)` (i counts every loop's requests) on fresh connections, none
 * tied to a worker by keep-alive, until `stop()` or `maxMs`. `ok` says which outcomes count as
 * served; `failed()` is the others.
 */
export class Traffic {
  readonly outcomes: Outcome[] = [];
  #running = true;
  readonly #loops: Promise<void>[];
  readonly #ok: (outcome: Outcome) => boolean;

  constructor(
    origin: string,
    next: (i: number) => RawRequestSpec,
    {
      clients = 4,
      maxMs = 60_000,
      ok = answered,
    }: { clients?: number; maxMs?: number; ok?: (o: Outcome) => boolean } = {},
  ) {
    this.#ok = ok;
    const until = Date.now() + maxMs;
    let sent = 0;
    this.#loops = Array.from({ length: clients }, async () => {
      while (this.#running && Date.now() < until) this.outcomes.push(await attempt(origin, next(sent++)));
    });
  }

  failed(): Outcome[] {
    return this.outcomes.filter((outcome) => !this.#ok(outcome));
  }

  /** Resolves once `more` requests than now have an outcome. */
  async grow(more: number, timeoutMs = 30_000): Promise<void> {
    const target = this.outcomes.length + more;
    const deadline = Date.now() + timeoutMs;
    while (this.outcomes.length < target) {
      if (Date.now() > deadline) throw new Error(`fewer than ${more} requests in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Ends every loop after its request in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
  }
}

/** One line per fault case, printed as the case ends and again, all together, at the end of the file. */
export const report: string[] = [];
export function tally(name: string, outcomes: readonly Outcome[], failed: readonly Outcome[]): void {
  const line = `fault: ${name}: ${outcomes.length} requests sent, ${failed.length} failed`;
  report.push(line);
  console.log([line, ...failed.slice(0, 5).map((outcome) => `  failed: ${describe(outcome)}`)].join("\n"));
}

/** A failure as a line: the request, then the status and the start of the body, or the error. */
export function describe(outcome: Outcome): string {
  const what = outcome.answer ? `${outcome.answer.status} ${outcome.answer.text.slice(0, 160)}` : outcome.error;
  return `${outcome.request.method} ${outcome.request.target} after ${outcome.endedAt - outcome.startedAt} ms: ${what}`;
}

/**
 * What a client of both apps sends, in turn: health checks of each, the CPU-bound endpoint (a
 * little work on a sync worker), and the examples' reads and writes.
 */
const MIXED: readonly ((i: number, token: string) => RawRequestSpec)[] = [
  () => ({ method: "GET", target: "/healthz" }),
  () => ({ method: "GET", target: `${ASYNC_PREFIX}/healthz` }),
  () => ({ method: "GET", target: "/compute/primes?below=1000" }),
  () => noteRead(), // #example
  (i, token) => noteWrite(i, token), // #example
];

/** That traffic, request `i` of it, its writes sent with `token` (one the stack's apps accept). */
export const mixedWith =
  (token: string) =>
  (i: number): RawRequestSpec =>
    (MIXED[i % MIXED.length] as (i: number, token: string) => RawRequestSpec)(i, token);

/** A problem answer: problem+json with the documented shape and this status. */
export function expectProblem(outcome: Outcome, status: number) {
  expect(outcome.answer?.status, describe(outcome)).toBe(status);
  expect(outcome.answer?.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(ProblemDetails.parse(JSON.parse(outcome.answer?.text ?? "")).status).toBe(status);
}

/** Output lines of the stack that say a process crashed (a 503 from a fault is expected, a crash is not). */
export function crashLines(stack: DevStack): string[] {
  return Object.values(stack.processes)
    .flatMap((app) => app.output().split("\n"))
    .filter((line) => /worker died|unhandled error|uncaught|failed to boot/i.test(line));
}
