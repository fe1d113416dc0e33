// Crash-and-restart property of the local provider behind the real service controller: whatever
// happens to Services while the manager runs, at the instant it is killed (kill -9) or while it is
// down, an address is never handed out twice, a live Service never moves, and once a manager has
// run for a while no address is lost (held for a Service that no longer wants one).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Service } from 'kubernetes-types/core/v1.js';
import { LOAD_BALANCER_CLEANUP_FINALIZER } from '../../cloud/constants.js';
import { wantsLoadBalancer } from '../../cloud/service-helpers.js';
import { ServiceController, SERVICE_CONTROLLER_EVENT_SOURCE } from '../../controllers/service/service-controller.js';
import type { KubeClient, ResourceClient } from '../../kube/client.js';
import { FakeClock } from '../../kube/clock.js';
import { EventBroadcaster } from '../../kube/events.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import type { KubeObject } from '../../kube/resources.js';
import { SharedInformerFactory } from '../../kube/shared-informers.js';
import { noopLogger } from '../../log/logger.js';
import { turnsUntil } from '../../testing/turns-until.js';
import { parseLocalConfig } from './local-config.js';
import { LocalCloudProvider } from './local-provider.js';

// Addresses used only by this file: the pool 127.0.141.1-2, the node 127.0.142.1.
const POOL = ['127.0.141.1', '127.0.141.2'];
const NAMES = ['a', 'b', 'c', 'd'] as const;
const NS = 'default';
const RECONCILE_MS = 10_000;

type Name = (typeof NAMES)[number];
type Command =
  | { readonly op: 'create' | 'delete' | 'strip-finalizer' | 'to-cluster-ip' | 'to-load-balancer'; readonly name: Name }
  /** Let a running manager work for `ms` of virtual time. */
  | { readonly op: 'run'; readonly ms: number }
  /**
   * A running manager is killed after `turns` turns of the event loop (in the middle of whatever
   * the commands before made it do, or between two steps of it); a stopped one is started.
   */
  | { readonly op: 'crash-or-start'; readonly turns: number };

/** A client whose every call fails once `dead()`: what a killed process sends (nothing). */
function severable(client: KubeClient, dead: () => boolean): KubeClient {
  const cut = <T extends KubeObject>(rc: ResourceClient<T>): ResourceClient<T> =>
    new Proxy(rc, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (dead() ? Promise.reject(new Error('the process was killed')) : (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
  return {
    nodes: cut(client.nodes),
    services: cut(client.services),
    events: cut(client.events),
    leases: cut(client.leases),
    resource: (type) => cut(client.resource(type)),
  };
}

interface Manager {
  readonly provider: LocalCloudProvider;
  readonly controller: ServiceController;
  /** Resolves once no call of the controller into the provider is in flight. */
  drain(): Promise<void>;
  /** kill -9: nothing more reaches the API, the state file is what was on disk at that instant. */
  kill(nextStateFile: string): Promise<void>;
  stop(): Promise<void>;
}

/** The pid in the names of the temporary files a killed process left (this process has another). */
const DEAD_PID = process.pid === 1 ? 2 : 1;

/** The state file of a killed process as the next one finds it: the file and any temporaries. */
function copyStateDir(from: string, to: string): void {
  const dir = join(from, '..');
  const name = from.slice(dir.length + 1);
  mkdirSync(join(to, '..'), { recursive: true });
  if (existsSync(from)) copyFileSync(from, to);
  let n = 0;
  for (const e of readdirSync(dir)) if (e.startsWith(`${name}.`) && e.endsWith('.tmp')) copyFileSync(join(dir, e), `${to}.${DEAD_PID}.${n++}.tmp`);
}

async function startManager(server: SimulatedApiServer, clock: FakeClock, stateFile: string): Promise<Manager> {
  // The directory exists from the start, as a deployment's state directory does.
  mkdirSync(join(stateFile, '..'), { recursive: true });
  let dead = false;
  const isDead = (): boolean => dead;
  const random = (): number => 0.5;
  const config = parseLocalConfig(
    `pools:\n- name: p\n  ranges: [${POOL[0]}-${POOL[POOL.length - 1]}]\nstateFile: ${stateFile}\nhealthCheck: { enabled: false }\nexhaustedRetryMs: 1000\nreconcileIntervalMs: ${RECONCILE_MS}\n`,
  );
  const provider = new LocalCloudProvider({ config, clock });
  const stop = new AbortController();
  const client = (name: string): KubeClient => severable(server.client({ userAgent: name }), isDead);
  await provider.initialize({ signal: stop.signal, logger: noopLogger, clientBuilder: { client } });
  const informers = new SharedInformerFactory({ client: client('shared-informers'), clock, random });
  const broadcaster = new EventBroadcaster({ client: client('service-controller'), clock, random });
  // The controller's calls into the provider, tracked so that virtual time moves on only once the
  // real I/O they do (state file writes, binds) is done: a disk is fast next to the timers here.
  const inflight = new Set<Promise<unknown>>();
  const lb = provider.loadBalancer();
  const tracked = new Proxy(lb, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const call = Promise.resolve((value as (...a: unknown[]) => unknown).apply(target, args));
        const done = call.then(() => undefined, () => undefined);
        inflight.add(done);
        void done.then(() => inflight.delete(done));
        return call;
      };
    },
  });
  const controller = new ServiceController({
    kube: client('service-controller'),
    informers,
    cloud: { name: provider.name, loadBalancer: () => tracked },
    recorder: broadcaster.newRecorder({ component: SERVICE_CONTROLLER_EVENT_SOURCE }),
    clock,
    random,
    logger: noopLogger,
  });
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  const teardown = async (): Promise<void> => {
    stop.abort();
    await running.catch(() => undefined);
    await informers.shutdown();
    await broadcaster.shutdown().catch(() => undefined);
    await provider.shutdown();
  };
  return {
    provider,
    controller,
    async drain() {
      // Bounded: each round waits for the calls in flight; a call starts only from a reconcile.
      for (let i = 0; i < 1000 && inflight.size > 0; i++) {
        await Promise.all(inflight);
        await new Promise((r) => setImmediate(r));
      }
    },
    async kill(nextStateFile) {
      dead = true;
      // Synchronously, before anything of the dead process runs again: what is on disk now is
      // what the next process reads (a rename in flight lands before or after, both possible).
      copyStateDir(stateFile, nextStateFile);
      await teardown();
    },
    stop: teardown,
  };
}

