/**
 * The simulator's runner: a scenario against the real manager wiring (`buildManager` and
 * `ControllerManager`, as `outrigger run`) on a simulated API server and a virtual clock, deterministic given the seed.
 *
 * @module
 */
import { FakeCloudProvider } from '../../providers/fake/fake-provider.js';
import { FAKE_PROVIDER_NAME } from '../../providers/fake/register-fake-provider.js';
import { parseFakeConfig } from '../../providers/fake/fake-config.js';
import { LOCAL_PROVIDER_NAME, localProviderFactory } from '../../providers/local/register-local-provider.js';
import { defaultRegistry, ProviderRegistry } from '../../cloud/registry.js';
import type { JsonPatchOperation, KubeClient, ResourceClient } from '../../kube/client.js';
import { FakeClock } from '../../kube/clock.js';
import { KubeApiError, reasonForHttpStatus } from '../../kube/errors.js';
import { cloneJson } from '../../kube/json-value.js';
import { errorMessage } from '../../log/error-message.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import type { Verb } from '../../kube/memory/index.js';
import { EVENTS, LEASES, NODES, SERVICES } from '../../kube/resources.js';
import type { Event, KubeObject, ResourceType } from '../../kube/resources.js';
import { isInputError } from '../../cloud/input-error.js';
import { exitCodeFor } from '../../manager/exit.js';
import { describeStop } from '../../manager/stop-reason.js';
import type { StopReason } from '../../manager/stop-reason.js';
import { SimulationSetupError } from './simulation-setup-error.js';
import { advanceUntil, startManager } from './start-manager.js';
import { matchPartial } from '../scenario/index.js';
import type { Expectation, ScenarioFile, Step } from '../scenario/scenario-types.js';
import { CloudCallLog } from './cloud-call-log.js';
import { applyFakeCloudStep } from './cloud-steps.js';
import { QueueWatch } from './queue-watch.js';
import type { AnyObject, ExpectationResult, SettleResult, SimulationReport } from './report.js';
import { seededRandom, seededUid } from './seeded-random.js';

/** Progress of a run, reported while settling. */
export interface SimulationProgress {
  readonly virtualMs: number;
  readonly nodes: { readonly total: number; readonly initialised: number };
  readonly loadBalancers: { readonly services: number; readonly ensured: number };
}

/** Options of {@link runScenario}. */
export interface RunScenarioOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Include final objects, events, the fake cloud's state and the cloud call log in the report (default true). */
  readonly detail?: boolean;
  /** Called while settling, at most every `progressEveryMs` of virtual time. */
  readonly onProgress?: (p: SimulationProgress) => void;
  /** Virtual time between progress reports (default 1 s). */
  readonly progressEveryMs?: number;
  /** Receives the manager's log lines (klog text); discarded by default. */
  readonly log?: (line: string) => void;
  /** Wall time source for the report's `wallMs` (measurement only). */
  readonly wallNow?: () => number;
  /**
   * Called after the last step while the manager still runs (the local provider's listeners are
   * still bound), e.g. to send traffic or serve until Ctrl-C; the run stops when it resolves.
   */
  readonly whileRunning?: (live: LiveSimulation) => Promise<void>;
  /**
   * Providers the caller loaded (e.g. `outrigger simulate --provider-module`): the scenario's
   * `provider.name` may name one of them. Built-in `fake` and `local` are always there.
   */
  readonly registry?: ProviderRegistry;
  /**
   * The provider modules the caller allows a scenario to ask for in `manager.provider-module`
   * (they must already be loaded into `registry`). A scenario naming any other module is refused:
   * running a scenario someone else wrote must not run code they chose.
   */
  readonly allowedProviderModules?: readonly string[];
}

/** The running simulation handed to {@link RunScenarioOptions.whileRunning}. */
export interface LiveSimulation {
  /** The virtual clock every controller and the provider run on. */
  readonly clock: FakeClock;
  /** Virtual ms since the run started. */
  virtualMs(): number;
  /** The current objects of a kind (copies). */
  snapshot(kind: 'Node' | 'Service' | 'Event'): AnyObject[];
}

