/**
 * The simulator's runner: a scenario against the real manager wiring (`buildManager` and
 * `ControllerManager`, as `outrigger run`) on a simulated API server and a virtual clock,
 * deterministic given the seed. One manager replica, or several sharing the API server, the
 * cloud and the clock, each in a simulated process that steps may kill, pause and resume.
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { FakeCloudProvider } from '../../providers/fake/fake-provider.js';
import { FAKE_PROVIDER_NAME } from '../../providers/fake/register-fake-provider.js';
import { parseFakeConfig } from '../../providers/fake/fake-config.js';
import { LOCAL_PROVIDER_NAME, localProviderFactory } from '../../providers/local/register-local-provider.js';
import { defaultRegistry, ProviderRegistry } from '../../cloud/registry.js';
import type { ProviderConfig } from '../../cloud/registry.js';
import type { CloudProvider } from '../../cloud/provider.js';
import type { JsonPatchOperation, KubeClient, ResourceClient } from '../../kube/client.js';
import { FakeClock } from '../../kube/clock.js';
import { KubeApiError, reasonForHttpStatus } from '../../kube/errors.js';
import { cloneJson } from '../../kube/json-value.js';
import { errorMessage } from '../../log/error-message.js';
import { oneLine } from '../../input/one-line.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import type { Verb } from '../../kube/memory/index.js';
import { EVENTS, LEASES, NODES, SERVICES } from '../../kube/resources.js';
import type { KubeObject, Lease, ResourceType } from '../../kube/resources.js';
import { isInputError } from '../../cloud/input-error.js';
import { describeStop } from '../../manager/stop-reason.js';
import { SimulationSetupError } from './simulation-setup-error.js';
import { startManager } from './start-manager.js';
import { formatPath } from '../scenario/field-path.js';
import type { ReplicaAction, ScenarioFile, Step } from '../scenario/scenario-types.js';
import { evaluateExpectation } from './evaluate-expectation.js';
import type { ExpectationContext } from './evaluate-expectation.js';
import { CloudCallLog } from './cloud-call-log.js';
import { applyFakeCloudStep, CloudStepError } from './cloud-steps.js';
import { gatedKubeClient } from './process-gate.js';
import { LeaseHolders, Replica } from './replica.js';
import type { AnyObject, ExpectationResult, ReplicaReport, SettleResult, SimulationReport } from './report.js';
import { refusedScenarioFlag } from './scenario-flags.js';
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
   * Objects to create before the manager starts, after the scenario's own: read once, one at a
   * time, so a large generated cluster (`generateClusterObjects`) is never held outside the
   * simulated API.
   */
  readonly initialObjects?: Iterable<KubeObject>;
  /**
   * Called after the last step while a manager still runs (the local provider's listeners are
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
  /**
   * Manager flags from whoever runs the simulator, by name without dashes — trusted, so they may
   * name files (`{ 'cloud-config': '/etc/cloud.yaml' }`), which a scenario's own `manager` may not
   * (see `REFUSED_SCENARIO_FLAGS`). They come after the scenario's flags.
   */
  readonly managerFlags?: Readonly<Record<string, string>>;
  /**
   * Whether the scenario may use the `local` provider, which binds this host's addresses (its
   * pools) for every LoadBalancer Service (default true; `outrigger simulate` asks for
   * `--allow-local-provider` before it runs a scenario file that does).
   */
  readonly allowLocalProvider?: boolean;
  /** Bound of virtual work (default {@link MAX_TIMER_INSTANTS}); past it the run is refused at the step. */
  readonly maxTimerInstants?: number;
}

/** The running simulation handed to {@link RunScenarioOptions.whileRunning}. */
export interface LiveSimulation {
  /** The virtual clock every controller and the provider run on. */
  readonly clock: FakeClock;
  /** Virtual ms since the run started. */
  virtualMs(): number;
  /** The current objects of a kind (copies). */
  snapshot(kind: 'Node' | 'Service' | 'Event'): AnyObject[];
  /** The folder the run owns, where the scenario's paths resolve (removed after the run); absent when it names none. */
  readonly runFolder?: string;
}

export { SimulationSetupError } from './simulation-setup-error.js';

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
/**
 * Most instants of virtual work one run may take (an instant fires every timer due at one
 * virtual time). A day of an idle three-replica cluster takes ~106,000 (~3 s), 10,000 nodes and
 * 10,000 Services converging take 2; a day with 1 ms periods would take 86 million (hours).
 */
