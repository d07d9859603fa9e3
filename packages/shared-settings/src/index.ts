export { ACCESS_TOKEN_KEY, withoutAccessToken } from "./access-token.ts";
export { TEST_ROUTE_TABLE, testRoutesOnlyUnderTest } from "./checks.ts";
export { type DeploymentWideKey, deploymentWide, deploymentWideKeys } from "./deployment-wide.ts";
export { envVarName, envVars, FILE_SUFFIX, NESTED_SEPARATOR, variableLayers } from "./env-vars.ts";
export { byEnvironment, ENVIRONMENTS, type Environment, environmentOf } from "./environment.ts";
export { dotenvFiles, jsonFile } from "./files.ts";
export { type Layer, type LayerSource, type LoadContext, layer, type Problem, type SettingsValues } from "./layer.ts";
export { describePostgresUrl, isPostgresUrl, postgresUrlSecrets } from "./postgres-url.ts";
export { formatProblems, SettingsError } from "./problems.ts";
export { formatSettingsReport, type ResolvedSettings, type SettingRow, settingRows } from "./report.ts";
export { REDACTED, redact, secret, secretKeys, secretValues } from "./secrets.ts";
export {
  ASYNC_PREFIX_VARIABLE,
  createLogger,
  DEFAULT_ASYNC_PREFIX,
  developmentAuth,
  exitWhenLogged,
  LOG_LEVELS,
  listenFailure,
  loggerOptions,
  logSerializers,
  type MetricsSettings,
  metricsSchema,
  RATE_LIMIT_ROUTE_KEY,
  type RateLimitSettings,
  type RateLimitValue,
  rateLimitSchema,
  rateLimitValue,
  resolveAsyncPrefix,
  type SharedComponent,
  serverTimeouts,
  sharedLayers,
  sharedSchema,
  targetOf,
} from "./shared/index.ts";
export {
  defineSettings,
  type Env,
  loadOrExit,
  type Resolution,
  type Settings,
  type SettingsCheck,
  type SettingsStack,
  type SettingsStackDefinition,
} from "./stack.ts";
