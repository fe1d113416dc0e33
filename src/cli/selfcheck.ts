/**
 * `outrigger selfcheck`: runs the framework's moving parts together on a virtual clock — the
 * simulated API server, a shared informer, a work queue with its workers and the event recorder —
 * and prints what happened. It needs no cluster and no cloud: a quick proof that an install works.
 *
 * @module
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { TAINT_EXTERNAL_CLOUD_PROVIDER } from '../cloud/constants.js';
import { ControllerLoop } from '../controllers/controller-loop.js';
import { FakeClock } from '../kube/clock.js';
import { EventBroadcaster } from '../kube/events.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { NODES, keyOf } from '../kube/resources.js';
import { SharedInformerFactory } from '../kube/shared-informers.js';
import { noopLogger } from '../log/logger.js';

const NODE_COUNT = 1_000;

/** A deterministic [0, 1) sequence (the selfcheck must print the same thing every run). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the self check, printing lines through `print`; returns the process exit code. */
export async function runSelfCheck(print: (line: string) => void): Promise<number> {
  const clock = new FakeClock();
  const random = seededRandom(1);
  const server = new SimulatedApiServer({ clock, random });
  const kube = server.client({ userAgent: 'outrigger-selfcheck' });
  const stop = new AbortController();
  const informers = new SharedInformerFactory({ client: kube, clock, random, logger: noopLogger });
  const broadcaster = new EventBroadcaster({ client: kube, clock, random, logger: noopLogger });
  const recorder = broadcaster.newRecorder({ component: 'outrigger-selfcheck' });

  print(`outrigger selfcheck: ${NODE_COUNT} tainted Nodes on the simulated API server, virtual clock`);
  for (let i = 0; i < NODE_COUNT; i++) {
    await kube.nodes.create({
      metadata: { name: `node-${i}` },
      spec: { taints: [{ key: TAINT_EXTERNAL_CLOUD_PROVIDER, value: 'true', effect: 'NoSchedule' }] },
    });
  }

  // A toy reconcile standing in for the cloud node controller: drop the uninitialized taint.
  const nodes = informers.informerFor(NODES);
  const loop = new ControllerLoop({
    name: 'selfcheck',
    clock,
    logger: noopLogger,
    reconcile: async (key, { signal }) => {
      const cached = nodes.get(key);
      if (cached === undefined) return;
      const taints = cached.spec?.taints ?? [];
      if (!taints.some((t) => t.key === TAINT_EXTERNAL_CLOUD_PROVIDER)) return;
      await kube.nodes.patch(
        { name: key },
        { type: 'merge', body: { metadata: { resourceVersion: cached.metadata?.resourceVersion }, spec: { taints: taints.filter((t) => t.key !== TAINT_EXTERNAL_CLOUD_PROVIDER) } } },
        { signal },
      );
      recorder.event(cached, 'Normal', 'Synced', 'Node synced successfully');
    },
  });
  nodes.addEventHandler({
    onAdd: (node: Node) => loop.enqueue(keyOf(node)),
    onUpdate: (_old: Node, node: Node) => loop.enqueue(keyOf(node)),
  });
  informers.start(stop.signal);
  if (!(await informers.waitForCacheSync(stop.signal))) {
    print('FAIL: the informer cache never synced');
    return 1;
  }
  const workers = loop.run(stop.signal, 4);
  // Let the workers drain the queue on virtual time.
  for (let i = 0; i < 100 && (loop.queue.len > 0 || loop.queue.inFlight > 0); i++) await clock.advance(1_000);
  await broadcaster.flush();

  const remaining = server.snapshot(NODES).filter((n) => (n.spec?.taints ?? []).length > 0).length;
  const events = (await kube.events.list({ namespace: 'default' })).items.length;
  stop.abort();
  await workers;
  await informers.shutdown();
  await broadcaster.shutdown();

  const counts = new Map<string, number>();
  for (const c of server.requestCounts()) counts.set(`${c.verb} ${c.resource}`, (counts.get(`${c.verb} ${c.resource}`) ?? 0) + c.count);
  print(`  nodes initialised:   ${NODE_COUNT - remaining} of ${NODE_COUNT}`);
  print(`  events recorded:     ${events}`);
  print(`  API requests:        ${[...counts].map(([k, v]) => `${k}=${v}`).join(', ')}`);
  print(`  virtual time spent:  ${(clock.now() - Date.UTC(2026, 0, 1)) / 1000}s`);
  const ok = remaining === 0 && events === NODE_COUNT;
  print(ok ? 'selfcheck passed' : 'selfcheck FAILED');
  print('Next: `npx outrigger simulate --demo-local --once` (real load balancers on loopback), `npx outrigger run --help`.');
  return ok ? 0 : 1;
}
