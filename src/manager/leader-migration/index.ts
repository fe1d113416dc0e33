/**
 * Leader migration (KEP-2436): the LeaderMigrationConfiguration file, the built-in default and the
 * classification of controllers into migrated / unowned / non-migrated.
 *
 * @module
 */
export {
  LEADER_MIGRATION_API_VERSIONS,
  LEADER_MIGRATION_GROUP,
  LeaderMigrationConfigError,
  loadLeaderMigrationConfigFile,
  parseLeaderMigrationConfig,
} from './config.js';
export type { ControllerLeaderConfiguration, LeaderMigrationConfiguration } from './config.js';
export { DEFAULT_MIGRATION_LEADER_NAME, defaultLeaderMigrationConfig } from './default-config.js';
export { ANY_COMPONENT, CLOUD_CONTROLLER_MANAGER_COMPONENT, classifyControllers, leaderMigrationFilter } from './classify.js';
export type { MigrationClass } from './classify.js';
