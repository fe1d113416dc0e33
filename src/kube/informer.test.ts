import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FakeClock } from './clock.js';
import type { KubeClient, ObjectList, ResourceClient, WatchEvent, WatchOptions, WatchStream, ListOptions } from './client.js';
import { apiErrors } from './errors.js';
import { DeletedFinalStateUnknown, Informer, isDeletedFinalStateUnknown, objectFromTombstone } from './informer.js';
import type { InformerEventHandler, InformerOptions } from './informer.js';
import { SimulatedApiServer } from './memory/index.js';
import { NODES, keyOf } from './resources.js';
import type { Node } from './resources.js';
import { MemoryLogSink, createLogger } from '../log/logger.js';
import { settle } from '../testing/settle.js';

/** Lets every promise continuation run (no virtual time passes). */
/** A handler recording what it sees as compact strings. */
function recorder(): { handler: InformerEventHandler<Node>; seen: string[]; deletes: Array<Node | DeletedFinalStateUnknown<Node>> } {
  const seen: string[] = [];
  const deletes: Array<Node | DeletedFinalStateUnknown<Node>> = [];
  return {
    seen,
    deletes,
    handler: {
      onAdd: (obj, initial) => seen.push(`add ${obj.metadata?.name}${initial ? ' initial' : ''}`),
      onUpdate: (oldObj, newObj) =>
        seen.push(oldObj === newObj ? `resync ${newObj.metadata?.name}` : `update ${newObj.metadata?.name} ${oldObj.metadata?.resourceVersion}->${newObj.metadata?.resourceVersion}`),
      onDelete: (obj) => {
        deletes.push(obj);
        seen.push(`${isDeletedFinalStateUnknown(obj) ? 'tombstone' : 'delete'} ${objectFromTombstone(obj).metadata?.name}`);
      },
    },
  };
}

function node(name: string, extra: Partial<Node> = {}): Node {
  return { metadata: { name }, ...extra };
}

interface Setup {
  clock: FakeClock;
  server: SimulatedApiServer;
  kube: KubeClient;
  informer: Informer<Node>;
  logs: MemoryLogSink;
  abort: AbortController;
  running: Promise<void> | undefined;
  run(): Promise<void>;
  counts(verb: string): number;
}

function setup(options: Partial<InformerOptions<Node>> = {}): Setup {
  const clock = new FakeClock();
  let uid = 0;
  const server = new SimulatedApiServer({ clock, newUid: () => `uid-${++uid}`, random: () => 0.5 });
  const kube = server.client({ userAgent: 'test' });
  const logs = new MemoryLogSink();
  const informer = new Informer<Node>({
    client: server.client({ userAgent: 'informer' }).nodes,
    clock,
    random: () => 0,
    logger: createLogger(logs.sink, 5),
    ...options,
  });
  const abort = new AbortController();
  const s: Setup = {
    clock,
    server,
    kube,
    informer,
    logs,
    abort,
    running: undefined,
    async run() {
      s.running = informer.start(abort.signal);
      await settle(clock);
    },
    counts(verb) {
      return server
        .requestCounts()
        .filter((c) => c.userAgent === 'informer' && c.verb === verb && c.resource === 'nodes')
        .reduce((n, c) => n + c.count, 0);
    },
  };
  return s;
}

async function stop(s: Setup): Promise<void> {
  s.abort.abort();
  await s.running;
}

function cacheState(informer: Informer<Node>): Array<[string, string | undefined]> {
  return informer
    .list()
    .map((n): [string, string | undefined] => [keyOf(n), n.metadata?.resourceVersion])
    .sort(([a], [b]) => a.localeCompare(b));
}

function serverState(server: SimulatedApiServer): Array<[string, string | undefined]> {
  return server
    .snapshot(NODES)
    .map((n): [string, string | undefined] => [keyOf(n), n.metadata?.resourceVersion])
    .sort(([a], [b]) => a.localeCompare(b));
}