export { SimulationSetupError } from './simulation-setup-error.js';

/**
 * A scenario's own write that the simulated API refuses (an invalid label, a changed providerID,
 * a delete of an absent object) is a bad scenario: one line naming the step and the API's answer.
 */
async function refusedAsSetupError(where: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    throw new SimulationSetupError(`${where}: the API refused it: ${err.status} ${err.reason}: ${err.message}`, { cause: err });
  }
}

function describeObject(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind ?? 'object'} ${ns === undefined ? '' : `${ns}/`}${obj.metadata?.name ?? ''}`;
}

const UNINITIALIZED_TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
const KINDS: Readonly<Record<string, ResourceType>> = { Node: NODES, Service: SERVICES, Event: EVENTS, Lease: LEASES };
const WRITE_VERBS: ReadonlySet<string> = new Set(['create', 'update', 'patch', 'delete']);
const SHUTDOWN_STEP_MS = 1_000;
/** Virtual time the manager gets to lead and sync before the first step (a held Lease expires within it). */
const STARTUP_BUDGET_MS = 120_000;

function typeOf(kind: string): ResourceType {
  const type = KINDS[kind];
  if (type === undefined) throw new SimulationSetupError(`unknown kind ${JSON.stringify(kind)} (Node, Service, Event, Lease)`);
  return type;
}

function clientOf(kube: KubeClient, kind: string): ResourceClient<KubeObject> {
  return kube.resource(typeOf(kind));
}

function flagArgv(manager: ScenarioFile['manager']): string[] {
  return Object.entries(manager).map(([name, value]) => `--${name}=${Array.isArray(value) ? value.join(',') : String(value)}`);
}

function isNotFoundError(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}

/**
 * Creates `obj`, or replaces the existing one (spec and status), as `kubectl apply` would end up.
 * `created` (for the initial objects on a fresh server, where only what this run created exists)
 * holds the keys created so far: any other key is created without asking the server first.
 */
async function applyObject(kube: KubeClient, obj: KubeObject, created?: Set<string>): Promise<void> {
  const client = clientOf(kube, obj.kind ?? '');
  const type = client.type;
  const name = obj.metadata?.name ?? '';
  const namespace = type.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
  const key = namespace === undefined ? { name } : { namespace, name };
  const body: KubeObject = { ...obj, metadata: { ...obj.metadata, ...(namespace === undefined ? {} : { namespace }) } };
  const known = `${type.group}/${type.resource}/${namespace ?? ''}/${name}`;
  let written: KubeObject | undefined;
  if (created === undefined || created.has(known)) {
    try {
      const existing = await client.get(key);
      written = await client.update({ ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion ?? '' } });
    } catch (err) {
      if (!isNotFoundError(err)) throw err;
    }
  }
  if (written === undefined) {
    written = await client.create(body);
    created?.add(known);
  }
  const status = (obj as AnyObject)['status'];
  if (type.hasStatus && status !== undefined) {
    await client.updateStatus({ ...written, status } as KubeObject);
  }
}

/**
 * Patches like a user with `kubectl patch`, except that changes under `status` go through the
 * status subresource (as `--subresource=status`), since main-resource writes ignore status.
 */
async function patchObject(client: ResourceClient<KubeObject>, key: { namespace?: string; name: string }, type: 'merge' | 'strategic' | 'json', patch: unknown): Promise<void> {
  const splitStatus = client.type.hasStatus;
  if (type === 'json') {
    const ops = patch as JsonPatchOperation[];
    const isStatus = (op: JsonPatchOperation): boolean => splitStatus && (op.path === '/status' || op.path.startsWith('/status/'));
    const main = ops.filter((op) => !isStatus(op));
    const status = ops.filter(isStatus);
    if (main.length > 0 || status.length === 0) await client.patch(key, { type, body: main });
    if (status.length > 0) await client.patchStatus(key, { type, body: status });
    return;
  }
  const { status, ...rest } = patch as Record<string, unknown>;
  if (!splitStatus || status === undefined) {
    await client.patch(key, { type, body: patch as Record<string, unknown> });
    return;
  }
  if (Object.keys(rest).length > 0) await client.patch(key, { type, body: rest });
  await client.patchStatus(key, { type, body: { status } });
}

function nodeInitialised(node: AnyObject): boolean {
  const taints = ((node['spec'] as { taints?: { key?: string }[] } | undefined)?.taints ?? []);
  return !taints.some((t) => t.key === UNINITIALIZED_TAINT);
}

function isLbService(svc: AnyObject): boolean {
  return (svc['spec'] as { type?: string } | undefined)?.type === 'LoadBalancer';
}

function lbEnsured(svc: AnyObject): boolean {
  const ingress = (svc['status'] as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
  return ingress !== undefined && ingress.length > 0;
}

/**
 * Runs a scenario and returns its report. Steps: `apply` creates or replaces, `patch` and `delete`
 * act as a user would, `cloud` changes the fake cloud, `fault` injects API faults, `advance` moves
 * the virtual clock (timers and queues run), `settle` advances timer by timer until idle (see
 * {@link QueueWatch.idle}) or `within` passes, `expect` checks objects, cloud state and events.
 *
 * @example
 * ```ts
 * const report = await runScenario(loadScenario(text, 'nodes.yaml'));
 * if (!report.passed) process.exitCode = 1;
 * ```
 * @throws SimulationSetupError when the manager refuses the scenario's provider or flags.
 */
export async function runScenario(scenario: ScenarioFile, options: RunScenarioOptions = {}): Promise<SimulationReport> {
  const wallNow = options.wallNow ?? ((): number => performance.now());
  const wallStart = wallNow();
  const seed = options.seed ?? scenario.seed;
  const detail = options.detail ?? true;
  const clock = new FakeClock();
  const start = clock.now();
  // Separate streams so adding objects does not shift the manager's jitter, and vice versa.
  const random = seededRandom(seed);
  const cloudRandom = seededRandom(seed + 1);
  const server = new SimulatedApiServer({ clock, random: seededRandom(seed + 2), newUid: seededUid(seededRandom(seed + 3)) });
  const admin = server.client({ userAgent: 'simulator' });
  const created = new Set<string>();
  for (const [i, obj] of scenario.objects.entries()) await refusedAsSetupError(`objects[${i}] (${describeObject(obj)})`, () => applyObject(admin, obj, created));

  // The provider: by name through a registry, with the scenario's config handed over as its
  // cloud-config text (JSON unless the scenario gives a string).
  const registry = new ProviderRegistry();
  const callLog = new CloudCallLog(() => clock.now() - start, detail ? 10_000 : 0);
  const contents = scenario.provider.config === undefined ? undefined : typeof scenario.provider.config === 'string' ? scenario.provider.config : JSON.stringify(scenario.provider.config);
  let cloud: FakeCloudProvider | undefined;
  const name = scenario.provider.name;
  if (name === FAKE_PROVIDER_NAME) {
    registry.register(name, () => {
      const parsed = parseFakeConfig(contents, 'provider.config');
      // The runner reads only each call's method and time: keeping references (no deep copies)
      // and, without detail, no history at all keeps 10k-node runs small.
      cloud = new FakeCloudProvider({ callHistoryLimit: detail ? 10_000 : 0, ...parsed, name, clock, copyCallArgs: false });
      return callLog.wrap(cloud);
    });
  } else if (name === LOCAL_PROVIDER_NAME) {
    // Built here rather than from the default registry so its timers run on the virtual clock.
    const factory = localProviderFactory({ clock });
    registry.register(name, async (cfg) => callLog.wrap(await factory({ ...cfg, ...(contents === undefined ? {} : { contents }) })));
  } else if (options.registry?.has(name) === true) {
    const loaded = options.registry;
    registry.register(name, async (cfg) => callLog.wrap(await loaded.create(name, { ...cfg, ...(contents === undefined ? {} : { contents }) })));
  } else if (defaultRegistry.has(name)) {
    registry.register(name, async (cfg) => callLog.wrap(await defaultRegistry.create(name, { ...cfg, ...(contents === undefined ? {} : { contents }) })));
  }
  // A scenario's own provider-module flag: allowed only when the caller loaded it (above), and
  // then not loaded a second time by the manager.
  const { 'provider-module': scenarioModules, ...managerFlags } = scenario.manager as Record<string, unknown>;
  const asked = (Array.isArray(scenarioModules) ? (scenarioModules as unknown[]) : scenarioModules === undefined ? [] : [scenarioModules]).map((m) =>
    typeof m === 'string' ? m : JSON.stringify(m),
  );
  const refused = asked.filter((m) => !(options.allowedProviderModules ?? []).includes(m));
  if (refused.length > 0) {
    throw new SimulationSetupError(
      `manager.provider-module: the scenario asks to load ${refused.map((m) => JSON.stringify(m)).join(', ')}; a scenario runs no code of its own — load it yourself with --provider-module ${refused.map((m) => JSON.stringify(m)).join(' --provider-module ')}`,
    );
  }

  const watch = new QueueWatch();
  const stop = new AbortController();
  const log = (text: string): void => options.log?.(text);
  // The same parts and controller manager as `outrigger run`, composed here with in-process
  // clients; the simulator sees why the manager stopped, not just an exit code.
  const manager = await startManager({
    argv: [`--cloud-provider=${name}`, '--secure-port=0', ...flagArgv(managerFlags as ScenarioFile['manager'])],
    registry,
    clock,
    random,
    log,
    kubeClientFor: (userAgent) => server.client({ userAgent }),
    workQueueMetrics: watch,
  });
  let stopReason: StopReason | undefined;
  const managerDone = manager.run(stop.signal).then((reason) => {
    stopReason = reason;
    return reason;
  });
  // Steps begin once the manager leads, the provider initialised and the caches synced: a step
  // that outran start-up would watch a manager that has not done anything yet.
  const running = await advanceUntil(clock, manager.whenRunning(), STARTUP_BUDGET_MS);
  if (running !== true) {
    stop.abort(new Error('the manager did not start'));
    for (let i = 0; i < 120 && stopReason === undefined; i++) await clock.advance(SHUTDOWN_STEP_MS);
    const why = manager.stopReason;
    throw new SimulationSetupError(
      why === undefined || why.kind === 'shutdown'
        ? `the manager was not running within ${STARTUP_BUDGET_MS / 1000}s of virtual time (leading, provider initialised, caches synced)`
        : `the manager did not start: ${why.kind === 'failed' && isInputError(why.error) ? errorMessage(why.error) : describeStop(why)}`,
    );
  }

  const expectations: ExpectationResult[] = [];
  const settles: SettleResult[] = [];

  const progress = (): SimulationProgress => {
    // Read without copying: the stored objects are frozen.
    const nodes = server.objects(NODES) as readonly AnyObject[];
    const services = (server.objects(SERVICES) as readonly AnyObject[]).filter(isLbService);
    return {
      virtualMs: clock.now() - start,
      nodes: { total: nodes.length, initialised: nodes.filter(nodeInitialised).length },
      loadBalancers: { services: services.length, ensured: services.filter(lbEnsured).length },
    };
  };

  const settle = async (within: number): Promise<boolean> => {
    const deadline = clock.now() + within;
    const every = options.progressEveryMs ?? 1_000;
    let lastProgress = -Infinity;
    for (;;) {
      await clock.advance(0);
      if (options.onProgress !== undefined && clock.now() - lastProgress >= every) {
        lastProgress = clock.now();
        options.onProgress(progress());
      }
      if (watch.idle()) return true;
      const next = clock.nextTimerAt();
      if (next === undefined || next > deadline) {
        await clock.advanceTo(deadline);
        return watch.idle();
      }
      await clock.advanceTo(next);
    }
  };

  const evaluate = (e: Expectation): { description: string; ok: boolean; mismatches: string[] } => {
    if ('cloud' in e) {
      if (cloud === undefined) return { description: 'cloud', ok: false, mismatches: ['cloud expectations need the fake provider'] };
      const actual = { instances: cloud.listInstances(), loadBalancers: cloud.loadBalancers(), routes: cloud.routesState() };
      const r = matchPartial(cloneJson(actual, { shareFrozenArrays: true }), e.cloud, e.listMode);
      return { description: 'cloud', ...r };
    }
    if ('event' in e) {
      const want = e.event;
      const events = server.objects(EVENTS).filter((ev: Readonly<Event>) =>
        ev.reason === want.reason &&
        (want.type === undefined || ev.type === want.type) &&
        (want.object === undefined ||
          (ev.involvedObject.kind === want.object.kind && ev.involvedObject.name === want.object.name && (want.object.namespace === undefined || ev.involvedObject.namespace === want.object.namespace))) &&
        (want.messageContains === undefined || (ev.message ?? '').includes(want.messageContains)),
      );
      const count = events.reduce((n, ev) => n + (ev.count ?? 1), 0);
      const min = want.minCount ?? 1;
      const mismatches: string[] = [];
      if (count < min) mismatches.push(`expected at least ${min} matching event(s), got ${count}`);
      if (want.maxCount !== undefined && count > want.maxCount) mismatches.push(`expected at most ${want.maxCount} matching event(s), got ${count}`);
      return { description: `event ${want.reason}${want.object === undefined ? '' : ` on ${want.object.kind} ${want.object.name}`}`, ok: mismatches.length === 0, mismatches };
    }
    const type = typeOf(e.kind);
    const namespace = type.namespaced ? (e.namespace ?? 'default') : undefined;
    const description = `${e.kind} ${namespace === undefined ? '' : `${namespace}/`}${e.name}`;
    const found = (server.objects(type) as readonly AnyObject[]).find((o) => o.metadata?.name === e.name && (namespace === undefined || o.metadata?.namespace === namespace));
    if (e.absent === true) return { description, ok: found === undefined, mismatches: found === undefined ? [] : ['expected the object to be absent, it exists'] };
    if (found === undefined) return { description, ok: false, mismatches: ['object not found'] };
    return { description, ...matchPartial(found, e.match ?? {}, e.listMode) };
  };

  const runStep = async (step: Step, index: number): Promise<void> => {
    if ('apply' in step) {
      for (const obj of step.apply) await applyObject(admin, obj);
    } else if ('patch' in step) {
      const p = step.patch;
      const type = typeOf(p.kind);
      const key = type.namespaced ? { namespace: p.namespace ?? 'default', name: p.name } : { name: p.name };
      await patchObject(admin.resource(type), key, p.type, p.patch);
    } else if ('delete' in step) {
      const d = step.delete;
      const type = typeOf(d.kind);
      await admin.resource(type).delete(type.namespaced ? { namespace: d.namespace ?? 'default', name: d.name } : { name: d.name });
    } else if ('cloud' in step) {
      if (cloud === undefined) throw new SimulationSetupError(`steps[${index}].cloud: cloud steps need the fake provider`);
      applyFakeCloudStep(cloud, step.cloud, cloudRandom, `steps[${index}].cloud`);
    } else if ('fault' in step) {
      const f = step.fault;
      if (f.api !== undefined) {
        const a = f.api;
        const status = a.status ?? 500;
        server.faults.inject({
          ...(a.verb === undefined ? {} : { verb: a.verb as Verb }),
          ...(a.resource === undefined ? {} : { resource: a.resource }),
          times: a.times ?? Infinity,
          ...(a.latency === undefined ? {} : { latencyMs: a.latency }),
          ...(a.latency !== undefined && a.status === undefined && a.reason === undefined && a.message === undefined
            ? {}
            : { error: () => new KubeApiError(status, (a.reason ?? reasonForHttpStatus(status)) as never, a.message ?? 'injected by the simulator') }),
        });
      }
      if (f.compactHistory === true) server.compactHistory();
      if (f.dropWatches === true) server.faults.closeWatches();
    } else if ('advance' in step) {
      await clock.advance(step.advance);
    } else if ('settle' in step) {
      const before = clock.now();
      const settled = await settle(step.settle.within);
      settles.push({ step: index, settled, virtualMs: clock.now() - before, ...(settled ? {} : { busy: watch.describeBusy() }) });
    } else {
      step.expect.forEach((e, i) => {
        expectations.push({ step: index, index: i, ...evaluate(e) });
      });
    }
  };

  let stoppedEarly: StopReason | undefined;
  try {
    for (const [index, step] of scenario.steps.entries()) {
      await refusedAsSetupError(`steps[${index}]`, () => runStep(step, index));
      if (stopReason !== undefined) break;
    }
    if (options.whileRunning !== undefined && stopReason === undefined) {
      await options.whileRunning({ clock, virtualMs: () => clock.now() - start, snapshot: (kind) => server.snapshot(typeOf(kind)) as AnyObject[] });
    }
  } finally {
    // Whether the manager stopped on its own is known only before we stop it.
    stoppedEarly = manager.stopReason;
    stop.abort(new Error('simulation finished'));
    for (let i = 0; i < 120 && stopReason === undefined; i++) await clock.advance(SHUTDOWN_STEP_MS);
  }
  await Promise.race([managerDone, Promise.resolve(undefined)]);

  const virtualMs = clock.now() - start;
  const counts = new Map<string, { verb: string; resource: string; count: number }>();
  let apiWrites = 0;
  for (const c of server.requestCounts()) {
    if (c.userAgent === 'simulator') continue;
    const key = `${c.verb} ${c.resource}`;
    const entry = counts.get(key) ?? { verb: c.verb, resource: c.resource, count: 0 };
    entry.count += c.count;
    counts.set(key, entry);
    if (WRITE_VERBS.has(c.verb) && !c.resource.startsWith('leases') && !c.resource.startsWith('events')) apiWrites += c.count;
  }
  const byMethod = callLog.counts();
  const totalCalls = Object.values(byMethod).reduce((n, c) => n + c, 0);
  const p = progress();
  const fake = cloud;
  return {
    name: scenario.name,
    seed,
    passed: expectations.every((e) => e.ok) && settles.every((s) => s.settled) && stoppedEarly === undefined,
    expectations,
    settles,
    ...(detail
      ? {
          objects: { nodes: server.snapshot(NODES), services: server.snapshot(SERVICES), leases: server.snapshot(LEASES) },
          events: server.snapshot(EVENTS),
          cloudCallLog: callLog.entries(),
        }
      : {}),
    // With the objects only: as JSON, 10,000 load balancers × 10,000 backend names would be 10⁸
    // strings, more than one string can hold.
    ...(fake === undefined || !detail
      ? {}
      : { cloud: cloneJson({ instances: fake.listInstances(), loadBalancers: fake.loadBalancers(), routes: fake.routesState() }, { shareFrozenArrays: true }) }),
    cloudCalls: { total: totalCalls, byMethod },
    apiRequests: [...counts.values()],
    apiWrites,
    nodes: p.nodes,
    loadBalancers: p.loadBalancers,
    virtualMs,
    wallMs: Math.round(wallNow() - wallStart),
    ...(stoppedEarly === undefined ? {} : { managerExit: exitCodeFor(stoppedEarly), managerStopped: describeStop(stoppedEarly) }),
  };
}
