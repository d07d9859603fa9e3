import { z } from "zod";
import { controller } from "./contract.ts";

export const PrimeCount = z
  .object({
    below: z.int(),
    count: z.int().meta({ description: "How many primes are below `below`" }),
    largest: z.int().nullable(),
    elapsedMs: z.number().meta({ description: "CPU time the worker spent on it" }),
  })
  .meta({ id: "PrimeCount" });

/**
 * CPU-bound work, the reason sync-api runs a pool of processes: while one worker computes,
 * the others keep answering, and async-api's event loop is not involved at all.
 */
export const compute = controller("compute", "sync", {
  primes: {
    method: "GET",
    path: "/compute/primes",
    summary: "Count the primes below a bound (a sieve: cost grows with `below`, capped by the contract)",
    query: z.object({
      below: z.coerce
        .number()
        .int()
        .min(2)
        .max(20_000_000)
        .meta({ description: "Upper bound, 2 to 20,000,000 (about 100 ms of CPU at the top)" }),
    }),
    responses: { 200: PrimeCount },
  },
});
