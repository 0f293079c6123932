/**
 * Runnel's configuration: typed options with Flink's keys and defaults, an immutable
 * {@link Configuration}, and {@link loadConfiguration} for `config.yaml` plus `-D` overrides.
 */
export { ConfigError, ConfigValueError } from './errors.js';
export type { ConfigErrorContext, ConfigValueErrorContext } from './errors.js';

export {
  booleanType,
  durationType,
  enumType,
  floatType,
  formatDuration,
  formatMemorySize,
  integerType,
  memorySizeType,
  pathType,
  portRangeType,
  stringListType,
  stringType,
} from './types.js';
export type { NumberRange, OptionType, RawScalar, RawValue } from './types.js';

export { option } from './options.js';
export type { ConfigOption, OptionValue } from './options.js';

export {
  BlobServerOptions,
  HeartbeatManagerOptions,
  JobManagerOptions,
  RestOptions,
  RpcOptions,
  TaskManagerOptions,
} from './cluster-options.js';
export { CoreOptions, ExecutionOptions, PipelineOptions, UPPER_BOUND_MAX_PARALLELISM } from './execution-options.js';
export { CheckpointingOptions, StateBackendOptions } from './checkpointing-options.js';
export { RestartStrategyOptions, readRestartStrategy, type RestartStrategySpec } from './restart-options.js';
export { HighAvailabilityOptions } from './high-availability-options.js';
export { LogOptions, MetricOptions, TraceOptions } from './observability-options.js';
export { KNOWN_OPTIONS, closestKnownKey, findOption } from './registry.js';

export { Configuration, HIDDEN_CONTENT, isSensitiveKey } from './configuration.js';
export type { ConfigEntry } from './configuration.js';

export {
  CONF_DIR_ENV,
  CONFIG_FILE_NAME,
  DEFAULT_CONF_DIR,
  DYNAMIC_PROPERTIES_SOURCE,
  loadConfiguration,
  parseDynamicProperties,
  resolveConfDir,
} from './loader.js';
export type { LoadConfigurationOptions } from './loader.js';
export { parseConfigYaml } from './yaml.js';