describe('Informer', () => {
  it('delivers the initial list as adds marked isInInitialList, then reports synced', async () => {
    const s = setup();
    await s.kube.nodes.create(node('a'));
    await s.kube.nodes.create(node('b'));
    const r = recorder();
    const registration = s.informer.addEventHandler(r.handler);
    assert.equal(s.informer.hasSynced(), false);
    assert.equal(registration.hasSynced(), false);
    const synced = s.informer.waitForSync(s.abort.signal);
    await s.run();
    assert.equal(await synced, true);
    assert.deepEqual(r.seen.sort(), ['add a initial', 'add b initial']);
    assert.equal(s.informer.hasSynced(), true);
    assert.equal(registration.hasSynced(), true);
    assert.deepEqual(s.informer.keys().sort(), ['a', 'b']);
    assert.equal(s.informer.lastSyncResourceVersion(), s.server.resourceVersion());
    await stop(s);
  });

  it('caches deep-frozen copies stamped with apiVersion and kind', async () => {
    const s = setup();
    await s.kube.nodes.create(node('a', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }));
    await s.run();
    const cached = s.informer.get('a');
    assert.ok(cached !== undefined);
    assert.equal(cached.kind, 'Node');
    assert.equal(cached.apiVersion, 'v1');
    assert.throws(() => {
      (cached.metadata as { name: string }).name = 'evil';
    }, TypeError);
    assert.throws(() => {
      cached.spec?.taints?.push({ key: 'x', effect: 'NoExecute' });
    }, TypeError);
    assert.equal(s.informer.get('a')?.metadata?.name, 'a');
    await stop(s);
  });

  it('keeps a deep-frozen watch object as it is (the simulated API server shares its stored one) and copies anything else', async () => {
    const s = setup();
    await s.run();
    await s.kube.nodes.create(node('a', { metadata: { name: 'a', labels: { x: '1' } } }));
    await settle(s.clock);
    const cached = s.informer.get('a');
    assert.ok(cached !== undefined);
    assert.equal(cached, s.server.objects(NODES)[0], 'shared with the store, not copied');
    await stop(s);
    // A client handing out mutable objects: the cache holds a frozen copy, never the object itself.
    const mutable: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'm', resourceVersion: '5' } };
    const list: ObjectList<Node> = { items: [mutable], metadata: { resourceVersion: '5' } };
    const client = {
      type: NODES,
      list: () => Promise.resolve(list),
      watch: () => Promise.resolve({ [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<WatchEvent<Node>, undefined>>(() => {}) }), close() {} }),
    } as unknown as ResourceClient<Node>;
    const clock = new FakeClock();
    const other = new Informer<Node>({ client, clock, random: () => 0 });
    const abort = new AbortController();
    void other.start(abort.signal);
    await settle(clock);
    const copy = other.get('m');
    assert.ok(copy !== undefined && copy !== mutable && Object.isFrozen(copy));
    assert.ok(!Object.isFrozen(mutable));
    abort.abort();
    await settle(clock);
  });

  it('delivers watch adds, updates with (old, new) and deletes with the final state', async () => {
    const s = setup();
    const r = recorder();
    s.informer.addEventHandler(r.handler);
    await s.run();
    const created = await s.kube.nodes.create(node('a'));
    await settle(s.clock);
    const updated = await s.kube.nodes.patch({ name: 'a' }, { type: 'merge', body: { metadata: { labels: { x: 'y' } } } });
    await settle(s.clock);
    await s.kube.nodes.delete({ name: 'a' });
    await settle(s.clock);
    assert.deepEqual(r.seen, [
      'add a',
      `update a ${created.metadata?.resourceVersion}->${updated.metadata?.resourceVersion}`,
      'delete a',
    ]);
    assert.equal(isDeletedFinalStateUnknown(r.deletes[0] as Node), false);
    assert.equal((r.deletes[0] as Node).metadata?.labels?.['x'], 'y');
    assert.equal(s.informer.get('a'), undefined);
    assert.equal(s.informer.lastSyncResourceVersion(), s.server.resourceVersion());
    await stop(s);
  });

  it('lists in pages of 500', async () => {
    const s = setup();
    for (let i = 0; i < 1203; i++) await s.kube.nodes.create(node(`n${String(i).padStart(4, '0')}`));
    const r = recorder();
    s.informer.addEventHandler(r.handler);
    await s.run();
    assert.equal(s.informer.hasSynced(), true);
    assert.equal(s.counts('list'), 3);
    assert.equal(s.informer.list().length, 1203);
    assert.equal(r.seen.length, 1203);
    assert.deepEqual(cacheState(s.informer), serverState(s.server));
    await stop(s);
  });

  it('falls back to one unpaginated list when a continue token expires', async () => {
    const s = setup({ pageSize: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'e']) await s.kube.nodes.create(node(name));
    // Two delayed list requests: the first page, then the second page whose token we expire.
    s.server.faults.inject({ verb: 'list', resource: 'nodes', latencyMs: 1000, times: 2 });
    await s.run();
    await s.clock.advance(1000);
    assert.equal(s.counts('list'), 2);
    s.server.compactHistory();
    await s.kube.nodes.create(node('f'));
    await s.clock.advance(1000);
    await settle(s.clock);
    assert.equal(s.counts('list'), 3);
    assert.equal(s.informer.hasSynced(), true);
    assert.deepEqual(cacheState(s.informer), serverState(s.server));
    await stop(s);
  });

  it('re-watches from the last resourceVersion after the server drops watches, losing nothing and not relisting', async () => {
    const s = setup();
    await s.kube.nodes.create(node('a'));
    const r = recorder();
    s.informer.addEventHandler(r.handler);
    await s.run();
    await s.clock.advance(5_000);
    await s.kube.nodes.create(node('b'));
    s.server.faults.closeWatches();
    await s.kube.nodes.create(node('c'));
    await s.kube.nodes.delete({ name: 'a' });
    await settle(s.clock);
    await s.kube.nodes.create(node('d'));
    await settle(s.clock);
    assert.deepEqual(r.seen, ['add a initial', 'add b', 'add c', 'delete a', 'add d']);
    assert.deepEqual(cacheState(s.informer), serverState(s.server));
    assert.equal(s.counts('list'), 1);
    assert.equal(s.counts('watch'), 2);
    await stop(s);
  });

  it('relists after 410 when the watch drops and history is compacted, reaching every delete via tombstones', async () => {
    const s = setup();
    for (const name of ['a', 'b', 'c', 'd']) await s.kube.nodes.create(node(name));
    const r = recorder();
    s.informer.addEventHandler(r.handler);
    await s.run();
    await s.clock.advance(5_000);
    const before = s.informer.get('b');
    // The re-watch is held up for 3 s (a slow apiserver); meanwhile the world changes and the
    // server forgets the history the informer would need.
    s.server.faults.inject({ verb: 'watch', resource: 'nodes', latencyMs: 3_000 });
    s.server.faults.closeWatches();
    await settle(s.clock);
    await s.kube.nodes.create(node('e'));
    const a2 = await s.kube.nodes.patch({ name: 'a' }, { type: 'merge', body: { metadata: { labels: { v: '2' } } } });
    await s.kube.nodes.delete({ name: 'b' });
    await s.kube.nodes.delete({ name: 'c' });
    await s.kube.nodes.create(node('c')); // recreated: same key, new object
    s.server.compactHistory();
    await s.clock.advance(3_000);
    await settle(s.clock);

    assert.equal(s.counts('list'), 2, 'relisted once after 410');
    assert.deepEqual(cacheState(s.informer), serverState(s.server));
    const after = r.seen.slice(4);
    assert.ok(after.includes('add e'));
    assert.ok(after.includes('tombstone b'));
    assert.ok(after.some((x) => x.startsWith('update a ') && x.endsWith(`->${a2.metadata?.resourceVersion}`)));
    assert.ok(after.some((x) => x.startsWith('update c ')));
    assert.ok(!after.some((x) => x.startsWith('update d') || x.includes(' d')), 'unchanged objects produce no events');
    const tombstone = r.deletes.find(isDeletedFinalStateUnknown);
    assert.ok(tombstone instanceof DeletedFinalStateUnknown);
    assert.equal(tombstone.key, 'b');
    assert.equal(tombstone.obj, before, 'the tombstone carries the last known state');

    // And the informer keeps watching afterwards.
    await s.kube.nodes.delete({ name: 'e' });
    await settle(s.clock);
    assert.equal(r.seen.at(-1), 'delete e');
    await stop(s);
  });

  it('backs off 800 ms ×2 with jitter while the list fails, then syncs', async () => {
    const s = setup({ random: () => 0.5 });
    await s.kube.nodes.create(node('a'));
    s.server.faults.inject({ verb: 'list', resource: 'nodes', times: 3, error: () => apiErrors.internal('etcd unavailable') });
    await s.run();
    assert.equal(s.counts('list'), 1);
    // Delays with jitter 1.0 and random 0.5: 1200, 2400, 4800 ms.
    for (const [delay, lists] of [
      [1_200, 2],
      [2_400, 3],
      [4_800, 4],
    ] as const) {
      await s.clock.advance(delay - 1);
      assert.equal(s.counts('list'), lists - 1, `not before ${delay} ms`);
      assert.equal(s.informer.hasSynced(), false);
      await s.clock.advance(1);
      await settle(s.clock);
      assert.equal(s.counts('list'), lists, `after ${delay} ms`);
    }
    assert.equal(s.informer.hasSynced(), true);
    assert.deepEqual(s.informer.keys(), ['a']);
    assert.ok(s.logs.records.some((l) => l.level === 'error' && l.msg === 'Failed to list; backing off'));
    await stop(s);
  });

  it('resets the backoff after two minutes without failures', async () => {
    const s = setup();
    s.server.faults.inject({ verb: 'list', resource: 'nodes', times: 2, error: () => apiErrors.internal('x') });
    await s.run();
    await s.clock.advance(800);
    await s.clock.advance(1_600);
    assert.equal(s.informer.hasSynced(), true);
    await s.clock.advance(121_000);
    // A watch failure now waits the initial 800 ms again, not 3.2 s.
    s.server.faults.inject({ verb: 'watch', resource: 'nodes', error: () => apiErrors.serviceUnavailable('restarting') });
    s.server.faults.closeWatches();
    await settle(s.clock);
    const watches = s.counts('watch');
    await s.clock.advance(800);
    await settle(s.clock);
    assert.equal(s.counts('watch'), watches + 1);
    assert.equal(s.counts('list'), 3, 'a transient watch error re-watches without relisting');
    await stop(s);
  });

  it('keeps delivering to other handlers, and to the failing one, when a handler throws or rejects', async () => {
    const s = setup();
    const r = recorder();
    let thrown = 0;
    s.informer.addEventHandler({
      onAdd: () => {
        thrown++;
        throw new Error('handler bug');
      },
    });
    // An async handler, deliberately: its rejection must be caught, not crash the process.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    s.informer.addEventHandler({ onAdd: () => Promise.reject(new Error('async handler bug')) });
    s.informer.addEventHandler(r.handler);
    await s.run();
    await s.kube.nodes.create(node('a'));
    await settle(s.clock);
    await s.kube.nodes.create(node('b'));
    await settle(s.clock);
    assert.equal(thrown, 2);
    assert.deepEqual(r.seen, ['add a', 'add b']);
    const failures = s.logs.records.filter((l) => l.level === 'error' && l.msg === 'Event handler failed');
    assert.equal(failures.length, 4);
    await stop(s);
  });

  it('replays the cache as update(obj, obj) every resync period', async () => {
    const s = setup({ resyncPeriodMs: 30_000 });
    await s.kube.nodes.create(node('a'));
    await s.kube.nodes.create(node('b'));
    const r = recorder();
    const fast = recorder();
    s.informer.addEventHandler(r.handler);
    s.informer.addEventHandler(fast.handler, { resyncPeriodMs: 10_000 });
    await s.run();
    await s.clock.advance(29_999);
    assert.deepEqual(r.seen.sort(), ['add a initial', 'add b initial']);
    await s.clock.advance(1);
    assert.deepEqual(r.seen.slice(2).sort(), ['resync a', 'resync b']);
    assert.equal(fast.seen.filter((x) => x.startsWith('resync')).length, 6, 'per-handler period of 10 s');
    await stop(s);
  });

  it('gives a handler added after sync synthetic adds for the cache', async () => {
    const s = setup();
    await s.kube.nodes.create(node('a'));
    await s.kube.nodes.create(node('b'));
    await s.run();
    const r = recorder();
    const registration = s.informer.addEventHandler(r.handler);
    assert.deepEqual(r.seen.sort(), ['add a initial', 'add b initial']);
    assert.equal(registration.hasSynced(), true);
    await s.kube.nodes.create(node('c'));
    await settle(s.clock);
    assert.equal(r.seen.at(-1), 'add c');
    s.informer.removeEventHandler(registration);
    assert.equal(registration.hasSynced(), false);
    await s.kube.nodes.create(node('d'));
    await settle(s.clock);
    assert.equal(r.seen.length, 3);
    await stop(s);
  });

  it('maintains indexes through adds, updates and deletes', async () => {
    const s = setup();
    const zone = 'topology.kubernetes.io/zone';
    s.informer.addIndexer('zone', (n) => {
      const z = n.metadata?.labels?.[zone];
      return z === undefined ? [] : [z];
    });
    await s.kube.nodes.create(node('a', { metadata: { name: 'a', labels: { [zone]: 'z1' } } }));
    await s.kube.nodes.create(node('b', { metadata: { name: 'b', labels: { [zone]: 'z2' } } }));
    await s.kube.nodes.create(node('c', { metadata: { name: 'c', labels: { [zone]: 'z2' } } }));
    await s.run();
    assert.deepEqual(s.informer.byIndex('zone', 'z1').map((n) => n.metadata?.name), ['a']);
    assert.deepEqual(s.informer.byIndex('zone', 'z2').map((n) => n.metadata?.name).sort(), ['b', 'c']);
    await s.kube.nodes.patch({ name: 'a' }, { type: 'merge', body: { metadata: { labels: { [zone]: 'z3' } } } });
    await s.kube.nodes.delete({ name: 'b' });
    await settle(s.clock);
    assert.deepEqual(s.informer.byIndex('zone', 'z1'), []);
    assert.deepEqual(s.informer.byIndex('zone', 'z2').map((n) => n.metadata?.name), ['c']);
    assert.deepEqual(s.informer.byIndex('zone', 'z3').map((n) => n.metadata?.name), ['a']);
    // An indexer added late is built from the cache.
    s.informer.addIndexer('name', (n) => [n.metadata?.name ?? '']);
    assert.equal(s.informer.byIndex('name', 'a').length, 1);
    assert.throws(() => s.informer.byIndex('nope', 'x'), /does not exist/);
    await stop(s);
  });

  it('advances the resourceVersion on a BOOKMARK without notifying handlers', async () => {
    const s = setup();
    const r = recorder();
    s.informer.addEventHandler(r.handler);
    await s.run();
    const before = s.informer.lastSyncResourceVersion();
    await s.kube.services.create({ metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    s.server.sendBookmarks();
    await settle(s.clock);
    assert.notEqual(s.informer.lastSyncResourceVersion(), before);
    assert.equal(s.informer.lastSyncResourceVersion(), s.server.resourceVersion());
    assert.deepEqual(r.seen, []);
    await stop(s);
  });

  for (const [name, prepare] of [
    ['while watching', async (_s: Setup) => {}],
    [
      'while backing off',
      async (s: Setup) => {
        s.server.faults.inject({ verb: 'watch', resource: 'nodes', error: () => apiErrors.internal('x') });
        s.server.faults.closeWatches();
        await settle(s.clock);
      },
    ],
    [
      'while a watch request hangs',
      async (s: Setup) => {
        s.server.faults.inject({ verb: 'watch', resource: 'nodes', latencyMs: 3_600_000 });
        await s.clock.advance(2_000);
        s.server.faults.closeWatches();
        await settle(s.clock);
      },
    ],
  ] as const) {
    it(`resolves start() promptly when the signal aborts ${name}`, async () => {
      const s = setup();
      await s.run();
      await prepare(s);
      let done = false;
      void s.running?.then(() => (done = true));
      s.abort.abort();
      await settle(s.clock);
      assert.equal(done, true);
      await assert.doesNotReject(s.running as Promise<void>);
      assert.equal(s.logs.records.filter((l) => l.level === 'error' && /abort/i.test(String(l.err))).length, 0);
    });
  }

  it('resolves waitForSync false when its signal aborts or the informer stops first', async () => {
    const s = setup();
    s.server.faults.inject({ verb: 'list', resource: 'nodes', times: Infinity, error: () => apiErrors.internal('x') });
    const waiter = new AbortController();
    const first = s.informer.waitForSync(waiter.signal);
    const second = s.informer.waitForSync(new AbortController().signal);
    await s.run();
    waiter.abort();
    assert.equal(await first, false);
    await stop(s);
    assert.equal(await second, false);
    await assert.rejects(s.informer.start(new AbortController().signal), /twice/);
  });
});

