/**
 * The cloud node lifecycle controller (upstream `controllers/nodelifecycle/
 * node_lifecycle_controller.go`): every `--node-monitor-period` it looks at each Node — Ready
 * Nodes lose the shutdown taint; not-Ready ones whose instance is gone are deleted; not-Ready
 * ones whose instance is shut down get the shutdown taint.
 *
 * Upstream polls the node lister in a loop; here each tick enqueues every cached Node's key and
 * workers reconcile them (ARCHITECTURE.md convention 2). The timing stays upstream's: first pass
 * right after the cache syncs, then one every period; as upstream, failures are logged and the
 * Node waits for the next tick (no per-node backoff retries).
 *
 * @module
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { CLOUD_NODE_LIFECYCLE_CONTROLLER } from '../../cloud/constants.js';
import { isInstanceNotFound, isNotImplemented } from '../../cloud/errors.js';
import { getInstanceProviderID } from '../../cloud/helpers.js';
import type { Informer } from '../../kube/informer.js';
import { NODES } from '../../kube/resources.js';
import type { Logger } from '../../log/logger.js';
import type { Controller, ControllerContext } from '../context.js';
import { ControllerLoop } from '../controller-loop.js';
import type { ReconcileContext, ReconcileObserver } from '../controller-loop.js';
import { SHUTDOWN_TAINT, addOrUpdateTaintOnNode, removeTaintOffNode } from './shutdown-taint.js';
import { errorMessage } from '../../log/error-message.js';

/** Upstream `--node-monitor-period` default: 5 seconds. */
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;

/** Event reason (Normal) before deleting a Node whose instance is gone. */
export const REASON_DELETING_NODE = 'DeletingNode';
/** Event reason (Warning) when that delete fails. */
export const REASON_DELETING_NODE_FAILED = 'DeletingNodeFailed';

/** Options of the {@link CloudNodeLifecycleController}. */
export interface CloudNodeLifecycleControllerOptions {
  /** `--node-monitor-period` in ms (default 5 s). */
  readonly nodeMonitorPeriodMs?: number;
  /**
   * `--concurrent-node-lifecycle-syncs`: Nodes checked at once in each monitoring pass (default 1,
   * one after another as before upstream 1.37 parallelised the pass).
   */
  readonly workers?: number;
  /** Observes every reconcile outcome (metrics, tests). */
  readonly observe?: ReconcileObserver;
}

