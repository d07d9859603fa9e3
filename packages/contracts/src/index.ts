export {
  type CallOptions,
  type ClientOptions,
  type ClientResponse,
  ContractResponseError,
  createClient,
} from "./client.ts";
export {
  type AsyncHandlers,
  type Controller,
  controller,
  type EndpointContract,
  type HandlerRequest,
  type HttpMethod,
  type ResponseOf,
  type Runtime,
  type SyncHandlers,
} from "./contract.ts";
export { asyncHealth, HealthStatus, syncHealth } from "./health.ts";
export { type ImplementedEndpoint, implementedEndpoints } from "./implementation.ts";
export { PROBLEM_CONTENT_TYPE, ProblemDetails, problem } from "./problem.ts";
export { REQUEST_ID_HEADER, requestIdFrom, saneRequestId } from "./request-id.ts";
