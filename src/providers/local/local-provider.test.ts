import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { LOAD_BALANCER_CLEANUP_FINALIZER } from '../../cloud/constants.js';
import type { KubeClient } from '../../kube/client.js';
import { InputFileError } from '../../input/read-input-file.js';
import { FakeClock } from '../../kube/clock.js';
import { NotLeaderError } from '../../kube/write-fence.js';
import { SimulatedApiServer } from '../../kube/memory/simulated-api-server.js';
import { createLogger, MemoryLogSink } from '../../log/logger.js';
import type { LogRecord } from '../../log/logger.js';
import { settle } from '../../testing/settle.js';
import { parseLocalConfig } from './local-config.js';
import { LocalCloudProvider } from './local-provider.js';

// Addresses used only by this file: the pool 127.0.143.1-127.0.143.9, the node 127.0.144.1.
const POOL = '127.0.143.1-127.0.143.9';
const NODES: Node[] = [{ metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.144.1' }] } }];
const INTERVAL = 60_000;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function svc(name: string, extra: { type?: string; ip?: string; finalizer?: boolean; deleting?: boolean; loadBalancerClass?: string; port?: number } = {}): Service {
  return {
    metadata: {
      namespace: 'default',
      name,
      uid: `uid-${name}`,
      ...(extra.finalizer === true && { finalizers: [LOAD_BALANCER_CLEANUP_FINALIZER] }),
      ...(extra.deleting === true && { deletionTimestamp: '2026-01-01T00:00:00Z' }),
    },
    spec: {
      type: extra.type ?? 'LoadBalancer',
      ports: [{ protocol: 'TCP', port: extra.port ?? 8080, nodePort: 30080 }],
      ...(extra.loadBalancerClass !== undefined && { loadBalancerClass: extra.loadBalancerClass }),
    },
    ...(extra.ip !== undefined && { status: { loadBalancer: { ingress: [{ ip: extra.ip }] } } }),
  };
}

/** A cluster whose Service list answers `services` (changeable), or waits on `gate` when set. */
interface Cluster {
  services: Service[];
  /** The next list waits for this; cleared once used. */
  gate?: Promise<void>;
  lists: number;
  failNext?: Error;
}

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-local-provider-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writeState(file: string, allocations: Record<string, string>): Promise<void> {
  const doc = { version: 1, allocations: Object.fromEntries(Object.entries(allocations).map(([key, ip]) => [key, { ip, pool: 'p' }])) };
  await writeFile(file, JSON.stringify(doc));
}

async function readState(file: string): Promise<Record<string, string>> {
  const doc = JSON.parse(await readFile(file, 'utf8')) as { allocations: Record<string, { ip: string }> };
  return Object.fromEntries(Object.entries(doc.allocations).map(([key, a]) => [key, a.ip]));
}

async function start(cluster: Cluster, stateFile?: string): Promise<{ provider: LocalCloudProvider; clock: FakeClock; logs: LogRecord[]; stop: AbortController }> {
  const clock = new FakeClock();
  const sink = new MemoryLogSink();
  const logger = createLogger(sink.sink);
  const config = parseLocalConfig(
    `pools:\n- name: p\n  ranges: [${POOL}]\nhealthCheck: { enabled: false }\nreconcileIntervalMs: ${INTERVAL}\n${stateFile === undefined ? '' : `stateFile: ${stateFile}\n`}`,
  );
  const provider = new LocalCloudProvider({ config, clock, logger });
  const stop = new AbortController();
  const client = (): KubeClient => {
    const base = new SimulatedApiServer().client();
    const list: KubeClient['services']['list'] = async () => {
      cluster.lists++;
      const failure = cluster.failNext;
      delete cluster.failNext;
      if (failure !== undefined) throw failure;
      const gate = cluster.gate;
      delete cluster.gate;
      if (gate !== undefined) await gate;
      return { items: structuredClone(cluster.services), metadata: { resourceVersion: '1' } };
    };
    return { ...base, services: { ...base.services, list } };
  };
  await provider.initialize({ signal: stop.signal, logger, clientBuilder: { client } });
  cleanups.push(() => {
    stop.abort();
    return provider.shutdown();
  });
  return { provider, clock, logs: sink.records, stop };
}

const allocations = (provider: LocalCloudProvider): [string, string][] => provider.localLoadBalancer.allocator.entries().map(([key, a]) => [key, a.ip]);

function probe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

describe('LocalCloudProvider: the state file', () => {
  it('a state file that is not JSON is set aside with a logged reason, and the allocations are rebuilt from the Services\' status', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeFile(file, '{"version": 1, "allocations": {"default/a": {"ip": "127.0.143');
    const { provider, logs, clock } = await start({ services: [svc('a', { ip: '127.0.143.5' })], lists: 0 }, file);
    const warning = logs.find((r) => /state file cannot be used/.test(r.msg));
    assert.ok(warning !== undefined, 'logged');
    assert.equal(warning.level, 'warning', "klog's W line: the provider carries on");
    assert.equal(warning.values['stateFile'], file);
    assert.match(String(warning.values['reason']), /^is not JSON: /);
    const aside = warning.values['setAsideAs'];
    assert.equal(aside, `${file}.corrupt-${new Date(clock.now()).toISOString().replaceAll('-', '').replaceAll(':', '')}`);
    assert.match(await readFile(String(aside), 'utf8'), /^\{"version": 1/, 'the bad file is kept for a person to look at');
    assert.deepEqual(allocations(provider), [['default/a', '127.0.143.5']]);
    assert.deepEqual(await readState(file), { 'default/a': '127.0.143.5' }, 'a good file replaces it');
  });

  it('a state file that is valid JSON but no state document is set aside too, and the provider goes on', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeFile(file, '{"version": 2}');
    const { provider, logs } = await start({ services: [], lists: 0 }, file);
    const warning = logs.find((r) => /state file cannot be used/.test(r.msg));
    assert.equal(warning?.values['reason'], 'is not a version 1 state document');
    assert.deepEqual((await readdir(dir)).filter((e) => e.startsWith('state.json.corrupt-')).length, 1);
    await provider.loadBalancer().ensureLoadBalancer('kubernetes', svc('a'), NODES);
    assert.deepEqual(await readState(file), { 'default/a': '127.0.143.1' });
  });

  it('temporary files an interrupted write left are removed at start; other files stay', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeState(file, { 'default/a': '127.0.143.2' });
    for (const name of ['state.json.4242.0.tmp', 'state.json.4242.17.tmp', 'state.json.corrupt-20250101T000000.000Z', 'other.json.1.1.tmp', 'state.json.x.tmp']) {
      await writeFile(join(dir, name), '{');
    }
    const { provider, logs } = await start({ services: [svc('a')], lists: 0 }, file);
    assert.deepEqual((await readdir(dir)).sort(), ['other.json.1.1.tmp', 'state.json', 'state.json.corrupt-20250101T000000.000Z', 'state.json.x.tmp']);
    assert.ok(logs.some((r) => /Removed temporary files/.test(r.msg)));
    assert.deepEqual(allocations(provider), [['default/a', '127.0.143.2']]);
  });

  /** What initialize rejects with for `stateFile`. */
  async function initializeError(stateFile: string): Promise<InputFileError> {
    const provider = new LocalCloudProvider({ config: parseLocalConfig(`pools:\n- name: p\n  ranges: [${POOL}]\nstateFile: ${stateFile}\n`), clock: new FakeClock() });
    const client = (): KubeClient => new SimulatedApiServer().client();
    try {
      await provider.initialize({ signal: new AbortController().signal, logger: createLogger(() => {}), clientBuilder: { client } });
    } catch (err) {
      assert.ok(err instanceof InputFileError, `expected an InputFileError, got ${String(err)}`);
      assert.equal(err.isInputError, true, 'the manager exits 2 with the message alone');
      return err;
    } finally {
      await provider.shutdown();
    }
    return assert.fail('expected initialize to fail');
  }

  // Not the file's content but the config is at fault: no set-aside, which would move a device or
  // a folder, and no rebuild. Before: readFile blocked for ever on a FIFO and filled memory from
  // /dev/zero; mkdir({ recursive: true }) spun for ever under /proc.
  const refused: [string, () => Promise<string>, RegExp][] = [
    [
      'a directory',
      async () => {
        const file = join(await stateDir(), 'state.json');
        await mkdir(file);
        return file;
      },
      /^stateFile: ".*state\.json" is a directory, not a regular file/,
    ],
    [
      'a FIFO',
      async () => {
        const file = join(await stateDir(), 'state.json');
        execFileSync('mkfifo', [file]);
        return file;
      },
      /^stateFile: ".*state\.json" is a named pipe \(FIFO\), not a regular file/,
    ],
    ['/dev/zero', () => Promise.resolve('/dev/zero'), /^stateFile: "\/dev\/zero" is a character device, not a regular file/],
    ['a file in a folder under /proc that cannot be created', () => Promise.resolve('/proc/self/outrigger/state.json'), /^stateFile: "\/proc\/self\/outrigger" cannot be created/],
    ['a /proc file that is no state document and cannot be set aside', () => Promise.resolve('/proc/self/status'), /^stateFile: "\/proc\/self\/status" is not JSON: .*, and it cannot be set aside: ENOENT/],
  ];
  for (const [what, make, message] of refused) {
    it(`a state file that is ${what} fails initialize with an input error naming stateFile`, async (t) => {
      if (!existsSync('/proc/self') || !existsSync('/dev/zero')) return t.skip('needs Linux /proc and /dev');
      const file = await make();
      const err = await initializeError(file);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('\n'));
      if (file.startsWith(tmpdir())) assert.deepEqual((await readdir(join(file, '..'))).sort(), ['state.json'], 'nothing set aside or written');
    });
  }
});

