/**
 * One conformance case's world: the provider built by its registry factory from the
 * `--cloud-config`, composed with the real controllers by the manager's own {@link buildManager}
 * and {@link ControllerManager} on the simulated API server and a virtual clock — the way a
 * cloud-controller-manager uses the provider, and nothing else. Each case gets a fresh world.
 *
 * @module
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { ProviderModuleEntry } from '../cloud/module-loader.js';
import { loadProviderModule } from '../cloud/module-loader.js';
import type { CloudProvider } from '../cloud/provider.js';
import { ProviderRegistry } from '../cloud/registry.js';
import type { KubeClient } from '../kube/client.js';
import { FakeClock } from '../kube/clock.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { NODES, SERVICES } from '../kube/resources.js';
import { createLogger, MemoryLogSink } from '../log/logger.js';
import { buildManager } from '../manager/build.js';
import { ControllerManager } from '../manager/controller-manager.js';
import { optionsFromFlags, validateOptions } from '../manager/options/manager-options.js';
import { parseFlags } from '../manager/options/parse-flags.js';
import { registerBuiltinProviders } from '../providers/builtin.js';
import { QueueWatch } from '../simulation/runner/queue-watch.js';
import { settle } from '../testing/settle.js';
import { builtinHooks } from './hooks.js';
import type { ConformanceHooks } from './hooks.js';
import { CallLog, recordingProvider } from './call-log.js';

/** The provider under test, named as the manager's flags name it. */
export interface ConformanceTarget {
  /** `--cloud-provider`. */
  readonly cloudProvider: string;
  /** `--cloud-config`: a path, read by the manager as in production. */
  readonly cloudConfig?: string | undefined;
  /** `--provider-module` specifiers, loaded into the world's registry. */
  readonly providerModules?: readonly string[] | undefined;
  /** Providers registered directly (a provider's own test suite). */
  readonly providers?: readonly ProviderModuleEntry[] | undefined;
  /** Ways to look inside the provider's cloud; Outrigger's `fake` and `local` bring their own. */
  readonly hooks?: ConformanceHooks | undefined;
}

/** A case could not observe what it waited for: a conformance failure. */
export class ConformanceCheckError extends Error {
  override readonly name = 'ConformanceCheckError';
}

/** Options of {@link World.start}. */
export interface WorldOptions {
  readonly clusterName: string;
  /** `--cluster-cidr` when the route controller should run. */
  readonly clusterCIDR?: string | undefined;
}

const REAL_TURNS_LIMIT = 200_000;
/** Event-loop turns a busy controller gets for real I/O before the virtual clock moves on. */
const BUSY_TURNS = 50;

/** A running manager around the provider, with the suite's view of both. */
export class World {
  readonly clock: FakeClock;
  readonly server: SimulatedApiServer;
  /** The suite's own API client (it plays kubelet and user). */
  readonly admin: KubeClient;
  /** The provider object its factory returned (what the hooks look into). */
  readonly provider: CloudProvider;
  readonly calls: CallLog;
  readonly hooks: ConformanceHooks;
  readonly clusterName: string;
  readonly logs: MemoryLogSink;
  readonly #queues: QueueWatch;
  readonly #shutdown: AbortController;
  readonly #done: Promise<unknown>;

  private constructor(w: {
    clock: FakeClock;
    server: SimulatedApiServer;
    provider: CloudProvider;
    calls: CallLog;
    hooks: ConformanceHooks;
    clusterName: string;
    logs: MemoryLogSink;
    queues: QueueWatch;
    shutdown: AbortController;
    done: Promise<unknown>;
  }) {
    this.clock = w.clock;
    this.server = w.server;
    this.admin = w.server.client({ userAgent: 'outrigger-conformance' });
    this.provider = w.provider;
    this.calls = w.calls;
    this.hooks = w.hooks;
    this.clusterName = w.clusterName;
    this.logs = w.logs;
    this.#queues = w.queues;
    this.#shutdown = w.shutdown;
    this.#done = w.done;
  }

