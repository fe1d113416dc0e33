/**
 * The cloud node controller (upstream `controllers/node/node_controller.go`): initialises Nodes
 * registered by kubelets running with `--cloud-provider=external` — providerID, instance-type /
 * zone / region labels, provider labels, addresses — and then removes the
 * `node.cloudprovider.kubernetes.io/uninitialized` taint; keeps beta and GA labels in step on
 * initialised Nodes; refreshes addresses every `--node-status-update-frequency`.
 *
 * @module
 */
import type { Node, NodeAddress, Taint } from 'kubernetes-types/core/v1.js';
import type { InstanceMetadata } from '../../cloud/instances-v2.js';
import { ANNOTATION_ALPHA_PROVIDED_IP_ADDR, CLOUD_NODE_CONTROLLER, TAINT_EXTERNAL_CLOUD_PROVIDER } from '../../cloud/constants.js';
import type { Backoff } from '../../kube/backoff.js';
import type { Informer } from '../../kube/informer.js';
import { parallelizeUntil } from '../../kube/parallelize.js';
import { NODES, keyOf } from '../../kube/resources.js';
import { retryOnConflict } from '../../kube/retry.js';
import type { Logger } from '../../log/logger.js';
import type { Controller, ControllerContext } from '../context.js';
import { ControllerLoop } from '../controller-loop.js';
import { informerHandler, whileHandling } from '../informer-handlers.js';
import type { ReconcileContext, ReconcileObserver } from '../controller-loop.js';
import { getInstanceMetadata, getInstanceNodeAddresses } from './instance-metadata.js';
import type { CloudNodeControllerMetrics } from './metrics.js';
import { addressesStatusPatch, getNodeAddressesFromNodeIP, nodeAddressesChangeDetected } from './node-addresses.js';
import { parseNodeIPAnnotation } from './node-ips.js';
import {
  LABEL_FAILURE_DOMAIN_BETA_REGION,
  LABEL_FAILURE_DOMAIN_BETA_ZONE,
  LABEL_INSTANCE_TYPE,
  LABEL_INSTANCE_TYPE_STABLE,
  LABEL_TOPOLOGY_REGION,
  LABEL_TOPOLOGY_ZONE,
  applyAdditionalLabels,
  labelsToReconcile,
} from './node-labels.js';
import { errorMessage } from '../../log/error-message.js';

/** Upstream `--node-status-update-frequency` default: 5 minutes. */
export const DEFAULT_NODE_STATUS_UPDATE_FREQUENCY_MS = 5 * 60_000;

/** Upstream `UpdateNodeSpecBackoff`: 20 attempts 50 ms apart (+ up to 100 % jitter), conflicts only. */
export const UPDATE_NODE_SPEC_BACKOFF: Backoff = Object.freeze({ steps: 20, durationMs: 50, factor: 0, jitter: 1 });

/** Upstream's label-patch retry (component-helpers `AddOrUpdateLabelsOnNode`): 5 attempts from 100 ms. */
export const UPDATE_LABEL_BACKOFF: Backoff = Object.freeze({ steps: 5, durationMs: 100, factor: 0, jitter: 1 });

/** Event reason when the provided node IP annotation cannot be honoured (ours; upstream only logs). */
export const REASON_INVALID_PROVIDED_NODE_IP = 'InvalidProvidedNodeIP';

/** Options of the {@link CloudNodeController}: the upstream flags it honours, with upstream defaults. */
export interface CloudNodeControllerOptions {
  /** `--concurrent-node-syncs`: initialisation workers (default 1, must be > 0). */
  readonly concurrentNodeSyncs?: number;
  /** `--concurrent-node-status-updates`: address-refresh parallelism (default 0 ⇒ `concurrentNodeSyncs`). */
  readonly concurrentNodeStatusUpdates?: number;
  /** `--node-status-update-frequency` in ms (default 5 min). */
  readonly nodeStatusUpdateFrequencyMs?: number;
  /** Upstream metric hooks. */
  readonly metrics?: CloudNodeControllerMetrics;
  /** Observes every reconcile outcome (metrics, tests). */
  readonly observe?: ReconcileObserver;
}

function hasCloudTaint(node: Readonly<Node>): boolean {
  return (node.spec?.taints ?? []).some((t) => t.key === TAINT_EXTERNAL_CLOUD_PROVIDER);
}


