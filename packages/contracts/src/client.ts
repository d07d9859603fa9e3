import { DEFAULT_ASYNC_PREFIX } from "@repo/shared-settings";
import type { z } from "zod";
import type { Controller, EndpointContract } from "./contract.ts";
import { requiredSecurity } from "./security.ts";
import { responseMismatch } from "./validation.ts";

export interface ClientOptions {
  /** The public origin (the proxy), e.g. `http://localhost:8080`. Both apps are reached through it. */
  readonly baseUrl: string | URL;
  readonly asyncPrefix?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof globalThis.fetch;
  /**
   * The bearer token sent to every endpoint whose contract requires one (`security`), or a
   * function giving it per call (to refresh it). Public endpoints get none.
   */
  readonly token?: string | (() => string | Promise<string>);
}

/** Can this be left out entirely (every key optional)? */
type Optional<T> = Partial<T> extends T ? true : false;

type InputPart<S, K extends string> = S extends z.ZodType
  ? Optional<z.input<S>> extends true
    ? { readonly [P in K]?: z.input<S> }
    : { readonly [P in K]: z.input<S> }
  : { readonly [P in K]?: never };

/** What a call takes: the parts its contract declares, typed by their schemas' input. */
export type CallInput<E extends EndpointContract> = InputPart<E["params"], "params"> &
  InputPart<E["query"], "query"> &
  InputPart<E["body"], "body"> & {
    readonly headers?: Readonly<Record<string, string>>;
    readonly signal?: AbortSignal;
    /** This call's bearer token, instead of the client's. */
    readonly token?: string;
  };

/** A validated answer: `status` narrows `body` to that status's schema. */
export type ClientResponse<E extends EndpointContract> = {
  [S in keyof E["responses"] & number]: {
    readonly status: S;
    readonly body: E["responses"][S] extends z.ZodType ? z.output<E["responses"][S]> : undefined;
    readonly headers: Headers;
  };
}[keyof E["responses"] & number];

type Call<E extends EndpointContract> =
  Optional<CallInput<E>> extends true
    ? (input?: CallInput<E>) => Promise<ClientResponse<E>>
    : (input: CallInput<E>) => Promise<ClientResponse<E>>;

export type ControllerClient<C extends Controller> = {
  readonly [K in keyof C["endpoints"]]: Call<C["endpoints"][K]>;
};

/** The server answered with a status its contract does not declare, or a body that breaks it. */
export class ContractResponseError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(message: string, status: number, body: unknown) {
    super(message);
    this.name = "ContractResponseError";
    this.status = status;
    this.body = body;
  }
}

interface AnyInput {
  readonly params?: Readonly<Record<string, unknown>>;
  readonly query?: Readonly<Record<string, unknown>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly token?: string;
}

/** `/reports/:id` with `{ id: 7 }` → `/reports/7`. */
function fillPath(path: string, params: AnyInput["params"] = {}): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    if (params[name] === undefined) throw new Error(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(String(params[name]));
  });
}

function queryString(query: AnyInput["query"] = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * A typed client for both apps through one base URL: `client.controller(compute).primes({ query: { below } })`.
 * Answers are checked against the contract; anything else is a ContractResponseError.
 */
export function createClient(options: ClientOptions) {
  const base = String(options.baseUrl).replace(/\/+$/, "");
  const asyncPrefix = options.asyncPrefix ?? DEFAULT_ASYNC_PREFIX;
  const doFetch = options.fetch ?? globalThis.fetch;
  const tokenFor = async () => (typeof options.token === "function" ? await options.token() : options.token);

  async function call(ctrl: Controller, name: string, endpoint: EndpointContract, input: AnyInput = {}) {
    const prefix = ctrl.runtime === "async" ? asyncPrefix : "";
    const url = `${base}${prefix}${fillPath(endpoint.path, input.params)}${queryString(input.query)}`;
    const hasBody = input.body !== undefined;
    const secured = requiredSecurity(ctrl.security, endpoint.security) !== undefined;
    const token = input.token ?? (secured ? await tokenFor() : undefined);
    const response = await doFetch(url, {
      method: endpoint.method,
      headers: {
        accept: "application/json",
        ...(hasBody ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...options.headers,
        ...input.headers,
      },
      ...(hasBody ? { body: JSON.stringify(input.body) } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    });
    const text = await response.text();
    const isJson = /\bjson\b/.test(response.headers.get("content-type") ?? "");
    const body: unknown = text === "" ? undefined : isJson ? JSON.parse(text) : text;
    const where = `${ctrl.name}.${name} (${endpoint.method} ${prefix}${endpoint.path})`;
    const mismatch = responseMismatch(where, endpoint, response.status, body);
    if (mismatch) throw new ContractResponseError(mismatch, response.status, body);
    const schema = endpoint.responses[response.status];
    return { status: response.status, body: schema ? schema.parse(body) : undefined, headers: response.headers };
  }

  return {
    controller<C extends Controller>(ctrl: C): ControllerClient<C> {
      const methods: Record<string, (input?: AnyInput) => Promise<unknown>> = {};
      for (const [name, endpoint] of Object.entries(ctrl.endpoints)) {
        methods[name] = (input) => call(ctrl, name, endpoint, input);
      }
      return methods as ControllerClient<C>;
    },
  };
}
