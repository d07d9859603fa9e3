import { z } from "zod";
import { controller } from "./contract.ts";
import { HttpProblem, ProblemDetails, validationProblem } from "./problem.ts";

export const PrimeCount = z
  .object({
    below: z.int(),
    count: z.int().meta({ description: "How many primes are below `below`" }),
    largest: z.int().nullable(),
    elapsedMs: z.number().meta({ description: "CPU time the worker spent on it" }),
  })
  .meta({ id: "PrimeCount" });

/** The contract's own bound on `below` (about 180 ms of CPU): a deployment's `compute.maxBelow` may lower it, never raise it. */
export const PRIMES_BELOW_CEILING = 20_000_000;

/**
 * CPU-bound work, the reason sync-api runs a pool of processes: while one worker computes,
 * the others keep answering, and async-api's event loop is not involved at all. Public and
 * costly, so bounded twice: in its input (`compute.maxBelow`) and in how often one client may
 * ask (its route limit), or one client's requests would keep every worker busy.
 */
export const compute = controller("compute", "sync", {
  primes: {
    method: "GET",
    path: "/compute/primes",
    summary: "Count the primes below a bound (a sieve: cost grows with `below`, capped by the server)",
    query: z.object({
      below: z.coerce.number().int().min(2).max(PRIMES_BELOW_CEILING).meta({
        description:
          "Upper bound, from 2 to the server's cap (`compute.maxBelow`, 2,000,000 by default: about 15 ms of CPU); never above 20,000,000",
      }),
    }),
    // 60 a minute: one client's worst case is about a second of one worker's CPU each minute.
    rateLimit: { limit: 60, windowMs: 60_000 },
    // 400 declared: a `below` this contract takes may still be over the server's cap.
    responses: { 200: PrimeCount, 400: ProblemDetails },
  },
});

/**
 * The 400 for a `below` over the server's cap, in the shape of the contract's own validation
 * problem (the field, its code), so a client handles it as it handles `below=20000001`.
 */
export function primesBelowTooBig(maxBelow: number): HttpProblem {
  const body = validationProblem([
    {
      location: "query.below",
      message: `Too big: expected number to be <=${maxBelow} (this server's compute.maxBelow)`,
      code: "too_big",
    },
  ]);
  return new HttpProblem(400, body.detail, body);
}