/** A scripted ResourceClient for what the simulated server cannot show: the request options. */
class ScriptedNodes implements Pick<ResourceClient<Node>, 'type' | 'list' | 'watch'> {
  readonly type = NODES;
  readonly watches: WatchOptions[] = [];
  readonly lists: ListOptions[] = [];
  readonly streams: Array<{ push(e: WatchEvent<Node>): void; end(): void }> = [];

  list(options: ListOptions = {}): Promise<ObjectList<Node>> {
    this.lists.push(options);
    return Promise.resolve({ items: [{ metadata: { name: 'a', resourceVersion: '5' } }], metadata: { resourceVersion: '7' } });
  }

  watch(options: WatchOptions = {}): Promise<WatchStream<Node>> {
    this.watches.push(options);
    const queue: WatchEvent<Node>[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const end = (): void => {
      ended = true;
      wake?.();
    };
    this.streams.push({
      push: (e) => {
        queue.push(e);
        wake?.();
      },
      end,
    });
    return Promise.resolve({
      close: end,
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = queue.shift();
          if (next !== undefined) yield next;
          else if (ended) return;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      },
    });
  }
}

describe('Informer requests', () => {
  it('watches from the list resourceVersion with bookmarks and a timeout in [min, 2·min)', async () => {
    const clock = new FakeClock();
    const nodes = new ScriptedNodes();
    const informer = new Informer<Node>({ client: nodes as unknown as ResourceClient<Node>, clock, random: () => 0.5 });
    const abort = new AbortController();
    const running = informer.start(abort.signal);
    await settle(clock);
    assert.equal(nodes.lists[0]?.limit, 500);
    assert.equal(nodes.lists[0]?.resourceVersion, undefined);
    assert.equal(nodes.watches[0]?.resourceVersion, '7');
    assert.equal(nodes.watches[0]?.allowWatchBookmarks, true);
    assert.equal(nodes.watches[0]?.timeoutSeconds, 450);
    nodes.streams[0]?.push({ type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '9' } } });
    await clock.advance(2_000);
    nodes.streams[0]?.end();
    await settle(clock);
    assert.equal(nodes.watches[1]?.resourceVersion, '9', 're-watch from the last event');
    abort.abort();
    await running;
  });

  it('closes a watch the server never ends, shortly after its timeout', async () => {
    const clock = new FakeClock();
    const nodes = new ScriptedNodes();
    const informer = new Informer<Node>({ client: nodes as unknown as ResourceClient<Node>, clock, random: () => 0, minWatchTimeoutMs: 60_000 });
    const abort = new AbortController();
    const running = informer.start(abort.signal);
    await settle(clock);
    assert.equal(nodes.watches.length, 1);
    await clock.advance(60_000 + 60_000);
    await settle(clock);
    assert.equal(nodes.watches.length, 2);
    abort.abort();
    await running;
  });
});

