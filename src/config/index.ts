export * from './types.js';
export { loadConfig, ConfigError, redactedConfig, type ConfigSources } from './load.js';
export { FIELDS, type FieldSpec } from './fields.js';
export { normalizeNumber } from './number-map.js';
export { configWarnings, isLoopbackHost } from './warnings.js';
