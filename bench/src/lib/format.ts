/** How numbers read in the console and the report. */

const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const fmt = {
  /** 12,345 */
  count: (n: number) => grouped.format(n),
  /** 0.42 ms, 100.4 ms, 1,234 ms */
  ms: (n: number) => `${n < 1000 ? n.toFixed(n < 10 ? 2 : 1) : grouped.format(n)} ms`,
  /** 42.1 µs, 1,234 µs */
  us: (n: number) => `${Math.abs(n) < 100 ? n.toFixed(1) : grouped.format(n)} µs`,
  /** +12.3 µs */
  deltaUs: (n: number) =>
    `${n >= 0 ? "+" : "−"}${Math.abs(n) < 100 ? Math.abs(n).toFixed(1) : grouped.format(Math.abs(n))} µs`,
  /** +0.13 ms */
  deltaMs: (n: number) => `${n >= 0 ? "+" : "−"}${Math.abs(n).toFixed(2)} ms`,
  /** 0.45× */
  ratio: (n: number) => `${n.toFixed(2)}×`,
  /** 61.2 MiB, from bytes */
  mib: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`,
  /** 12,345 req/s */
  rps: (n: number) => `${grouped.format(n)} req/s`,
};