function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`cloud node controller: ${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * The cloud node controller. Construction fails when the provider offers neither Instances nor
 * InstancesV2 (the manager then skips it, as upstream).
 *
 * @example
 * ```ts
 * const controller = new CloudNodeController(ctx, { concurrentNodeSyncs: 2 });
 * ctx.informers.start(signal);
 * await controller.run(signal);
 * ```
 */
export class CloudNodeController implements Controller {
  /** The canonical controller name. */
  readonly name = CLOUD_NODE_CONTROLLER;
  readonly #ctx: ControllerContext;
  readonly #log: Logger;
  readonly #informer: Informer<Node>;
  readonly #loop: ControllerLoop;
  readonly #workers: number;
  readonly #statusWorkers: number;
  readonly #statusFrequencyMs: number;
  readonly #metrics: CloudNodeControllerMetrics;

  constructor(ctx: ControllerContext, options: CloudNodeControllerOptions = {}) {
    if (ctx.cloud.instancesV2?.() === undefined && ctx.cloud.instances?.() === undefined) {
      throw new Error(`cloud provider ${JSON.stringify(ctx.cloud.name)} does not support instances`);
    }
    this.#ctx = ctx;
    this.#log = ctx.logger.withName(CLOUD_NODE_CONTROLLER);
    this.#workers = positiveInteger('concurrentNodeSyncs', options.concurrentNodeSyncs ?? 1);
    const statusUpdates = options.concurrentNodeStatusUpdates ?? 0;
    if (!Number.isInteger(statusUpdates) || statusUpdates < 0) {
      throw new RangeError(`cloud node controller: concurrentNodeStatusUpdates must be an integer >= 0, got ${statusUpdates}`);
    }
    // As upstream: 0 means "as many as the sync workers".
    this.#statusWorkers = statusUpdates === 0 ? this.#workers : statusUpdates;
    this.#statusFrequencyMs = options.nodeStatusUpdateFrequencyMs ?? DEFAULT_NODE_STATUS_UPDATE_FREQUENCY_MS;
    if (!Number.isFinite(this.#statusFrequencyMs) || this.#statusFrequencyMs <= 0) {
      throw new RangeError(`cloud node controller: nodeStatusUpdateFrequencyMs must be > 0, got ${this.#statusFrequencyMs}`);
    }
    this.#metrics = options.metrics ?? {};
    this.#informer = ctx.informers.informerFor(NODES);
    // Queue `Nodes` with the default controller rate limiter (5 ms → 1000 s per node), as upstream.
    this.#loop = new ControllerLoop({
      name: 'Nodes',
      clock: ctx.clock,
      logger: this.#log,
      reconcile: (key, rctx) => this.#syncNode(key, rctx),
      ...(ctx.workQueueMetrics === undefined ? {} : { queueMetrics: ctx.workQueueMetrics }),
      ...(options.observe === undefined ? {} : { observe: options.observe }),
    });
  }

  /** Registers handlers, waits for the node cache, then runs the workers and the address refresh until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    // As upstream: every add and every update enqueues; there is nothing to do on delete.
    const nodes = informerHandler(this.#informer, {
      onAdd: (node) => this.#loop.enqueue(keyOf(node)),
      onUpdate: (_old, node) => this.#loop.enqueue(keyOf(node)),
    });
    await whileHandling([nodes], async () => {
      this.#log.info('Waiting for informer caches to sync');
      if (!(await this.#informer.waitForSync(signal))) {
        this.#log.info('Stopped before the node cache synced');
        return;
      }
      await Promise.all([this.#statusLoop(signal), this.#loop.run(signal, this.#workers)]);
    });
  }

  /**
   * Refreshes the addresses of every initialised node once (upstream `UpdateNodeStatus`), with
   * `concurrentNodeStatusUpdates` calls in flight. Errors are logged per node, never thrown.
   */
  async updateNodeStatus(signal: AbortSignal): Promise<void> {
    const started = this.#ctx.clock.now();
    const nodes = this.#informer.list();
    await parallelizeUntil(signal, this.#statusWorkers, nodes.length, async (piece) => {
      const node = nodes[piece] as Node;
      const name = node.metadata?.name ?? '';
      if (hasCloudTaint(node)) {
        this.#log.v(5).info('This node is still tainted. Will not process.', { node: name });
        return;
      }
      let metadata: InstanceMetadata | undefined;
      try {
        metadata = await getInstanceNodeAddresses(this.#ctx.cloud, node, { signal });
      } catch (err) {
        this.#log.error(err, 'Error getting instance metadata for node addresses', { node: name });
        return;
      }
      // Deviation (upstream dereferences nil here, research §8.1): no metadata ⇒ nothing to refresh.
      if (metadata === undefined) {
        this.#log.v(2).info('Skipping node address update: cloud provider returned no metadata', { node: name });
        return;
      }
      await this.#updateNodeAddress(node, metadata, signal);
    });
    this.#log.v(2).info('Updated nodes status', { nodes: nodes.length, tookMs: this.#ctx.clock.now() - started });
  }

  async #statusLoop(signal: AbortSignal): Promise<void> {
    // wait.UntilWithContext: first pass at once, then `frequency` after each pass ends (sliding).
    while (!signal.aborted) {
      await this.updateNodeStatus(signal);
      try {
        await this.#ctx.clock.sleep(this.#statusFrequencyMs, signal);
      } catch {
        return;
      }
    }
  }

  async #syncNode(key: string, { signal, log }: ReconcileContext): Promise<void> {
    const current = this.#informer.get(key);
    if (current === undefined) return;
    const name = current.metadata?.name ?? key;
    if (!hasCloudTaint(current)) {
      await this.#reconcileNodeLabels(current, signal);
      return;
    }
    log.info('Initializing node with cloud provider', { node: name });

    const providedNodeIP = current.metadata?.annotations?.[ANNOTATION_ALPHA_PROVIDED_IP_ADDR];
    if (providedNodeIP !== undefined) {
      // Deviation: a malformed annotation cannot be fixed by the cloud, so it is reported before
      // any cloud call and not retried; the kubelet's next write to the Node re-enqueues it.
      try {
        parseNodeIPAnnotation(providedNodeIP);
      } catch (err) {
        const message = `provided node ip for node ${JSON.stringify(name)} is not valid: ${errorMessage(err)}`;
        log.error(err, 'Not initializing node: invalid provided node IP', { node: name });
        this.#ctx.recorder.event(current, 'Warning', REASON_INVALID_PROVIDED_NODE_IP, message);
        return;
      }
    }

    let metadata: InstanceMetadata | undefined;
    try {
      metadata = await getInstanceMetadata(this.#ctx.cloud, current, { signal, log });
    } catch (err) {
      throw new Error(`failed to get instance metadata for node ${name}: ${errorMessage(err)}`, { cause: err });
    }
    if (metadata === undefined) {
      // As upstream: success without requeue; the node's next update event brings it back.
      log.info('Skip sync node because cloud provided nil metadata', { node: name });
      return;
    }
    const meta = metadata;
    if (providedNodeIP !== undefined) {
      try {
        getNodeAddressesFromNodeIP(providedNodeIP, meta.nodeAddresses ?? []);
      } catch (err) {
        const message = `provided node ip for node ${JSON.stringify(name)} is not valid: ${errorMessage(err)}`;
        this.#ctx.recorder.event(current, 'Warning', REASON_INVALID_PROVIDED_NODE_IP, message);
        throw new Error(`failed to get node modifiers from cloud provider: ${message}`, { cause: err });
      }
    }

    const modify = (node: Node): Node => {
      const spec = (node.spec ??= {});
      // providerID is immutable once set: only fill it in.
      if ((spec.providerID ?? '') === '' && meta.providerID !== undefined && meta.providerID !== '') spec.providerID = meta.providerID;
      const labels = ((node.metadata ??= {}).labels ??= {});
      if (meta.instanceType !== undefined && meta.instanceType !== '') {
        labels[LABEL_INSTANCE_TYPE] = meta.instanceType;
        labels[LABEL_INSTANCE_TYPE_STABLE] = meta.instanceType;
      }
      if (meta.zone !== undefined && meta.zone !== '') {
        labels[LABEL_FAILURE_DOMAIN_BETA_ZONE] = meta.zone;
        labels[LABEL_TOPOLOGY_ZONE] = meta.zone;
      }
      if (meta.region !== undefined && meta.region !== '') {
        labels[LABEL_FAILURE_DOMAIN_BETA_REGION] = meta.region;
        labels[LABEL_TOPOLOGY_REGION] = meta.region;
      }
      if (meta.additionalLabels !== undefined) applyAdditionalLabels(labels, meta.additionalLabels, log);
      spec.taints = (spec.taints ?? []).filter((t: Taint) => t.key !== TAINT_EXTERNAL_CLOUD_PROVIDER);
      return node;
    };

    // As upstream: re-read from the cache and PUT the whole Node, retrying conflicts only.
    const done = await retryOnConflict(
      UPDATE_NODE_SPEC_BACKOFF,
      async () => {
        const latest = this.#informer.get(key);
        if (latest === undefined) return false;
        const updated = modify(structuredClone<Node>(latest));
        await this.#ctx.kube.nodes.update(updated, { signal });
        this.#metrics.observeCloudProviderTaintRemovalDelaySeconds?.(this.#secondsSinceCreation(updated));
        // Write addresses right away rather than at the next refresh, from the copy just written.
        await this.#updateNodeAddress(updated, meta, signal);
        log.info('Successfully initialized node with cloud provider', { node: name });
        return true;
      },
      { clock: this.#ctx.clock, random: this.#ctx.random, signal },
    );
    if (!done) return;
    this.#ctx.recorder.event(current, 'Normal', 'Synced', 'Node synced successfully');
    this.#metrics.observeInitialNodeSyncDelaySeconds?.(this.#secondsSinceCreation(current));
  }

  #secondsSinceCreation(node: Readonly<Node>): number {
    const created = Date.parse(node.metadata?.creationTimestamp ?? '');
    return Number.isNaN(created) ? 0 : (this.#ctx.clock.now() - created) / 1000;
  }

  async #reconcileNodeLabels(node: Readonly<Node>, signal: AbortSignal): Promise<void> {
    const labels = labelsToReconcile(node.metadata?.labels);
    if (Object.keys(labels).length === 0) return;
    const name = node.metadata?.name ?? '';
    try {
      // Labels merge key by key under a strategic patch, so no resourceVersion is needed.
      await retryOnConflict(UPDATE_LABEL_BACKOFF, () => this.#ctx.kube.nodes.patch({ name }, { type: 'strategic', body: { metadata: { labels } } }, { signal }), {
        clock: this.#ctx.clock,
        random: this.#ctx.random,
        signal,
      });
    } catch (err) {
      throw new Error(`failed update labels for node ${name}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Upstream `updateNodeAddress`: writes the cloud's addresses if they changed; errors are only logged. */
  async #updateNodeAddress(node: Readonly<Node>, metadata: InstanceMetadata, signal: AbortSignal): Promise<void> {
    const name = node.metadata?.name ?? '';
    if (hasCloudTaint(node)) {
      this.#log.v(5).info('This node is still tainted. Will not process.', { node: name });
      return;
    }
    const cloudAddresses = metadata.nodeAddresses ?? [];
    if (cloudAddresses.length === 0) {
      this.#log.v(5).info('Skipping node address update since cloud provider did not return any', { node: name });
      return;
    }
    const current: readonly NodeAddress[] = node.status?.addresses ?? [];
    let addresses: NodeAddress[] = cloudAddresses.map((a) => ({ type: a.type, address: a.address }));
    // Keep the kubelet's hostname when the cloud does not know one.
    if (!addresses.some((a) => a.type === 'Hostname')) addresses.push(...current.filter((a) => a.type === 'Hostname'));
    const providedNodeIP = node.metadata?.annotations?.[ANNOTATION_ALPHA_PROVIDED_IP_ADDR];
    if (providedNodeIP !== undefined) {
      try {
        addresses = getNodeAddressesFromNodeIP(providedNodeIP, addresses);
      } catch (err) {
        this.#log.error(err, 'Failed to update node addresses for node', { node: name });
        return;
      }
    }
    if (!nodeAddressesChangeDetected(current, addresses)) return;
    try {
      await this.#ctx.kube.nodes.patchStatus({ name }, addressesStatusPatch(addresses), { signal });
    } catch (err) {
      this.#log.error(err, 'Error patching node with cloud ip addresses', { node: name });
    }
  }
}
