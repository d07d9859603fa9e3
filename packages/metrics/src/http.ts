import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "@prometheus-io/client";

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

/**
 * One route template's label sets, made once per method and status and then reused: recording a
 * request allocates nothing of its own (prom-client keeps a reference to the object, never changes it).
 */
export class RouteMetrics {
  readonly route: string;
  readonly #durations = new Map<string, Map<number, DurationLabels>>();
  readonly #refusals = new Map<string, RouteLabels>();

  constructor(route: string) {
    this.route = route;
  }

  /** @internal the duration histogram's labels for one answer. */
  durationLabels(method: string, status: number): DurationLabels {
    const m = KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
    let byStatus = this.#durations.get(m);
    if (!byStatus) {
      byStatus = new Map();
      this.#durations.set(m, byStatus);
    }
    let labels = byStatus.get(status);
    if (!labels) {
      labels = { http_request_method: m, http_route: this.route, http_response_status_code: status };
      byStatus.set(status, labels);
    }
    return labels;
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
  /** The label sets of a route template (`/notes/:id`); ask once, when the route is mounted. */
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
  const duration = new Histogram({
    name: "http_server_request_duration_seconds",
    help: "Duration of HTTP server requests, from the request's arrival until its response finished.",
    labelNames: ["http_request_method", "http_route", "http_response_status_code"],
    buckets: [...HTTP_DURATION_BUCKETS],
    registers: [registry],
  });
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
      metrics = new RouteMetrics(template);
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
      duration.observe(route.durationLabels(method, status), seconds);
    },
    rateLimited: (route, method) => rateLimitRefusals.inc(route.refusalLabels(method)),
    authRefused: (route, method) => authRefusals.inc(route.refusalLabels(method)),
  };
}
