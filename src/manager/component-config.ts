/**
 * The manager's component configuration as upstream publishes it on `/configz`: the options
 * converted to `cloudcontrollermanager.config.k8s.io/v1alpha1` `CloudControllerManagerConfiguration`.
 *
 * The v1alpha1 Go types carry no JSON tags on most fields, so their JSON keys are the Go field
 * names (`Generic`, `KubeCloudShared`, `ConcurrentServiceSyncs`, …); the nested component-base
 * types (client connection, leader election, debugging) and the leader-migration type do have
 * camelCase tags. Durations are Go `Duration.String()` text ("5m0s"). Key order follows the Go
 * struct order, as `encoding/json` writes it, so the body diffs cleanly against a Go CCM's.
 *
 * @module
 */
import type { LeaderMigrationConfiguration } from './leader-migration/index.js';
import type { ManagerOptions } from './options/index.js';
import { formatGoDuration } from './options/index.js';

/** The name upstream registers its configz entry under (the config API group). */
export const CONFIGZ_NAME = 'cloudcontrollermanager.config.k8s.io';

/** `apiVersion` of the published configuration. */
export const COMPONENT_CONFIG_API_VERSION = 'cloudcontrollermanager.config.k8s.io/v1alpha1';

/** A JSON value, as `/configz` serves it. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Builds the v1alpha1 `CloudControllerManagerConfiguration` of a manager.
 * @param o the parsed options.
 * @param controllers `--controllers` with aliases rewritten to canonical names (as upstream's ApplyTo).
 * @param migration the leader-migration configuration in force, when migration is on.
 */
export function componentConfig(o: ManagerOptions, controllers: readonly string[], migration: LeaderMigrationConfiguration | undefined): JsonValue {
  const duration = formatGoDuration;
  return {
    kind: 'CloudControllerManagerConfiguration',
    apiVersion: COMPONENT_CONFIG_API_VERSION,
    Generic: {
      // The insecure port is gone upstream: its fields keep their defaults (0, "0.0.0.0").
      Port: 0,
      Address: '0.0.0.0',
      MinResyncPeriod: duration(o.minResyncPeriodMs),
      ClientConnection: {
        // --kubeconfig lives outside the component config upstream, so this stays empty.
        kubeconfig: '',
        acceptContentTypes: '',
        contentType: o.kubeApiContentType,
        qps: o.kubeApiQps,
        burst: o.kubeApiBurst,
      },
      ControllerStartInterval: duration(o.controllerStartIntervalMs),
      LeaderElection: {
        leaderElect: o.leaderElection.enabled,
        leaseDuration: duration(o.leaderElection.leaseDurationMs),
        renewDeadline: duration(o.leaderElection.renewDeadlineMs),
        retryPeriod: duration(o.leaderElection.retryPeriodMs),
        resourceLock: o.leaderElection.resourceLock,
        resourceName: o.leaderElection.resourceName,
        resourceNamespace: o.leaderElection.resourceNamespace,
      },
      Controllers: [...controllers],
      Debugging: { enableProfiling: o.profiling, enableContentionProfiling: o.contentionProfiling },
      LeaderMigrationEnabled: migration !== undefined,
      LeaderMigration:
        migration === undefined
          ? { leaderName: '', resourceLock: '', controllerLeaders: null }
          : {
              kind: migration.kind,
              apiVersion: migration.apiVersion,
              leaderName: migration.leaderName,
              resourceLock: migration.resourceLock,
              controllerLeaders: migration.controllerLeaders.map((c) => ({ name: c.name, component: c.component })),
            },
    },
    KubeCloudShared: {
      CloudProvider: { Name: o.cloudProvider, CloudConfigFile: o.cloudConfig },
      ExternalCloudVolumePlugin: o.externalCloudVolumePlugin,
      UseServiceAccountCredentials: o.useServiceAccountCredentials,
      AllowUntaggedCloud: o.allowUntaggedCloud,
      RouteReconciliationPeriod: duration(o.routeReconciliationPeriodMs),
      NodeMonitorPeriod: duration(o.nodeMonitorPeriodMs),
      ClusterName: o.clusterName,
      ClusterCIDR: o.clusterCidr,
      AllocateNodeCIDRs: o.allocateNodeCidrs,
      CIDRAllocatorType: o.cidrAllocatorType,
      ConfigureCloudRoutes: o.configureCloudRoutes,
      NodeSyncPeriod: duration(o.nodeSyncPeriodMs),
    },
    NodeController: { ConcurrentNodeSyncs: o.concurrentNodeSyncs, ConcurrentNodeStatusUpdates: o.concurrentNodeStatusUpdates },
    // Upstream 1.37 (kubernetes#137964) moved the monitor period here and added the worker count.
    NodeLifecycleController: { NodeMonitorPeriod: duration(o.nodeMonitorPeriodMs), NodeMonitorWorkers: o.concurrentNodeLifecycleSyncs },
    ServiceController: { ConcurrentServiceSyncs: o.concurrentServiceSyncs },
    NodeStatusUpdateFrequency: duration(o.nodeStatusUpdateFrequencyMs),
    // Go encodes the nil slice of an unset --webhooks as null.
    Webhook: { Webhooks: o.webhooks.length === 0 ? null : [...o.webhooks] },
  };
}

/** The `/configz` body: every registered configuration by name (upstream registers one). */
export function configzBody(config: JsonValue): string {
  return JSON.stringify({ [CONFIGZ_NAME]: config });
}