  /** Builds the provider and the manager and runs it until the controllers are started. */
  static async start(target: ConformanceTarget, o: WorldOptions): Promise<World> {
    const clock = new FakeClock();
    const random = (): number => 0.5;
    const server = new SimulatedApiServer({ clock, random });
    // The target's own registry: the built-ins on the virtual clock, then its modules.
    const inner = registerBuiltinProviders(new ProviderRegistry(), { clock });
    for (const entry of target.providers ?? []) if (!inner.has(entry.name)) inner.register(entry.name, entry.factory);
    for (const specifier of target.providerModules ?? []) await loadProviderModule(specifier, inner);
    const calls = new CallLog();
    let raw: CloudProvider | undefined;
    const outer = new ProviderRegistry();
    outer.register(target.cloudProvider, async (config) => {
      raw = await inner.create(target.cloudProvider, config);
      return recordingProvider(raw, calls);
    });
    const flags = [
      `--cloud-provider=${target.cloudProvider}`,
      '--secure-port=0',
      '--leader-elect=false',
      `--cluster-name=${o.clusterName}`,
      ...(target.cloudConfig === undefined ? [] : [`--cloud-config=${target.cloudConfig}`]),
      ...(o.clusterCIDR === undefined ? ['--configure-cloud-routes=false'] : [`--cluster-cidr=${o.clusterCIDR}`, '--allocate-node-cidrs=true']),
    ];
    const options = optionsFromFlags(parseFlags(flags));
    const [invalid] = validateOptions(options);
    if (invalid !== undefined) throw invalid;
    const logs = new MemoryLogSink();
    const queues = new QueueWatch();
    const parts = await buildManager({
      options,
      version: 'conformance',
      logger: createLogger(logs.sink, 2),
      clock,
      random,
      env: {},
      registry: outer,
      kubeClientFor: (userAgent) => server.client({ userAgent }),
      workQueueMetrics: queues,
    });
    if (raw === undefined) throw new Error(`provider ${JSON.stringify(target.cloudProvider)} was not built`);
    const manager = new ControllerManager(parts, { identity: 'outrigger-conformance', shutdownGraceMs: 5_000 });
    const shutdown = new AbortController();
    const done = manager.run(shutdown.signal);
    const hooks = { ...builtinHooks(raw), ...target.hooks };
    const world = new World({ clock, server, provider: raw, calls, hooks, clusterName: o.clusterName, logs, queues, shutdown, done });
    let running: boolean | undefined;
    void manager.whenRunning().then((r) => (running = r));
    await world.until(() => running !== undefined, 'the manager started its controllers', 120_000);
    if (running !== true) {
      await world.stop();
      throw new ConformanceCheckError(`the manager stopped before its controllers ran: ${String(manager.stopReason?.kind)} ${logs.records.map((r) => r.msg).join(' | ')}`);
    }
    return world;
  }

  /**
   * Lets the manager work — promise continuations, due timers, real I/O (a host data plane's
   * sockets) — until `done()` holds; virtual time passes timer by timer, at most `withinMs`.
   * @throws ConformanceCheckError naming `what` when it never held.
   */
  async until(done: () => boolean | Promise<boolean>, what: string, withinMs = 60_000): Promise<void> {
    const deadline = this.clock.now() + withinMs;
    let spins = 0;
    for (let turn = 0; turn < REAL_TURNS_LIMIT; turn++) {
      await settle(this.clock);
      if (await done()) return;
      // A socket bind or close completes in the event loop's poll phase, which no virtual clock drives.
      await new Promise((resolve) => setImmediate(resolve));
      if (await done()) return;
      // A key in flight may be waiting for real I/O: give it turns before virtual time moves on.
      if (this.#queues.busyKeys() > 0 && spins++ < BUSY_TURNS) continue;
      spins = 0;
      const next = this.clock.nextTimerAt();
      if (next === undefined || next > deadline) {
        if (this.clock.now() < deadline) await this.clock.advanceTo(deadline);
        await settle(this.clock);
        if (await done()) return;
        throw new ConformanceCheckError(`${what}: not seen within ${Math.round(withinMs / 1000)} s of virtual time`);
      }
      await this.clock.advanceTo(next);
    }
    throw new ConformanceCheckError(`${what}: not seen within ${REAL_TURNS_LIMIT} turns of the event loop`);
  }

  /** Lets `ms` of virtual time pass with everything due in it run. */
  async pass(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    await this.until(() => this.clock.now() >= end && this.#queues.busyKeys() === 0, `${ms} ms passing`, ms + 1);
  }

  /** The stored Node, if any. */
  node(name: string): Node | undefined {
    return this.server.snapshot(NODES).find((n) => n.metadata?.name === name);
  }

  /** The stored Service, if any. */
  service(name: string, namespace = 'default'): Service | undefined {
    return this.server.snapshot(SERVICES).find((s) => s.metadata?.name === name && (s.metadata.namespace ?? 'default') === namespace);
  }

  /** Stops the manager (a SIGTERM) and lets it drain; closes what the provider left open. */
  async stop(): Promise<void> {
    this.#shutdown.abort(new Error('conformance case finished'));
    let finished = false;
    void this.#done.finally(() => (finished = true));
    await this.until(() => finished, 'the manager stopping', 120_000).catch(() => undefined);
    const closable = this.provider as { shutdown?: () => Promise<void> };
    if (typeof closable.shutdown === 'function') await closable.shutdown();
  }
}