/** The Ready condition's status, `Unknown` when the Node has none (as upstream). */
function readyStatus(node: Readonly<Node>): string {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

/**
 * The cloud node lifecycle controller. Construction fails when the provider offers neither
 * Instances nor InstancesV2 (the manager then skips it, as upstream).
 *
 * @example
 * ```ts
 * const controller = new CloudNodeLifecycleController(ctx, { nodeMonitorPeriodMs: 5_000 });
 * ctx.informers.start(signal);
 * await controller.run(signal);
 * ```
 */
export class CloudNodeLifecycleController implements Controller {
  /** The canonical controller name. */
  readonly name = CLOUD_NODE_LIFECYCLE_CONTROLLER;
  readonly #ctx: ControllerContext;
  readonly #log: Logger;
  readonly #informer: Informer<Node>;
  readonly #loop: ControllerLoop;
  readonly #periodMs: number;
  readonly #workers: number;

  constructor(ctx: ControllerContext, options: CloudNodeLifecycleControllerOptions = {}) {
    if (ctx.cloud.instancesV2?.() === undefined && ctx.cloud.instances?.() === undefined) {
      throw new Error(`cloud provider ${JSON.stringify(ctx.cloud.name)} does not support instances`);
    }
    this.#periodMs = options.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
    if (!Number.isFinite(this.#periodMs) || this.#periodMs <= 0) {
      throw new RangeError(`cloud node lifecycle controller: nodeMonitorPeriodMs must be > 0, got ${this.#periodMs}`);
    }
    this.#workers = options.workers ?? 1;
    if (!Number.isInteger(this.#workers) || this.#workers < 1) {
      throw new RangeError(`cloud node lifecycle controller: workers must be a whole number >= 1, got ${this.#workers}`);
    }
    this.#ctx = ctx;
    this.#log = ctx.logger.withName(CLOUD_NODE_LIFECYCLE_CONTROLLER);
    this.#informer = ctx.informers.informerFor(NODES);
    this.#loop = new ControllerLoop({
      name: 'NodeLifecycle',
      clock: ctx.clock,
      logger: this.#log,
      reconcile: (key, rctx) => this.#monitorNode(key, rctx),
      ...(ctx.workQueueMetrics === undefined ? {} : { queueMetrics: ctx.workQueueMetrics }),
      ...(options.observe === undefined ? {} : { observe: options.observe }),
    });
  }

  /** Waits for the node cache, then monitors every Node each period until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.#informer.waitForSync(signal))) {
      this.#log.info('Stopped before the node cache synced');
      return;
    }
    // Upstream 1.37 (kubernetes#137964) checks the Nodes of a pass in parallel, as many at once as
    // --concurrent-node-lifecycle-syncs; the queue gives each Node to one worker at a time.
    await Promise.all([this.#tick(signal), this.#loop.run(signal, this.#workers)]);
  }

  async #tick(signal: AbortSignal): Promise<void> {
    // wait.UntilWithContext: at once, then every period; the queue dedups a Node still pending.
    while (!signal.aborted) {
      for (const key of this.#informer.keys()) this.#loop.enqueue(key);
      try {
        await this.#ctx.clock.sleep(this.#periodMs, signal);
      } catch {
        return;
      }
    }
  }

  async #monitorNode(key: string, { signal, log }: ReconcileContext): Promise<void> {
    const node = this.#informer.get(key);
    if (node === undefined) return;
    const name = node.metadata?.name ?? key;
    const deps = { clock: this.#ctx.clock, random: this.#ctx.random, signal };

    // Ready nodes are never deleted; only they lose the shutdown taint.
    if (readyStatus(node) === 'True') {
      try {
        await removeTaintOffNode(this.#ctx.kube, node, SHUTDOWN_TAINT, deps);
      } catch (err) {
        log.error(err, 'Error patching node taints', { node: name });
      }
      return;
    }

    // Existence first: a gone instance is deleted whether or not it was shut down.
    let exists: boolean;
    try {
      exists = await this.#instanceExists(node, signal);
    } catch (err) {
      log.error(err, 'Error checking if node exists', { node: name });
      return;
    }

    if (!exists) {
      log.v(2).info('Deleting node since it is no longer present in cloud provider', { node: name });
      const ref = { apiVersion: 'v1', kind: 'Node', metadata: { name, ...(node.metadata?.uid === undefined ? {} : { uid: node.metadata.uid }) } };
      this.#ctx.recorder.event(ref, 'Normal', REASON_DELETING_NODE, `Deleting node ${name} because it does not exist in the cloud provider`);
      try {
        await this.#ctx.kube.nodes.delete({ name }, { signal });
      } catch (err) {
        log.error(err, 'Unable to delete node', { node: name });
        this.#ctx.recorder.event(ref, 'Warning', REASON_DELETING_NODE_FAILED, `Failed deleting node ${name}: ${errorMessage(err)}`);
      }
      return;
    }

    let shutdown: boolean;
    try {
      shutdown = await this.#instanceShutdown(node, signal);
    } catch (err) {
      log.error(err, 'Error checking if node is shutdown', { node: name });
      return;
    }
    if (!shutdown) return;
    try {
      await addOrUpdateTaintOnNode(this.#ctx.kube, node, SHUTDOWN_TAINT, deps);
    } catch (err) {
      log.error(err, 'Failed to apply shutdown taint to node, it may have been deleted', { node: name });
    }
  }

  /** Upstream `getProviderID`: the Node's, else InstancesV2 metadata's, else `<provider>://<instanceID>`. */
  async #providerID(node: Readonly<Node>, signal: AbortSignal): Promise<string> {
    const own = node.spec?.providerID ?? '';
    if (own !== '') return own;
    const v2 = this.#ctx.cloud.instancesV2?.();
    if (v2 !== undefined) return (await v2.instanceMetadata(node, { signal }))?.providerID ?? '';
    return getInstanceProviderID(this.#ctx.cloud, node.metadata?.name ?? '', { signal });
  }

  /** Upstream `ensureNodeExistsByProviderID`. */
  async #instanceExists(node: Readonly<Node>, signal: AbortSignal): Promise<boolean> {
    const v2 = this.#ctx.cloud.instancesV2?.();
    if (v2 !== undefined) return v2.instanceExists(node, { signal });
    const instances = this.#ctx.cloud.instances?.();
    if (instances === undefined) throw new Error('instances interface not supported in the cloud provider');
    let providerID: string;
    try {
      providerID = await this.#providerID(node, signal);
    } catch (err) {
      // As upstream (identity compare): only an unwrapped InstanceNotFound means "gone".
      if (isInstanceNotFound(err)) return false;
      throw err;
    }
    return instances.instanceExistsByProviderID(providerID, { signal });
  }

  /** Upstream `shutdownInCloudProvider`. */
  async #instanceShutdown(node: Readonly<Node>, signal: AbortSignal): Promise<boolean> {
    const v2 = this.#ctx.cloud.instancesV2?.();
    if (v2 !== undefined) return v2.instanceShutdown(node, { signal });
    const instances = this.#ctx.cloud.instances?.();
    if (instances === undefined) throw new Error('cloud provider does not support instances');
    let providerID: string;
    try {
      providerID = await this.#providerID(node, signal);
    } catch (err) {
      if (isInstanceNotFound(err)) return false;
      throw err;
    }
    try {
      return await instances.instanceShutdownByProviderID(providerID, { signal });
    } catch (err) {
      if (isNotImplemented(err)) return false;
      throw err;
    }
  }
}