export const MAX_TIMER_INSTANTS = 1_000_000;
/** Event loop turns a real provider call under way gets before virtual time moves on (see realCallsSettle). */
const REAL_IO_TURNS = 10_000;
/** The user agent of the simulator's own requests (setup and steps), left out of the report's counts. */
const SIMULATOR_USER_AGENT = 'simulator';

function typeOf(kind: string): ResourceType {
  const type = KINDS[kind];
  if (type === undefined) throw new SimulationSetupError(`unknown kind ${JSON.stringify(kind)} (Node, Service, Event, Lease)`);
  return type;
}

function clientOf(kube: KubeClient, kind: string): ResourceClient<KubeObject> {
  return kube.resource(typeOf(kind));
}

function flagArgv(flags: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(flags).map(([name, value]) => `--${name}=${Array.isArray(value) ? value.join(',') : String(value)}`);
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
 * status subresource (as `--subresource=status`), since main-resource writes ignore status. The
 * body's shape matches its type (the scenario schema checks it).
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
  const taints = (node['spec'] as { taints?: { key?: string }[] } | undefined)?.taints;
  return taints === undefined || !taints.some((t) => t.key === UNINITIALIZED_TAINT);
}

function isLbService(svc: AnyObject): boolean {
  return (svc['spec'] as { type?: string } | undefined)?.type === 'LoadBalancer';
}

function lbEnsured(svc: AnyObject): boolean {
  const ingress = (svc['status'] as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
  return ingress !== undefined && ingress.length > 0;
}

type FieldPath = (string | number)[];

/**
 * `path` as messages name it: `file:line:column path` for a loaded scenario, the path alone for
 * one built in code.
 */
function placeOf(scenario: ScenarioFile, path: FieldPath): string {
  const source = scenario.source;
  const name = formatPath(path);
  if (source === undefined) return name;
  const pos = source.position(path);
  return `${source.file}${pos === undefined ? '' : `:${pos.line}:${pos.column}`}${name === '' ? '' : ` ${name}`}`;
}

/**
 * A scenario's own write that the simulated API refuses (an invalid label, a changed providerID,
 * a delete of an absent object) is a bad scenario: one line naming the place and the API's answer.
 */
async function refusedAsSetupError(where: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    throw new SimulationSetupError(oneLine(`${where}: the API refused it: ${err.status} ${err.reason}: ${err.message}`), { cause: err });
  }
}

/** A path a scenario names, inside the run's own folder; undefined when it would climb out. */
function insideRunFolder(folder: string, path: string): string | undefined {
  const target = resolve(folder, isAbsolute(path) ? `.${path}` : path);
  const rel = relative(folder, target);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? undefined : target;
}