describe('LocalCloudProvider: nothing is written or bound once the initialize signal aborts', () => {
  it('an ensure in flight when leadership ends writes no state file and binds nothing', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    const { provider, stop } = await start({ services: [], lists: 0 }, file);
    const ensuring = provider.loadBalancer().ensureLoadBalancer('kubernetes', svc('a', { port: 18446 }), NODES);
    // The ensure has begun (it is past its leader check); the manager stops leading.
    stop.abort();
    await assert.rejects(ensuring, (err: unknown) => err instanceof NotLeaderError && /^refusing to write the state file .*state\.json: .*initialize signal was aborted/.test(err.message));
    assert.deepEqual(await readdir(dir), [], 'no state file, no temporary file');
    assert.deepEqual(provider.localLoadBalancer.listeners(), []);
    assert.equal(await probe('127.0.143.1', 18446), 'ECONNREFUSED');
  });

  it('an ensure that needs no write binds no listener once leadership ended', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeState(file, { 'default/a': '127.0.143.4' });
    const { provider, stop } = await start({ services: [svc('a')], lists: 0 }, file);
    const ensuring = provider.loadBalancer().ensureLoadBalancer('kubernetes', svc('a', { port: 18447 }), NODES);
    stop.abort();
    // Refused before the bind (after it, the error would be the stopped provider's own).
    await assert.rejects(ensuring, (err: unknown) => err instanceof NotLeaderError && /^refusing to bind the load balancer of default\/a: /.test(err.message));
    assert.deepEqual(provider.localLoadBalancer.listeners(), []);
    assert.deepEqual(await readState(file), { 'default/a': '127.0.143.4' });
  });

  it('a deletion after leadership ended leaves the state file to the next leader', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeState(file, { 'default/a': '127.0.143.5' });
    const { provider, stop } = await start({ services: [svc('a')], lists: 0 }, file);
    stop.abort();
    await assert.rejects(provider.loadBalancer().ensureLoadBalancerDeleted('kubernetes', svc('a')), NotLeaderError);
    assert.deepEqual(await readState(file), { 'default/a': '127.0.143.5' }, 'the successor finds the address still held');
  });
});

