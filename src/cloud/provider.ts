/**
 * The cloud provider contract (upstream `Interface`, `ControllerClientBuilder` and `InformerUser`
 * in `cloud.go`): one object exposing optional capabilities.
 *
 * @module
 */
import type { Registry } from 'prom-client';
import type { KubeClient } from '../kube/client.js';
import type { SharedInformerFactory } from '../kube/shared-informers.js';
import type { Logger } from '../log/logger.js';
import type { Clusters } from './clusters.js';
import type { Instances } from './instances.js';
import type { InstancesV2 } from './instances-v2.js';
import type { LoadBalancer } from './load-balancer.js';
import type { Routes } from './routes.js';
import type { Zones } from './zones.js';

/**
 * Hands out Kubernetes clients by identity. With `--use-service-account-credentials` each name
 * maps to a service account in `kube-system`; otherwise every name shares the manager's credentials.
 */
export interface ClientBuilder {
  /** A client acting as `name` (e.g. `node-controller`, or the provider's own controller name). */
  client(name: string): KubeClient;
}

/** What {@link CloudProvider.initialize} receives. */
export interface ProviderInitContext {
  /**
   * Aborted when the provider must stop everything it started in `initialize` (the manager is
   * shutting down or lost leadership) — the equivalent of upstream's stop channel.
   */
  readonly signal: AbortSignal;
  /** Kubernetes clients for the provider's own housekeeping or controllers. */
  readonly clientBuilder: ClientBuilder;
  /** A logger for the provider. */
  readonly logger: Logger;
  /**
   * The registry the manager serves on `/metrics`, for the provider's own metrics (upstream
   * providers register theirs in the global legacy registry; ours is per manager). Absent when
   * the host serves no metrics. Metric names should carry the provider's own prefix.
   */
  readonly metrics?: Registry;
}

/**
 * A cloud provider. Capabilities are optional: a missing getter, or a getter returning
 * `undefined`, means "not supported" (upstream's `(impl, false)`), and the controller needing it
 * is skipped with a log line.
 *
 * The object is constructed in every manager replica before leader election; {@link initialize}
 * runs only in the leader, just before the controllers start.
 */
export interface CloudProvider {
  /**
   * The provider's name (upstream `ProviderName()`): the scheme of the providerIDs the framework
   * builds (`<name>://<instance-id>`) and the name shown in logs and errors.
   */
  readonly name: string;

  /**
   * Gives the provider Kubernetes access and lets it start background work, which must stop when
   * `ctx.signal` aborts. Called once per process, after leadership of the main Lease is acquired
   * (also under leader migration, where upstream may call it a second time; see docs/deviations.md).
   * Upstream has no error return here; a rejection tells the manager the provider cannot run.
   */
  initialize?(ctx: ProviderInitContext): void | Promise<void>;

  /**
   * Receives the shared informer factory the controllers use, right after {@link initialize}
   * (upstream `InformerUser.SetInformers`).
   */
  setInformers?(informers: SharedInformerFactory): void;

  /** The load-balancer capability (service controller). */
  loadBalancer?(): LoadBalancer | undefined;

  /** The legacy instances capability (node and lifecycle controllers, when InstancesV2 is absent). */
  instances?(): Instances | undefined;

  /** The Node-keyed instances capability; when present, it is used exclusively and Zones is never called. */
  instancesV2?(): InstancesV2 | undefined;

  /** The deprecated zones capability; only consulted when InstancesV2 is absent. */
  zones?(): Zones | undefined;

  /** The clusters capability; unused by the framework controllers. */
  clusters?(): Clusters | undefined;

  /** The routes capability (route controller). */
  routes?(): Routes | undefined;

  /**
   * False when the provider needs a cluster ID and has none. The manager then refuses to start
   * (exit 2, naming `--allow-untagged-cloud`) unless that flag is given, when it logs a warning
   * and runs, as upstream. Absent = true.
   */
  hasClusterID?(): boolean;
}
