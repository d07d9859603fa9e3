export { api } from "./api.ts";
export {
  type Authenticate,
  type AuthSettings,
  bearerAuthenticator,
  bearerToken,
  JWT_ALGORITHM,
  signToken,
  type TokenClaims,
} from "./auth.ts";
export {
  type CallInput,
  type ClientOptions,
  type ClientResponse,
  ContractResponseError,
  type ControllerClient,
  createClient,
} from "./client.ts";
export {
  answerClientError,
  hostHeaderCount,
  isWebSocketHandshake,
  refuseConnect,
  refuseExpectation,
  refuseOnSocket,
} from "./client-error.ts";
export { compute, PRIMES_BELOW_CEILING, PrimeCount, primesBelowTooBig } from "./compute.ts";
export {
  type AccessLogLevel,
  type AsyncHandlers,
  type Controller,
  controller,
  type EndpointContract,
  type HandlerRequest,
  type HttpMethod,
  openApiPath,
  type ResponseOf,
  type Responses,
  type Runtime,
  type SyncHandlerRequest,
  type SyncHandlers,
} from "./contract.ts";
export { asyncHealth, HealthStatus, ReadyStatus, syncHealth } from "./health.ts";
export {
  ANSWERED_METHODS,
  allowHeader,
  clientGone,
  type HandlerInput,
  handlerRequest,
  type ImplementedEndpoint,
  implementedEndpoints,
  internalPaths,
  methodsByPath,
} from "./implementation.ts";
export { publishTrimmedLength, type SchemaOverrideContext } from "./json-schema.ts";
export { NewNote, NOTES_WRITE_SCOPE, Note, NoteChanges, NoteEvent, notes } from "./notes.ts"; // #example
export { type OpenApiDocument, openApiDocument } from "./openapi.ts";
export { decodeCursor, encodeCursor, PageQuery, page } from "./pagination.ts";
export {
  BODY_PROBLEM_DETAIL,
  FieldError,
  HttpProblem,
  MAX_LISTED_ERRORS,
  PROBLEM_CONTENT_TYPE,
  ProblemDetails,
  problem,
  problemForRequest,
  VALIDATION_PROBLEM_TYPE,
  validationProblem,
} from "./problem.ts";
export {
  type RateLimit,
  rateLimited,
  rateLimitOf,
  rateLimitProblem,
  routeKey,
  subjectKey,
} from "./rate-limit.ts";
export { rateLimitRoutesCheck } from "./rate-limit-routes-check.ts";
export { REQUEST_ID_HEADER, requestIdFrom, saneRequestId } from "./request-id.ts";
export {
  isCanonicalPath,
  isParseableTarget,
  NON_CANONICAL_PATH,
  NON_CANONICAL_PATH_DETAIL,
  NON_CANONICAL_PATH_PROBLEM_TYPE,
  originForm,
  requestPath,
  UNPARSEABLE_TARGET_DETAIL,
} from "./request-path.ts";
export { type AssertServes, type ControllerNames, type ServesExactly, servesExactly } from "./route-table.ts";
export {
  bearer,
  bearerJwt,
  type Principal,
  PUBLIC,
  requiredSecurity,
  type Security,
  type SecurityRequirement,
  scopesAskedBy,
} from "./security.ts";
export { StatusReport, status, UpstreamProblem, UpstreamStatus } from "./status.ts";
export { noteEventsStream, SocketClientMessage, SocketServerMessage, socketChannel } from "./streams.ts"; // #example
export { TEST_SCOPE, testingEndpoints } from "./testing-endpoints.ts";
export {
  answerForError,
  ContractViolation,
  checkResponse,
  type ErrorAnswer,
  type HandlerResult,
  isJsonContentType,
  isWellFormedJson,
  NON_CANONICAL_NUMBER,
  parseRequest,
  type RequestParts,
  responseMismatch,
  UNKNOWN_QUERY_PARAMETER,
  unknownQueryProblem,
  type ValidatedRequest,
  validateRequest,
} from "./validation.ts";