describe('LocalCloudProvider: allocations follow the Services that exist', () => {
  it('at start, what no Service holds is released; LoadBalancer Services and ones still carrying the cleanup finalizer keep theirs', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeState(file, {
      'default/lb': '127.0.143.1',
      'default/cleanup': '127.0.143.2',
      'default/deleting': '127.0.143.3',
      'default/cluster-ip': '127.0.143.4',
      'default/gone': '127.0.143.5',
      'default/other-class': '127.0.143.6',
    });
    const services = [
      svc('lb'),
      svc('cleanup', { type: 'ClusterIP', finalizer: true }),
      svc('deleting', { finalizer: true, deleting: true }),
      svc('cluster-ip', { type: 'ClusterIP' }),
      svc('other-class', { loadBalancerClass: 'example.com/other' }),
    ];
    const { provider, logs } = await start({ services, lists: 0 }, file);
    const kept = { 'default/cleanup': '127.0.143.2', 'default/deleting': '127.0.143.3', 'default/lb': '127.0.143.1' };
    assert.deepEqual(Object.fromEntries(allocations(provider)), kept);
    assert.deepEqual(await readState(file), kept);
    const released = logs.find((r) => /Released load-balancer addresses/.test(r.msg));
    assert.deepEqual(released?.values['services'], ['default/cluster-ip', 'default/gone', 'default/other-class']);
    // The freed addresses are handed out again.
    const status = await provider.loadBalancer().ensureLoadBalancer('kubernetes', svc('new'), NODES);
    assert.equal(status.ingress[0]?.ip, '127.0.143.4');
  });

  it('an address a live Service shows passes to it from a gone one; one a Service holding another address still shows is kept until its status is corrected', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeState(file, { 'default/gone': '127.0.143.7', 'default/gone-too': '127.0.143.8', 'default/stale': '127.0.143.2' });
    const services = [svc('shows', { ip: '127.0.143.7' }), svc('stale', { ip: '127.0.143.8' })];
    const cluster: Cluster = { services, lists: 0 };
    const { provider, clock } = await start(cluster, file);
    assert.deepEqual(allocations(provider), [['default/gone-too', '127.0.143.8'], ['default/shows', '127.0.143.7'], ['default/stale', '127.0.143.2']]);
    // The service controller writes default/stale's real address; the next pass frees .8.
    cluster.services = [svc('shows', { ip: '127.0.143.7' }), svc('stale', { ip: '127.0.143.2' })];
    await clock.advance(INTERVAL);
    assert.deepEqual(allocations(provider), [['default/shows', '127.0.143.7'], ['default/stale', '127.0.143.2']]);
  });

  it('a load balancer exists while its Service holds an address, listening or not, and deleting it releases the address', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeState(file, { 'default/a': '127.0.143.3' });
    // Deleted while no manager ran: the service controller will clean it up (it holds the finalizer).
    const deleting = svc('a', { finalizer: true, deleting: true, ip: '127.0.143.3' });
    const { provider } = await start({ services: [deleting], lists: 0 }, file);
    const lb = provider.loadBalancer();
    assert.deepEqual(provider.localLoadBalancer.listeners(), []);
    const found = await lb.getLoadBalancer('kubernetes', deleting);
    assert.equal(found.exists, true);
    assert.equal(found.status?.ingress[0]?.ip, '127.0.143.3');
    await lb.ensureLoadBalancerDeleted('kubernetes', deleting);
    assert.deepEqual(allocations(provider), []);
    assert.deepEqual(await readState(file), {});
    assert.deepEqual(await lb.getLoadBalancer('kubernetes', deleting), { exists: false });
  });

  it('every reconcileIntervalMs the Services are listed again: one gone without the controller\'s cleanup loses its address and its listener', async () => {
    const cluster: Cluster = { services: [], lists: 0 };
    const { provider, clock } = await start(cluster);
    const a = svc('a', { port: 18443 });
    cluster.services = [a];
    const status = await provider.loadBalancer().ensureLoadBalancer('kubernetes', a, NODES);
    assert.equal(status.ingress[0]?.ip, '127.0.143.1');
    assert.equal(await probe('127.0.143.1', 18443), 'open');
    await clock.advance(INTERVAL - 1);
    assert.equal(cluster.lists, 1, 'listed once, at start');
    assert.equal(allocations(provider).length, 1);
    // Its cleanup finalizer stripped by hand and deleted: the service controller never tears it down.
    cluster.services = [];
    await clock.advance(1);
    assert.equal(cluster.lists, 2);
    assert.deepEqual(allocations(provider), []);
    assert.deepEqual(provider.localLoadBalancer.listeners(), []);
    assert.equal(await probe('127.0.143.1', 18443), 'ECONNREFUSED');
    await clock.advance(INTERVAL);
    assert.equal(cluster.lists, 3, 'and again');
  });

  it('what the service controller ensures or deletes while a pass lists is left alone, though the list does not show it', async () => {
    const cluster: Cluster = { services: [svc('old', { ip: '127.0.143.1' })], lists: 0 };
    const { provider, clock } = await start(cluster);
    assert.deepEqual(allocations(provider), [['default/old', '127.0.143.1']]);
    let open!: () => void;
    cluster.gate = new Promise<void>((resolve) => (open = resolve));
    await clock.advance(INTERVAL);
    assert.equal(cluster.lists, 2, 'the pass is listing');
    // While it lists (its answer predates both): a new Service is ensured, the old one deleted.
    const lb = provider.loadBalancer();
    const fresh = await lb.ensureLoadBalancer('kubernetes', svc('fresh', { port: 18444 }), NODES);
    await lb.ensureLoadBalancerDeleted('kubernetes', svc('old'));
    open();
    await settle(clock);
    assert.deepEqual(allocations(provider), [['default/fresh', fresh.ingress[0]?.ip ?? '']], 'fresh kept; old not re-adopted from its stale status');
    // The next pass sees the world as it is.
    cluster.services = [svc('fresh')];
    await clock.advance(INTERVAL);
    assert.deepEqual(allocations(provider), [['default/fresh', fresh.ingress[0]?.ip ?? '']]);
  });

  it('a failed list is logged and releases nothing; the next pass runs as planned', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeState(file, { 'default/a': '127.0.143.3' });
    const cluster: Cluster = { services: [svc('a')], lists: 0 };
    const { provider, clock, logs } = await start(cluster, file);
    cluster.services = [];
    cluster.failNext = new Error('connection refused');
    await clock.advance(INTERVAL);
    assert.ok(logs.some((r) => r.level === 'error' && /Could not list Services to reconcile/.test(r.msg)));
    assert.deepEqual(allocations(provider), [['default/a', '127.0.143.3']]);
    await clock.advance(INTERVAL);
    assert.deepEqual(allocations(provider), []);
  });

  it('after the initialise signal aborts no pass runs', async () => {
    const cluster: Cluster = { services: [], lists: 0 };
    const { clock, stop } = await start(cluster);
    stop.abort();
    await clock.advance(3 * INTERVAL);
    assert.equal(cluster.lists, 1);
    assert.equal(clock.pendingTimers, 0);
  });

  it('an ensure still binding when the provider stops leaves no listener behind', async () => {
    const { provider } = await start({ services: [], lists: 0 });
    const ensuring = provider.loadBalancer().ensureLoadBalancer('kubernetes', svc('a', { port: 18445 }), NODES);
    await provider.shutdown();
    await assert.rejects(ensuring, /served only by the leading manager/);
    assert.deepEqual(provider.localLoadBalancer.listeners(), []);
    assert.equal(await probe('127.0.143.1', 18445), 'ECONNREFUSED');
  });
});
