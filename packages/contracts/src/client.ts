import { DEFAULT_ASYNC_PREFIX } from "@repo/shared-settings";
import type { z } from "zod";
import type { Controller, EndpointContract } from "./contract.ts";

export interface ClientOptions {
  /** The public origin (the proxy), e.g. `http://localhost:8080`. Both apps are reached through it. */
  readonly baseUrl: string | URL;
  readonly asyncPrefix?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof globalThis.fetch;
}

export interface CallOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** A validated answer: `status` narrows `body` to that status's schema. */
export type ClientResponse<E extends EndpointContract> = {
  [S in keyof E["responses"] & number]: {
    readonly status: S;
    readonly body: z.output<E["responses"][S]>;
    readonly headers: Headers;
  };
}[keyof E["responses"] & number];

export type ControllerClient<C extends Controller> = {
  readonly [K in keyof C["endpoints"]]: (options?: CallOptions) => Promise<ClientResponse<C["endpoints"][K]>>;
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

/** A typed client for both apps through one base URL: `client.controller(syncHealth).health()`. */
export function createClient(options: ClientOptions) {
  const base = String(options.baseUrl).replace(/\/+$/, "");
  const asyncPrefix = options.asyncPrefix ?? DEFAULT_ASYNC_PREFIX;
  const doFetch = options.fetch ?? globalThis.fetch;

  async function call(ctrl: Controller, name: string, endpoint: EndpointContract, init: CallOptions = {}) {
    const prefix = ctrl.runtime === "async" ? asyncPrefix : "";
    const response = await doFetch(`${base}${prefix}${endpoint.path}`, {
      method: endpoint.method,
      headers: { accept: "application/json", ...options.headers, ...init.headers },
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const text = await response.text();
    const isJson = /\bjson\b/.test(response.headers.get("content-type") ?? "");
    const body: unknown = isJson && text !== "" ? JSON.parse(text) : text;
    const where = `${ctrl.name}.${name} (${endpoint.method} ${prefix}${endpoint.path})`;
    const schema = endpoint.responses[response.status];
    if (!schema) {
      throw new ContractResponseError(
        `${where} answered ${response.status}, which its contract does not declare`,
        response.status,
        body,
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ContractResponseError(
        `${where} answered ${response.status} with a body that breaks its contract: ${parsed.error.message}`,
        response.status,
        body,
      );
    }
    return { status: response.status, body: parsed.data, headers: response.headers };
  }

  return {
    controller<C extends Controller>(ctrl: C): ControllerClient<C> {
      const methods: Record<string, (init?: CallOptions) => Promise<unknown>> = {};
      for (const [name, endpoint] of Object.entries(ctrl.endpoints)) {
        methods[name] = (init) => call(ctrl, name, endpoint, init);
      }
      return methods as ControllerClient<C>;
    },
  };
}