function lbService(name: Name): Service {
  return { metadata: { namespace: NS, name }, spec: { type: 'LoadBalancer', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }] } };
}

/** Watches every Service change and records each moment two live Services show one address, or one moves. */
function watchInvariants(server: SimulatedApiServer): { violations: string[]; caughtUp(): Promise<void>; close(): void } {
  const violations: string[] = [];
  // Per UID: the address shown since the Service last wanted a load balancer, while it does.
  const shown = new Map<string, string | undefined>();
  let seen = '0';
  const client = server.client({ userAgent: 'invariants' });
  const streamed = client.services.watch({ resourceVersion: '0', allowWatchBookmarks: true });
  const loop = (async () => {
    for await (const event of await streamed) {
      const svc = event.object;
      seen = svc.metadata?.resourceVersion ?? seen;
      if (event.type === 'BOOKMARK') continue;
      const uid = svc.metadata?.uid ?? '';
      const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
      const live = event.type !== 'DELETED' && wantsLoadBalancer(svc) && svc.metadata?.deletionTimestamp === undefined;
      if (!live) {
        shown.delete(uid);
        continue;
      }
      const before = shown.get(uid);
      if (before !== undefined && ip !== undefined && ip !== before) violations.push(`Service ${svc.metadata?.name ?? ''} moved from ${before} to ${ip}`);
      // A status cleared while the Service still wants one does not end its claim to the address.
      if (ip !== undefined) shown.set(uid, ip);
      else if (!shown.has(uid)) shown.set(uid, undefined);
      const holders = [...shown.entries()].filter(([, a]) => a !== undefined && a === ip);
      if (ip !== undefined && holders.length > 1) violations.push(`${ip} is shown by ${holders.length} live Services at once`);
    }
  })();
  return {
    violations,
    async caughtUp() {
      // Every change up to now is delivered once a bookmark at the current version is (a watch
      // delivers in order); Events and Leases move the version too, so no Service event may carry it.
      const now = BigInt(server.resourceVersion());
      server.sendBookmarks();
      await turnsUntil(() => BigInt(seen) >= now, 'the invariant watch has seen every Service change');
    },
    close() {
      void streamed.then((s) => s.close());
      void loop.catch(() => undefined);
    },
  };
}

