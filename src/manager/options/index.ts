/**
 * Command-line options of `outrigger run` / `cloud-controller-manager`.
 *
 * @module
 */
export { enabledControllers, isControllerEnabled, resolveControllerAliases } from './controller-selection.js';
export type { ControllerCatalog } from './controller-selection.js';
export { DurationParseError, formatGoDuration, parseGoDuration } from './duration.js';
export { FlagError } from './flag-error.js';
export { FLAGS, FLAGS_BY_NAME, KNOWN_FEATURE_GATES } from './flag-table.js';
export type { FlagSpec, FlagType, FlagValue } from './flag-table.js';
export { optionsFromFlags, parseManagerOptions, validateOptions } from './manager-options.js';
export type { LeaderElectionOptions, ManagerOptions } from './manager-options.js';
export { coerceFlagValue, flagValue, formatFlagValue, formatHelp, parseFlags } from './parse-flags.js';
export type { ParsedFlags } from './parse-flags.js';
