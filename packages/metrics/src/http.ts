import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValueWithName,
  Registry,
} from "@prometheus-io/client";

/**
 * OpenTelemetry's advice for `http.server.request.duration` (HTTP semantic conventions), in seconds:
 * fine below 100 ms, where most answers are, up to 10 s.
 */
export const HTTP_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/**
 * The `http_route` of a request no route matched (a 404): one value for all of them, so a scanner's
 * paths cannot make a series each. A route template always starts with `/`, so none is this.
 */
export const UNMATCHED_ROUTE = "unmatched";

/** OpenTelemetry's known methods; any other is `_OTHER`, so the method label stays bounded too. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]);
const OTHER_METHOD = "_OTHER";

type DurationLabels = {
  readonly http_request_method: string;
  readonly http_route: string;
  readonly http_response_status_code: number;
};
type RouteLabels = { readonly http_request_method: string; readonly http_route: string };

const DURATION_NAME = "http_server_request_duration_seconds";
const DURATION_HELP = "Duration of HTTP server requests, from the request's arrival until its response finished.";

/**
 * One label set's share of the duration histogram: its buckets (not yet cumulative), sum and
 * count, held by reference, so that observing a request is a bucket search and three increments.
 * The library's own `observe` builds a key from the labels on every call: measured, the largest
 * cost of recording a request (about 4 µs of async-api's health probe).
 */
class DurationSeries {
  readonly labels: DurationLabels;
  /** Observations per bucket (the last one past every bound, +Inf), not cumulative. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(labels: DurationLabels) {
    this.labels = labels;
    this.counts = new Float64Array(HTTP_DURATION_BUCKETS.length + 1);
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < HTTP_DURATION_BUCKETS.length && seconds > (HTTP_DURATION_BUCKETS[i] as number)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += seconds;
    this.count += 1;
  }
}

/**
 * `http_server_request_duration_seconds`: the library's Histogram as the registry reads it
 * (`get()`, the same values in the same shape, so expositions and worker aggregation are
 * unchanged), its series kept as DurationSeries.
 */
class DurationHistogram extends Histogram<keyof DurationLabels> {
  readonly #series: DurationSeries[] = [];

  constructor(registry: Registry) {
    super({
      name: DURATION_NAME,
      help: DURATION_HELP,
      labelNames: ["http_request_method", "http_route", "http_response_status_code"],
      buckets: [...HTTP_DURATION_BUCKETS],
      registers: [registry],
    });
  }

