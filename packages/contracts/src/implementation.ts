import type { Controller, EndpointContract, HandlerRequest, Runtime } from "./contract.ts";

export interface ImplementedEndpoint {
  readonly name: string;
  readonly endpoint: EndpointContract;
  readonly handler: (request: HandlerRequest) => unknown;
}

const APP_OF: Record<Runtime, string> = { sync: "sync-api", async: "async-api" };

/**
 * The start-up check both apps run on every controller they mount, for the mistakes the compiler
 * cannot see (JavaScript, `any`, casts): a controller of the other runtime, an endpoint without a
 * handler, an `async` handler in the sync app or a plain one in the async app. The error names the
 * controller and the handler.
 */
export function implementedEndpoints(
  runtime: Runtime,
  controller: Controller,
  handlers: Readonly<Record<string, unknown>>,
): ImplementedEndpoint[] {
  const app = APP_OF[runtime];
  if (controller.runtime !== runtime) {
    throw new Error(`${app} only serves ${runtime} controllers; ${controller.name} is ${controller.runtime}`);
  }
  return Object.entries(controller.endpoints).map(([name, endpoint]) => {
    const handler = handlers[name];
    const where = `${controller.name}.${name}`;
    if (typeof handler !== "function") throw new Error(`${where} has no handler`);
    const isAsync = handler.constructor.name === "AsyncFunction";
    if (runtime === "sync" && isAsync) {
      throw new Error(`${where} is an async function; ${app} handlers must be synchronous`);
    }
    if (runtime === "async" && !isAsync) {
      throw new Error(`${where} is not an async function; ${app} handlers must be async`);
    }
    return { name, endpoint, handler: handler as ImplementedEndpoint["handler"] };
  });
}
