export { type EnvVarsOptions, envVarName, envVars, NESTED_SEPARATOR } from "./env-vars.ts";
export { byEnvironment, ENVIRONMENTS, type Environment, environmentOf } from "./environment.ts";
export { type Layer, type LayerSource, type LoadContext, layer, type Problem, type SettingsValues } from "./layer.ts";
export { formatProblems, SettingsError } from "./problems.ts";
export {
  DEFAULT_ASYNC_PREFIX,
  LOG_LEVELS,
  loggerOptions,
  loggingLayer,
  routingLayer,
  serverLayer,
  sharedEnvironmentLayer,
  sharedLayers,
  sharedSchema,
} from "./shared/index.ts";
export {
  defineSettings,
  type Env,
  loadOrExit,
  type Resolution,
  type Settings,
  type SettingsStack,
  type SettingsStackDefinition,
} from "./stack.ts";
