export { ASYNC_PREFIX } from "./async-prefix.ts";
export { type DevStack, type DevStackOptions, startDevStack } from "./dev-stack.ts";
export {
  answeringHosts,
  buildImages,
  COMPOSE_FILE,
  COMPOSE_JWT_SECRET,
  type CommandResult,
  type ComposeStack,
  type ComposeStackOptions,
  composeImages,
  docker,
  dockerMissing,
  dockerTestsRun,
  type ForwardedPort,
  forwardPublishedPort,
  STACK_FILE,
  stackFile,
  startComposeStack,
} from "./docker.ts";
export { httpGet, type PlainResponse } from "./http.ts";
export { type Kustomization, kustomization, kustomize, kustomizeMissing } from "./kustomize.ts";
export { type Load, type LoadOutcome, startLoad } from "./load.ts";
export {
  NGINX_TEMPLATE,
  type NginxProcess,
  nginxBinary,
  nginxMissing,
  ONE_CLIENT_LOAD_LIMITS,
  renderTemplate,
  startNginx,
  testNginxConfig,
} from "./nginx.ts";
export { nginxInFront } from "./nginx-in-front.ts";
export { validateOpenApi } from "./openapi.ts";
export { freePort } from "./ports.ts";
export {
  createDatabaseOn,
  type PostgresOptions,
  type PostgresServer,
  postgresBin,
  postgresMissing,
  psqlAt,
  startPostgres,
} from "./postgres.ts";
export {
  type AppName,
  type AppProcess,
  type Exit,
  killAllStarted,
  killIfFails,
  killWithFamily,
  leftoversOf,
  logLines,
  RUN_VARIABLE,
  repoRoot,
  STARTER_VARIABLE,
  type StartOptions,
  startApp,
  startProcess,
  stopAll,
  testRun,
} from "./process.ts";
export { descendantsOf, isAlive, killTree, markedProcesses } from "./process-tree.ts";
export {
  type ComposeFile,
  type ComposeService,
  composeFile,
  imageCommand,
  infraYaml,
  PRODUCTION_STACK_JWT_SECRET,
  type ProductionStack,
  proxyEnvironment,
  serviceEnv,
  startProductionStack,
} from "./production-stack.ts";
export {
  metricSum,
  metricValue,
  type PrometheusServer,
  prometheusBinary,
  prometheusMissing,
  startPrometheus,
} from "./prometheus.ts";
export { burst, callersBehindOneAddress, type RateLimitHeaders, rateLimitHeaders } from "./rate-limit.ts";
export { parseAnswer, type RawAnswer, rawExchange, rawHead } from "./raw-exchange.ts";
export {
  type RawRequestSpec,
  type RawResponse,
  rawRequest,
  rawRequestsOnOneConnection,
  requestBytes,
} from "./raw-http.ts";
export {
  unexpectedAnswers,
  type WriteAnswer,
  type WritesThroughRestart,
  writeAnswer,
  writeThroughRestart,
} from "./restart-under-writes.ts";
export { runsHere } from "./skips.ts";
export { readSse, type SseMessage } from "./sse.ts";
export { STAND_INS_DIR, type StandIn, type StandIns, startStandIns } from "./stand-ins.ts";
export { TEST_POSTGRES_VARIABLE, testDatabaseUrl, testsOnPostgres } from "./test-database.ts";
export { type TrickleOptions, trickle } from "./trickle.ts";
export { waitFor, waitForHttp } from "./wait.ts";