  series(labels: DurationLabels): DurationSeries {
    const series = new DurationSeries(labels);
    this.#series.push(series);
    return series;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<keyof DurationLabels>>> {
    const name = DURATION_NAME;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, counts, sum, count } of this.#series) {
      let cumulative = 0;
      HTTP_DURATION_BUCKETS.forEach((le, i) => {
        cumulative += counts[i] ?? 0;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${name}_bucket` });
      });
      values.push({ labels: { le: "+Inf", ...labels }, value: count, metricName: `${name}_bucket` });
      values.push({ labels: { ...labels }, value: sum, metricName: `${name}_sum` });
      values.push({ labels: { ...labels }, value: count, metricName: `${name}_count` });
    }
    const metric = { name, help: DURATION_HELP, type: "histogram", values, aggregator: "sum" };
    return metric as unknown as MetricObjectWithValues<MetricValueWithName<keyof DurationLabels>>;
  }

  /** What the registry's text exposition reads (the library's own histograms split their labels here). */
  getForPromString(): ReturnType<DurationHistogram["get"]> {
    return this.get();
  }

  override reset(): void {
    // The library's constructor resets before this class's fields exist.
    if (!(#series in this)) {
      super.reset();
      return;
    }
    for (const series of this.#series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}

/**
 * One route template's label sets, made once per method and status and then reused: recording a
 * request allocates nothing of its own.
 */
export class RouteMetrics {
  readonly route: string;
  readonly #histogram: DurationHistogram;
  readonly #durations = new Map<string, Map<number, DurationSeries>>();
  readonly #refusals = new Map<string, RouteLabels>();

  constructor(route: string, histogram: DurationHistogram) {
    this.route = route;
    this.#histogram = histogram;
  }

  /** @internal the duration histogram's series for one answer. */
  durationSeries(method: string, status: number): DurationSeries {
    const m = KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
    let byStatus = this.#durations.get(m);
    if (!byStatus) {
      byStatus = new Map();
      this.#durations.set(m, byStatus);
    }
    let series = byStatus.get(status);
    if (!series) {
      series = this.#histogram.series({
        http_request_method: m,
        http_route: this.route,
        http_response_status_code: status,
      });
      byStatus.set(status, series);
    }
    return series;
  }

  /** @internal the refusal counters' labels. */
  refusalLabels(method: string): RouteLabels {
    const m = KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
    let labels = this.#refusals.get(m);
    if (!labels) {
      labels = { http_request_method: m, http_route: this.route };
      this.#refusals.set(m, labels);
    }
    return labels;
  }
}

/** The HTTP server metrics of one process (or thread), in a registry of their own. */
export interface HttpMetrics {
  readonly registry: Registry;
  /** The label sets of a route template (`/things/:id`); ask once, when the route is mounted. */
  route(template: string): RouteMetrics;
  /** The label sets of requests no route matched (`http_route="unmatched"`). */
  readonly unmatched: RouteMetrics;
  /** A request arrived: `http_server_active_requests` goes up until `requestFinished`. */
  requestStarted(): void;
  /** Its response finished (or the client left): the one place a request's duration is observed. */
  requestFinished(route: RouteMetrics, method: string, status: number, seconds: number): void;
  /** A route's rate limit refused the request (a 429). */
  rateLimited(route: RouteMetrics, method: string): void;
  /** A route's security refused the request's token (a 401 or 403). */
  authRefused(route: RouteMetrics, method: string): void;
}

export interface HttpMetricsOptions {
  /**
   * prom-client's default metrics (event-loop delay as `nodejs_eventloop_lag_*`, heap, GC, CPU,
   * file descriptors): read when scraped, cheap otherwise. On unless a test turns them off.
   */
  readonly defaultMetrics?: boolean;
  /**
   * How many requests are in flight, read when scraped: for a process that counts them anyway
   * (async-api's drain), so that a request pays for no gauge of its own. Without it,
   * `requestStarted` and `requestFinished` keep the gauge.
   */
  readonly activeRequests?: () => number;
}

/**
 * The HTTP server metrics, named after OpenTelemetry's HTTP semantic conventions as Prometheus
 * spells them: `http_server_request_duration_seconds` (method, route template, status code),
 * `http_server_active_requests`, and the refusals by route (rate limits, tokens).
 */
export function createHttpMetrics({ defaultMetrics = true, activeRequests }: HttpMetricsOptions = {}): HttpMetrics {
  const registry = new Registry();
  if (defaultMetrics) {
    // Event-loop utilisation sampled once a second rather than ten times: plenty for a 15 s scrape.
    collectDefaultMetrics({ register: registry, eventLoopUtilizationTimeout: 1_000 });
  }
  const duration = new DurationHistogram(registry);
  const active = new Gauge({
    name: "http_server_active_requests",
    help: "Number of HTTP server requests in flight.",
    registers: [registry],
    ...(activeRequests
      ? {
          collect() {
            this.set(activeRequests());
          },
        }
      : {}),
  });
  const counted = activeRequests === undefined;
  const rateLimitRefusals = new Counter({
    name: "http_server_rate_limit_refusals_total",
    help: "Requests a route's rate limit refused (429), by route.",
    labelNames: ["http_request_method", "http_route"],
    registers: [registry],
  });
  const authRefusals = new Counter({
    name: "http_server_auth_refusals_total",
    help: "Requests whose bearer token a route refused (401, 403), by route.",
    labelNames: ["http_request_method", "http_route"],
    registers: [registry],
  });
  const routes = new Map<string, RouteMetrics>();
  const route = (template: string) => {
    let metrics = routes.get(template);
    if (!metrics) {
      metrics = new RouteMetrics(template, duration);
      routes.set(template, metrics);
    }
    return metrics;
  };
  return {
    registry,
    route,
    unmatched: route(UNMATCHED_ROUTE),
    requestStarted: () => {
      if (counted) active.inc();
    },
    requestFinished(route, method, status, seconds) {
      if (counted) active.dec();
      route.durationSeries(method, status).observe(seconds);
    },
    rateLimited: (route, method) => rateLimitRefusals.inc(route.refusalLabels(method)),
    authRefused: (route, method) => authRefusals.inc(route.refusalLabels(method)),
  };
}