/** The provider config as a plain value when it is a mapping (inline, or YAML/JSON text); else undefined. */
async function configMapping(config: unknown): Promise<Record<string, unknown> | undefined> {
  let value = config;
  if (typeof config === 'string') {
    // Only the local provider's text config gets here: its parser (yaml, zod) is loaded on use.
    const { parseYamlConfig } = await import('../../input/yaml-config.js');
    try {
      value = parseYamlConfig(config).value;
    } catch {
      // The provider reports a config it cannot parse, at its own line.
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Runs a scenario and returns its report. Steps: `apply` creates or replaces, `patch` and `delete`
 * act as a user would, `cloud` changes the fake cloud, `fault` injects API faults, `advance` moves
 * the virtual clock (timers and queues run), `settle` advances timer by timer until idle (see
 * {@link QueueWatch.idle}) or `within` passes, `replica` kills, pauses or resumes a manager
 * replica, `expect` checks objects, replicas, cloud state and events. A replica that stops on its
 * own fails the run unless a `manager` expectation asked for that stop.
 *
 * @example
 * ```ts
 * const report = await runScenario(loadScenario(text, 'nodes.yaml'));
 * if (!report.passed) process.exitCode = 1;
 * ```
 * @throws SimulationSetupError when the scenario cannot run: the manager refuses its provider or
 * flags, it sets a flag only the command line may, the API refuses one of its own writes.
 */
export async function runScenario(scenario: ScenarioFile, options: RunScenarioOptions = {}): Promise<SimulationReport> {
  const wallNow = options.wallNow ?? ((): number => performance.now());
  const wallStart = wallNow();
  const seed = options.seed ?? scenario.seed;
  const detail = options.detail ?? true;
  const count = scenario.replicas ?? 1;
  const name = scenario.provider.name;
  const at = (path: FieldPath): string => placeOf(scenario, path);

  // What only whoever runs the simulator may choose: code, files, ports, this host's addresses.
  const refusal = refusedScenarioFlag(scenario.manager, options.allowedProviderModules ?? []);
  if (refusal !== undefined) throw new SimulationSetupError(oneLine(`${at(['manager', refusal.flag])}: ${refusal.message}`));
  if (name === LOCAL_PROVIDER_NAME && options.allowLocalProvider === false) {
    throw new SimulationSetupError(
      `${at(['provider', 'name'])}: the local provider binds this host's addresses (its pools) for every LoadBalancer Service; run a scenario that uses it with --allow-local-provider`,
    );
  }
  if (name === LOCAL_PROVIDER_NAME && count > 1) {
    throw new SimulationSetupError(`${at(['replicas'])}: the local provider's load balancers belong to one process (they bind this host's addresses); run one replica with it`);
  }
  if (options.managerFlags?.['cloud-config'] !== undefined && scenario.provider.config !== undefined) {
    throw new SimulationSetupError(`${at(['provider', 'config'])}: the provider's config is given twice (here and with --cloud-config); keep one`);
  }

  let folder: string | undefined;
  try {
    // Paths a scenario names resolve inside a folder the run owns and removes.
    let config = scenario.provider.config;
    const mapping = name === LOCAL_PROVIDER_NAME ? await configMapping(config) : undefined;
    if (mapping !== undefined && typeof mapping['stateFile'] === 'string') {
      folder = await mkdtemp(join(tmpdir(), 'outrigger-simulate-'));
      const inside = insideRunFolder(folder, mapping['stateFile']);
      if (inside === undefined) {
        throw new SimulationSetupError(`${at(['provider', 'config', 'stateFile'])}: ${JSON.stringify(mapping['stateFile'])} leaves the run's own folder; paths in a scenario resolve inside a temporary folder the run removes afterwards`);
      }
      config = { ...mapping, stateFile: inside };
    }
    return await runInFolder(scenario, options, { wallNow, wallStart, seed, detail, count, config, folder });
  } finally {
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  }
}

interface RunSettings {
  readonly wallNow: () => number;
  readonly wallStart: number;
  readonly seed: number;
  readonly detail: boolean;
  readonly count: number;
  /** The provider's config, its paths already inside the run's folder. */
  readonly config: unknown;
  /** That folder, when there is one. */
  readonly folder: string | undefined;
}

/**
 * Creates the scenario's objects, then `initial`'s, before the manager starts. A function of its
 * own so the keys it remembers (`created`) are not kept by the run's closures for the whole run.
 */
async function seedObjects(admin: KubeClient, objects: readonly KubeObject[], initial: Iterable<KubeObject>, at: (path: FieldPath) => string): Promise<void> {
  const created = new Set<string>();
  for (const [i, obj] of objects.entries()) await refusedAsSetupError(`${at(['objects', i])} (${describeObject(obj)})`, () => applyObject(admin, obj, created));
  let extra = 0;
  for (const obj of initial) {
    await refusedAsSetupError(`initial object ${extra++} (${describeObject(obj)})`, () => applyObject(admin, obj, created));
  }
}

async function runInFolder(scenario: ScenarioFile, options: RunScenarioOptions, settings: RunSettings): Promise<SimulationReport> {
  const { wallNow, wallStart, seed, detail, count } = settings;
  const at = (path: FieldPath): string => placeOf(scenario, path);
  const clock = new FakeClock();
  const start = clock.now();
  const elapsed = (): number => clock.now() - start;
  // Separate streams so adding objects does not shift the manager's jitter, and vice versa.
  const cloudRandom = seededRandom(seed + 1);
  const server = new SimulatedApiServer({ clock, random: seededRandom(seed + 2), newUid: seededUid(seededRandom(seed + 3)) });
  const admin = server.client({ userAgent: SIMULATOR_USER_AGENT });
  await seedObjects(admin, scenario.objects, options.initialObjects ?? [], at);

  // The provider: by name through a registry, with the scenario's config handed over as its
  // cloud-config text (JSON unless the scenario gives a string). The fake is one cloud that every
  // replica talks to; other providers get an instance per replica, as separate processes would.
  const callLog = new CloudCallLog(elapsed, detail ? 10_000 : 0);
  let contents = settings.config === undefined ? undefined : typeof settings.config === 'string' ? settings.config : JSON.stringify(settings.config);
  const withContents = (cfg: ProviderConfig): ProviderConfig => (contents === undefined ? cfg : { ...cfg, contents });
  const name = scenario.provider.name;
  let cloud: FakeCloudProvider | undefined;
  const registryFor = (replica: Replica): ProviderRegistry => {
    const registry = new ProviderRegistry();
    const caller = { gate: replica.gate, ...(count > 1 ? { replica: replica.index } : {}) };
    const wrap = (provider: CloudProvider): CloudProvider => callLog.wrap(provider, caller);
    if (name === FAKE_PROVIDER_NAME) {
      registry.register(name, (cfg) => {
        if (cloud === undefined) {
          const parsed = contents === undefined ? parseFakeConfig(cfg.contents, cfg.path) : parseFakeConfig(contents, 'provider.config');
          // The runner reads only each call's method and time: keeping references (no deep copies)
          // and, without detail, no history at all keeps 10k-node runs small.
          cloud = new FakeCloudProvider({ callHistoryLimit: detail ? 10_000 : 0, ...parsed, name, clock, copyCallArgs: false });
          // Every replica shares this cloud: its config text (megabytes at 10,000 Nodes) is done with.
          contents = undefined;
        }
        return wrap(cloud);
      });
    } else if (name === LOCAL_PROVIDER_NAME) {
      // Built here rather than from the default registry so its timers run on the virtual clock.
      const factory = localProviderFactory({ clock: replica.clock });
      registry.register(name, async (cfg) => wrap(await factory(withContents(cfg))));
    } else if (options.registry?.has(name) === true) {
      const loaded = options.registry;
      registry.register(name, async (cfg) => wrap(await loaded.create(name, withContents(cfg))));
    } else if (defaultRegistry.has(name)) {
      registry.register(name, async (cfg) => wrap(await defaultRegistry.create(name, withContents(cfg))));
    }
    return registry;
  };

  // A scenario's own provider-module flag was allowed above only when the caller loaded it: it is
  // not loaded a second time by the manager.
  const { 'provider-module': _loaded, ...scenarioFlags } = scenario.manager;
  const argv = [`--cloud-provider=${name}`, '--secure-port=0', ...flagArgv(scenarioFlags), ...flagArgv(options.managerFlags ?? {})];
  const log = (text: string): void => options.log?.(text);

  const replicas = Array.from({ length: count }, (_, i) => new Replica(i, count, clock, elapsed));
  let holders: LeaseHolders | undefined;
  let electing = false;
  // The same parts and controller manager as `outrigger run`, composed here with in-process
  // clients; the simulator sees why a manager stopped, not just an exit code.
  for (const replica of replicas) {
    const gated = (userAgent: string): KubeClient =>
      gatedKubeClient(server.client({ userAgent }), replica.gate, {
        onRequest: (verb, resource) => replica.noteRequest(verb, resource, clock.now()),
        onWrite: (resource) => {
          if (resource === LEASES.resource) {
            holders?.observe();
            return;
          }
          replica.writes++;
          const holder = holders?.holder;
          if (holder !== undefined && holder !== replica.identity) replica.deposedWrites++;
        },
      });
    const started = await startManager({
      argv,
      identity: replica.identity,
      registry: registryFor(replica),
      clock: replica.clock,
      // Replica 0 keeps the stream a one-replica run always had.
      random: seededRandom(replica.index === 0 ? seed : seed + 4 + replica.index),
      log: options.log === undefined ? undefined : count === 1 ? log : (text) => log(`[${replica.identity}] ${text}`),
      kubeClientFor: gated,
      workQueueMetrics: replica.queues,
    }).catch((err: unknown) => {
      throw placeFlagError(err, scenario, at);
    });
    if (holders === undefined) {
      const lease = started.lease;
      electing = lease !== undefined;
      holders = new LeaseHolders(() => {
        if (lease === undefined) return undefined;
        const found = server.objects<Lease>(LEASES).find((l) => l.metadata?.namespace === lease.namespace && l.metadata.name === lease.name);
        const holder = found?.spec?.holderIdentity;
        return holder === undefined || holder === null || holder === '' ? undefined : holder;
      }, elapsed);
    }
    replica.prepare(started.manager);
  }
  const leases = holders as LeaseHolders;
  for (const replica of replicas) replica.start();

  // A provider other than the fake does real I/O (files, sockets, its cloud's API) that virtual
  // time does not wait for: before time moves on, calls under way get a bounded number of event
  // loop turns to finish, so that, e.g., reading a state file does not look like a provider that
  // never initialises. (The fake's calls wait on virtual time only.)
  const realCallsSettle = async (): Promise<void> => {
    if (name === FAKE_PROVIDER_NAME) return;
    for (let turn = 0; turn < REAL_IO_TURNS && callLog.inFlight() > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  // Virtual work is bounded: a scenario with tiny periods and long durations would otherwise run
  // for hours. Time moves instant by instant (each instant fires every timer due then), counted.
  let instants = 0;
  const maxInstants = options.maxTimerInstants ?? MAX_TIMER_INSTANTS;
  let current: FieldPath = [];
  const tick = async (to: number): Promise<void> => {
    await realCallsSettle();
    await clock.advanceTo(to);
    if (++instants > maxInstants) {
      throw new SimulationSetupError(
        `${at(current)}: the run needs more than ${maxInstants.toLocaleString('en-US')} instants of virtual work (timers firing at distinct times); shorten the advance or settle steps, or lengthen the manager's periods`,
      );
    }
  };
  // Steps begin once a replica leads, its provider initialised and its caches synced: a step that
  // outran start-up would watch a manager that has not done anything yet.
  const anyRunning = new Promise<boolean>((resolveRunning) => {
    let pending = replicas.length;
    for (const r of replicas) {
      void r.manager.whenRunning().then((ok) => {
        if (ok) resolveRunning(true);
        else if (--pending === 0) resolveRunning(false);
      });
    }
  });
  let started: boolean | undefined;
  void anyRunning.then((ok) => (started = ok));
  const startBy = clock.now() + STARTUP_BUDGET_MS;
  for (;;) {
    await realCallsSettle();
    await clock.advance(0);
    if (started !== undefined) break;
    const next = clock.nextTimerAt();
    if (next === undefined || next > startBy) {
      await clock.advanceTo(startBy);
      break;
    }
    await tick(next);
  }
  const running = started;
  leases.observe();
  if (running !== true) {
    const stops = replicas.map((r) => r.stopReason);
    const refused = stops.find((why) => why?.kind === 'failed' && isInputError(why.error));
    // Bad input (a flag the manager refuses, a provider config it cannot parse) or no start at
    // all is a scenario that cannot run; a manager that failed otherwise is a result (below).
    if (running === undefined || refused !== undefined) {
      await shutDownAll(clock, replicas);
      const why = refused ?? stops.find((w) => w !== undefined && w.kind !== 'shutdown');
      throw new SimulationSetupError(
        why === undefined
          ? `the manager was not running within ${STARTUP_BUDGET_MS / 1000}s of virtual time (leading, provider initialised, caches synced)`
          : `the manager did not start: ${why.kind === 'failed' && isInputError(why.error) ? errorMessage(why.error) : describeStop(why)}`,
      );
    }
  }

  const expectations: ExpectationResult[] = [];
  const settles: SettleResult[] = [];

  // Counted in place, polled every virtual second: no list of 10,000 objects built for a count.
  const progress = (): SimulationProgress => ({
    virtualMs: elapsed(),
    nodes: { total: server.count(NODES), initialised: server.count(NODES, (n) => nodeInitialised(n as AnyObject)) },
    loadBalancers: {
      services: server.count(SERVICES, (s) => isLbService(s as AnyObject)),
      ensured: server.count(SERVICES, (s) => isLbService(s as AnyObject) && lbEnsured(s as AnyObject)),
    },
  });

  // Idle: every replica that runs has no work owed, and — under leader election, while any
  // replica runs — a running replica leads with synced caches: a failover under way (the Lease
  // still names a killed or paused leader, a new leader still syncing) is work owed too. A paused,
  // killed or stopped replica is not waited for (its queues cannot move).
  const leaderReady = (): boolean => {
    if (!electing || !replicas.some((r) => r.active)) return true;
    leases.observe();
    return replicas.some((r) => r.active && r.ready && leases.holder === r.identity);
  };
  const idle = (): boolean => replicas.every((r) => !r.active || r.queues.idle()) && leaderReady();
  const busy = (): string[] => [
    ...(leaderReady() ? [] : [`leader election: the Lease names ${leases.holder === undefined ? 'no holder' : leases.holder}; no running replica leads with synced caches yet`]),
    ...replicas.filter((r) => r.active).flatMap((r) => r.queues.describeBusy().map((b) => (count === 1 ? b : `${r.identity}: ${b}`))),
  ];

  const advanceBy = async (ms: number): Promise<void> => {
    const target = clock.now() + ms;
    for (let next = clock.nextTimerAt(); next !== undefined && next <= target; next = clock.nextTimerAt()) await tick(next);
    await clock.advanceTo(target);
  };

  // A step's own request may wait on virtual time (a `fault` with latency applies to it too):
  // time moves on while it is pending, as it would for a user's kubectl.
  const driven = async (request: Promise<void>): Promise<void> => {
    let done = false;
    const settled = request.then(
      () => (done = true),
      () => (done = true),
    );
    for (;;) {
      await clock.advance(0);
      if (done) return request;
      const next = clock.nextTimerAt();
      if (next === undefined) {
        await settled;
        return request;
      }
      await tick(next);
    }
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
      if (idle()) return true;
      const next = clock.nextTimerAt();
      if (next === undefined || next > deadline) {
        await clock.advanceTo(deadline);
        return idle();
      }
      await tick(next);
    }
  };

  const expectationContext = (): ExpectationContext => ({ server, cloud, replicas, leases });

  const replicaStep = async (action: ReplicaAction, index: number): Promise<void> => {
    const [verb, which] = Object.entries(action)[0] as ['kill' | 'pause' | 'resume', number];
    const where = at(['steps', index, 'replica', verb]);
    const replica = replicas[which];
    if (replica === undefined) throw new SimulationSetupError(`${where}: no replica ${which}: the scenario runs ${count}`);
    if (!replica.alive) throw new SimulationSetupError(`${where}: cannot ${verb} replica ${which}: it is ${replica.describeState()} already`);
    const state = replica.gate.state;
    if ((verb === 'pause' && state === 'paused') || (verb === 'resume' && state !== 'paused')) {
      throw new SimulationSetupError(`${where}: cannot ${verb} replica ${which}: it is ${replica.describeState()}`);
    }
    // What was due at this instant runs first: the process stops at a quiet point of it.
    await clock.advance(0);
    if (verb === 'kill') replica.kill();
    else if (verb === 'pause') replica.pause();
    else await replica.resume();
  };

  const runStep = async (step: Step, index: number): Promise<void> => {
    if ('apply' in step) {
      for (const [i, obj] of step.apply.entries()) await refusedAsSetupError(`${at(['steps', index, 'apply', i])} (${describeObject(obj)})`, () => driven(applyObject(admin, obj)));
    } else if ('patch' in step) {
      const p = step.patch;
      const type = typeOf(p.kind);
      const key = type.namespaced ? { namespace: p.namespace ?? 'default', name: p.name } : { name: p.name };
      await refusedAsSetupError(at(['steps', index, 'patch']), () => driven(patchObject(admin.resource(type), key, p.type, p.patch)));
    } else if ('delete' in step) {
      const d = step.delete;
      const type = typeOf(d.kind);
      await refusedAsSetupError(at(['steps', index, 'delete']), () => driven(admin.resource(type).delete(type.namespaced ? { namespace: d.namespace ?? 'default', name: d.name } : { name: d.name })));
    } else if ('cloud' in step) {
      const where = `steps[${index}].cloud`;
      if (cloud === undefined) throw new SimulationSetupError(`${at(['steps', index, 'cloud'])}: cloud steps need the fake provider`);
      try {
        applyFakeCloudStep(cloud, step.cloud, cloudRandom, where);
      } catch (err) {
        if (!(err instanceof CloudStepError)) throw err;
        // The step's own message names the field inside it; put the step's line in front.
        const place = at(['steps', index, 'cloud']);
        const prefix = place.endsWith(where) && err.message.startsWith(where) ? place.slice(0, -where.length) : '';
        throw new SimulationSetupError(oneLine(`${prefix}${err.message}`), { cause: err });
      }
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
      await advanceBy(step.advance);
    } else if ('settle' in step) {
      const before = clock.now();
      const settled = await settle(step.settle.within);
      settles.push({ step: index, settled, virtualMs: clock.now() - before, ...(settled ? {} : { busy: busy() }) });
    } else if ('replica' in step) {
      await replicaStep(step.replica, index);
    } else {
      step.expect.forEach((e, i) => {
        leases.observe();
        expectations.push({ step: index, index: i, ...evaluateExpectation(e, expectationContext()) });
      });
    }
  };

  // How each replica stands at the end of the steps: whether it stopped on its own is known only
  // before the end stops the others, and its terms and writes are those of the scenario.
  let replicaReports: ReplicaReport[];
  try {
    for (const [index, step] of scenario.steps.entries()) {
      current = ['steps', index, Object.keys(step)[0] ?? ''];
      await runStep(step, index);
      leases.observe();
    }
    if (options.whileRunning !== undefined && replicas.some((r) => r.alive)) {
      await options.whileRunning({
        clock,
        virtualMs: elapsed,
        snapshot: (kind) => server.snapshot(typeOf(kind)) as AnyObject[],
        ...(settings.folder === undefined ? {} : { runFolder: settings.folder }),
      });
    }
  } finally {
    leases.observe();
    replicaReports = replicas.map((r) => r.report(leases, r.stopReason));
    await shutDownAll(clock, replicas);
  }
  // A replica may spin while it shuts down (a release retried without a delay): that fails the run too.
  replicaReports = replicaReports.map((r, i) => {
    const spin = replicas[i]?.livelock;
    return spin === undefined || r.livelock !== undefined ? r : { ...r, livelock: { ...spin } };
  });

  const virtualMs = elapsed();
  const counts = new Map<string, { verb: string; resource: string; count: number }>();
  let apiWrites = 0;
  for (const c of server.requestCounts()) {
    if (c.userAgent === SIMULATOR_USER_AGENT) continue;
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
  // The first stop no expectation asked for, by when it ended.
  const unexpected = replicaReports
    .filter((r) => r.stopped !== undefined && !r.stopped.expected)
    .sort((a, b) => (a.stopped?.at ?? Infinity) - (b.stopped?.at ?? Infinity))[0];
  return {
    name: scenario.name,
    seed,
    passed: expectations.every((e) => e.ok) && settles.every((s) => s.settled) && unexpected === undefined && replicaReports.every((r) => r.livelock === undefined),
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
    timerInstants: instants,
    replicas: replicaReports,
    ...(unexpected?.stopped === undefined
      ? {}
      : { managerExit: unexpected.stopped.exitCode, managerStopped: `${count === 1 ? '' : `replica ${unexpected.index} (${unexpected.identity}): `}${unexpected.stopped.reason}` }),
  };
}

/**
 * Stops every replica that still runs, as SIGTERM would (drain, hand the Lease back), and waits
 * for them on the virtual clock. A paused replica stays frozen and a killed one stays dead: a
 * stopped process does not act on SIGTERM.
 */
async function shutDownAll(clock: FakeClock, replicas: readonly Replica[]): Promise<void> {
  const stopping = replicas.filter((r) => r.gate.state === 'running');
  for (const r of stopping) r.shutDown();
  for (let i = 0; i < 120 && stopping.some((r) => !r.finished); i++) await clock.advance(SHUTDOWN_STEP_MS);
  await Promise.race([Promise.all(stopping.map(async (r) => r.done())), Promise.resolve(undefined)]);
}

/** The manager's refusal of a flag, at the line of that flag in the scenario when it sets it. */
function placeFlagError(err: unknown, scenario: ScenarioFile, at: (path: FieldPath) => string): unknown {
  if (!(err instanceof SimulationSetupError) || scenario.source === undefined) return err;
  const flag = (err.cause as { flag?: unknown } | undefined)?.flag;
  const key = typeof flag === 'string' ? flag.replace(/^-+/, '') : undefined;
  if (key === undefined || !(key in scenario.manager)) return err;
  return new SimulationSetupError(`${at(['manager', key])}: ${err.message}`, { cause: err.cause });
}