async function apply(admin: KubeClient, command: Extract<Command, { name: Name }>): Promise<void> {
  const key = { namespace: NS, name: command.name };
  const current = await admin.services.get(key).catch(() => undefined);
  switch (command.op) {
    case 'create':
      if (current === undefined) await admin.services.create(lbService(command.name));
      return;
    case 'delete':
      if (current !== undefined) await admin.services.delete(key);
      return;
    case 'strip-finalizer':
      // `kubectl patch … finalizers: null`: what people do to a Service stuck in deletion.
      if (current?.metadata?.finalizers?.includes(LOAD_BALANCER_CLEANUP_FINALIZER) === true) await admin.services.patch(key, { type: 'merge', body: { metadata: { finalizers: null } } });
      return;
    case 'to-cluster-ip':
      if (current?.spec?.type === 'LoadBalancer' && current.metadata?.deletionTimestamp === undefined) {
        await admin.services.patch(key, { type: 'merge', body: { spec: { type: 'ClusterIP', ports: [{ name: 'http', protocol: 'TCP', port: 8080 }], externalTrafficPolicy: null, allocateLoadBalancerNodePorts: null } } });
      }
      return;
    case 'to-load-balancer':
      if (current?.spec?.type === 'ClusterIP' && current.metadata?.deletionTimestamp === undefined) await admin.services.patch(key, { type: 'merge', body: { spec: { type: 'LoadBalancer' } } });
      return;
  }
}

/** One trial's outcome. */
interface Outcome {
  /** Addresses held for a Service that no longer wants one, once the last manager has settled. */
  readonly lost: number;
  /** Load-balancer Services without an address while one is free, once settled. */
  readonly starved: number;
  readonly violations: readonly string[];
  readonly kills: number;
}