describe('Informer convergence (property)', () => {
  type Op =
    | { op: 'create' | 'delete' | 'label'; name: string }
    | { op: 'closeWatches' | 'disconnect' | 'compact' | 'failWatch' | 'failList' }
    | { op: 'advance'; ms: number };
  const name = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('create' as const, 'delete' as const, 'label' as const), name }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('disconnect' as const, 'compact' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('closeWatches' as const, 'failWatch' as const, 'failList' as const) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_000 }) }) },
  );

  it('ends with cache and handler-observed state equal to the server, whatever drops and compactions happen', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30, size: 'max' }), async (ops) => {
        const s = setup({ random: () => 0.3 });
        const model = new Map<string, string | undefined>();
        s.informer.addEventHandler({
          onAdd: (o) => void model.set(keyOf(o), o.metadata?.resourceVersion),
          onUpdate: (_old, o) => void model.set(keyOf(o), o.metadata?.resourceVersion),
          onDelete: (o) => void model.delete(keyOf(objectFromTombstone(o))),
        });
        await s.run();
        let label = 0;
        for (const o of ops) {
          switch (o.op) {
            case 'create':
              await s.kube.nodes.create(node(o.name)).catch(() => {});
              break;
            case 'delete':
              await s.kube.nodes.delete({ name: o.name }).catch(() => {});
              break;
            case 'label':
              await s.kube.nodes.patch({ name: o.name }, { type: 'merge', body: { metadata: { labels: { l: String(++label) } } } }).catch(() => {});
              break;
            case 'closeWatches':
              s.server.faults.closeWatches();
              break;
            case 'compact':
              s.server.compactHistory();
              break;
            case 'disconnect':
              // The watch drops and the re-watch is held up for 2 s: changes until then are missed.
              s.server.faults.inject({ verb: 'watch', resource: 'nodes', latencyMs: 2_000 });
              s.server.faults.closeWatches();
              break;
            case 'failWatch':
              s.server.faults.inject({ verb: 'watch', resource: 'nodes', error: () => apiErrors.internal('x') });
              break;
            case 'failList':
              s.server.faults.inject({ verb: 'list', resource: 'nodes', error: () => apiErrors.serviceUnavailable('x') });
              break;
            case 'advance':
              await s.clock.advance(o.ms);
              break;
          }
          await settle(s.clock);
        }
        // Let every backoff and delayed request finish; one more drop proves the watch is healthy.
        s.server.faults.clear();
        await s.clock.advance(120_000);
        s.server.faults.closeWatches();
        await s.clock.advance(60_000);
        await settle(s.clock);
        const expected = serverState(s.server);
        assert.deepEqual(cacheState(s.informer), expected);
        assert.deepEqual([...model.entries()].sort(([a], [b]) => a.localeCompare(b)), expected);
        await stop(s);
      }),
      {
        numRuns: 200,
        // The missed-delete scenario, pinned so that every run covers it.
        examples: [[[{ op: 'create', name: 'a' }, { op: 'disconnect' }, { op: 'delete', name: 'a' }, { op: 'compact' }, { op: 'create', name: 'b' }]]],
      },
    );
  });
});
