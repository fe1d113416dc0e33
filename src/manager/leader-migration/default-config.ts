/**
 * The built-in LeaderMigrationConfiguration used when `--enable-leader-migration` is given without
 * `--leader-migration-config`.
 *
 * @module
 */
import { CLOUD_NODE_LIFECYCLE_CONTROLLER, NODE_ROUTE_CONTROLLER, SERVICE_LB_CONTROLLER } from '../../cloud/constants.js';
import type { LeaderMigrationConfiguration } from './config.js';

/** Name of the migration Lease in the built-in configuration (as upstream). */
export const DEFAULT_MIGRATION_LEADER_NAME = 'cloud-provider-extraction-migration';

/**
 * The built-in configuration: upstream's three controllers that move from kube-controller-manager
 * to the cloud-controller-manager, each with component `*`, under their CURRENT canonical names.
 * Upstream's default still says `route-controller` and `service-controller`, names both managers
 * dropped in 2023 (now `node-route-controller` and `service-lb-controller`); matching is by exact
 * canonical name, so upstream's default only migrates `cloud-node-lifecycle-controller`. Ours
 * migrates all three. `cloud-node-controller` is not listed: it never ran in kube-controller-manager.
 */
export function defaultLeaderMigrationConfig(): LeaderMigrationConfiguration {
  return {
    apiVersion: 'controllermanager.config.k8s.io/v1',
    kind: 'LeaderMigrationConfiguration',
    leaderName: DEFAULT_MIGRATION_LEADER_NAME,
    resourceLock: 'leases',
    controllerLeaders: [
      { name: NODE_ROUTE_CONTROLLER, component: '*' },
      { name: SERVICE_LB_CONTROLLER, component: '*' },
      { name: CLOUD_NODE_LIFECYCLE_CONTROLLER, component: '*' },
    ],
  };
}