async function trial(commands: readonly Command[]): Promise<Outcome> {
  const clock = new FakeClock();
  const server = new SimulatedApiServer({ clock });
  const admin = server.client({ userAgent: 'test' });
  await admin.nodes.create({
    metadata: { name: 'n1' },
    spec: { providerID: 'local://n1' },
    status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '127.0.142.1' }] },
  });
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-crash-'));
  const watcher = watchInvariants(server);
  let generation = 0;
  const stateFile = (): string => join(dir, String(generation), 'state.json');
  let manager: Manager | undefined = await startManager(server, clock, stateFile());
  let kills = 0;
  const work = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 250) {
      await manager?.drain();
      await clock.advance(250);
    }
    await manager?.drain();
  };
  try {
    for (const command of commands) {
      if (command.op === 'run') {
        if (manager !== undefined) await work(command.ms);
      } else if (command.op === 'crash-or-start') {
        if (manager === undefined) {
          manager = await startManager(server, clock, stateFile());
        } else {
          for (let i = 0; i < command.turns; i++) await new Promise((r) => setImmediate(r));
          generation++;
          await manager.kill(stateFile());
          manager = undefined;
          kills++;
        }
      } else {
        await apply(admin, command);
      }
      await watcher.caughtUp();
    }
    manager ??= await startManager(server, clock, stateFile());
    const live = manager;
    const liveKeys = (services: readonly Service[]): Set<string> =>
      new Set(services.filter((s) => wantsLoadBalancer(s) && s.metadata?.deletionTimestamp === undefined).map((s) => `${NS}/${s.metadata?.name ?? ''}`));
    // Every Service cleaned up or served (as far as the pool goes), every allocation a live one's.
    const converged = async (): Promise<boolean> => {
      const services = (await admin.services.list()).items;
      if (services.some((s) => !liveKeys([s]).has(`${NS}/${s.metadata?.name ?? ''}`) && (s.metadata?.finalizers ?? []).length > 0)) return false;
      const keys = liveKeys(services);
      const allocations = live.provider.localLoadBalancer.allocator.entries();
      const served = services.filter((s) => keys.has(`${NS}/${s.metadata?.name ?? ''}`) && (s.status?.loadBalancer?.ingress ?? []).length > 0);
      return allocations.every(([key]) => keys.has(key)) && allocations.length === Math.min(keys.size, POOL.length) && served.length === allocations.length;
    };
    // Long enough for retries (exhaustion every 1 s, backoff up to 300 s) and many resyncs.
    let settled = false;
    for (let i = 0; i < 120 && !settled; i++) {
      await work(5_000);
      settled = await converged();
    }
    await watcher.caughtUp();
    const services = (await admin.services.list()).items;
    const wanting = liveKeys(services);
    const allocations = live.provider.localLoadBalancer.allocator.entries();
    const lost = new Set(allocations.filter(([key]) => !wanting.has(key)).map(([, a]) => a.ip)).size;
    const free = POOL.length - new Set(allocations.map(([, a]) => a.ip)).size;
    const unserved = [...wanting].filter((key) => live.provider.localLoadBalancer.allocator.get(key) === undefined).length;
    // (A write of the live manager may be in flight: only the dead processes' temporaries count.)
    const tmpLeft = (await readdir(join(dir, String(generation)))).filter((e) => e.startsWith(`state.json.${DEAD_PID}.`));
    const violations = [...watcher.violations, ...(tmpLeft.length > 0 ? [`stale temporary files left: ${tmpLeft.join(', ')}`] : [])];
    if (!settled) violations.push(`not settled after 600 s: ${JSON.stringify(services.map((s) => [s.metadata?.name, s.spec?.type, s.metadata?.deletionTimestamp, s.status?.loadBalancer?.ingress?.[0]?.ip]))}; allocations ${JSON.stringify(allocations)}`);
    return { lost, starved: Math.min(free, unserved), violations, kills };
  } finally {
    watcher.close();
    await manager?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('create' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('strip-finalizer' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('to-cluster-ip' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('to-load-balancer' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('run' as const), ms: fc.integer({ min: 0, max: 3_000 }) }) },
  // Kill points from "at once" to "a few steps later": mid-reconcile as often as between them.
  { weight: 3, arbitrary: fc.record({ op: fc.constant('crash-or-start' as const), turns: fc.integer({ min: 0, max: 12 }) }) },
);

const settle: Command = { op: 'run', ms: 3_000 };
const kill: Command = { op: 'crash-or-start', turns: 0 };
const start: Command = kill;
const on = (op: 'create' | 'delete' | 'strip-finalizer' | 'to-cluster-ip' | 'to-load-balancer', ...names: Name[]): Command[] => names.map((name) => ({ op, name }));

describe('local provider: crash and restart', () => {
  // The first three lost their addresses before the provider reconciled its allocations with the
  // Services and reported a load balancer as existing while it holds an address (not only while it
  // listens); the fourth is the service controller's own cleanup of a vanished Service.
  const cases: { name: string; commands: Command[] }[] = [
    { name: 'Services deleted while the manager was down give their addresses back', commands: [...on('create', 'a', 'b'), settle, kill, ...on('delete', 'a', 'b'), start, ...on('create', 'c', 'd')] },
    { name: 'a Service switched to ClusterIP while the manager was down gives its address back', commands: [...on('create', 'a', 'b'), settle, kill, ...on('to-cluster-ip', 'a'), start, ...on('create', 'c')] },
    {
      name: 'a Service deleted without its cleanup finalizer while the manager was down gives its address back',
      commands: [...on('create', 'a', 'b'), settle, kill, ...on('delete', 'a'), ...on('strip-finalizer', 'a'), start, ...on('create', 'c')],
    },
    { name: 'a Service whose finalizer was stripped while the manager ran gives its address back', commands: [...on('create', 'a'), settle, ...on('delete', 'a'), ...on('strip-finalizer', 'a'), ...on('create', 'b', 'c')] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const outcome = await trial(c.commands);
      assert.deepEqual(outcome.violations, []);
      assert.equal(outcome.lost, 0, 'addresses held for Services that no longer want one');
      assert.equal(outcome.starved, 0, 'Services without an address while one is free');
    });
  }

  const totals = { trials: 0, kills: 0, lost: 0 };
  after(() => {
    // The figures behind docs/local-provider.md ("Restarts and leadership").
    process.stdout.write(`# crash-restart property: ${totals.trials} trials, ${totals.kills} kills, ${totals.lost} addresses lost\n`);
  });

  it('whatever happens around kills: no address twice, no live Service moved, no address lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 4, maxLength: 30 }), async (commands) => {
        const outcome = await trial(commands);
        totals.trials++;
        totals.kills += outcome.kills;
        totals.lost += outcome.lost;
        assert.deepEqual(outcome.violations, []);
        assert.equal(outcome.lost, 0, 'addresses held for Services that no longer want one');
        assert.equal(outcome.starved, 0, 'Services without an address while one is free');
      }),
      { numRuns: 60 },
    );
  });
});
