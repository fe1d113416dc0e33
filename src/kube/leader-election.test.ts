import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FakeClock } from './clock.js';
import { apiErrors } from './errors.js';
import { LEASES } from './resources.js';
import type { Lease } from './resources.js';
import type { KubeClient, ResourceClient } from './client.js';
import { SimulatedApiServer } from './memory/index.js';
import type { EventRecorder } from './events.js';
import { LEADER_ELECTION_EVENT_REASON, LeaderElectionConfigError, LeaderElector, leaderIdentity } from './leader-election.js';
import type { LeaderElectorOptions } from './leader-election.js';
import { createLogger } from '../log/logger.js';

const NS = 'kube-system';
const NAME = 'cloud-controller-manager';

interface Candidate {
  readonly id: string;
  /** Until this instant the candidate's lease requests fail, as if it were partitioned away. */
  partitionedUntil: number;
  readonly elector: LeaderElector;
  controller: AbortController;
  leading: AbortSignal | undefined;
  startedAt: number | undefined;
  lostAt: number | undefined;
  stopped: boolean;
  /** Whether the current run has resolved (cancelled or leadership lost). */
  finished: boolean;
  newLeaders: string[];
  status: boolean[];
  run: Promise<void> | undefined;
}

type Extra = Partial<Omit<LeaderElectorOptions, 'client' | 'clock' | 'random' | 'identity' | 'namespace' | 'name'>>;

function cluster(clock = new FakeClock(), server = new SimulatedApiServer({ clock })) {
  const candidates: Candidate[] = [];
  /** Instants at which two candidates were leading at once (the safety property). */
  const overlaps: number[] = [];
  const add = (id: string, extra: Extra = {}, random: () => number = () => 0.5): Candidate => {
    const status: boolean[] = [];
    const base = server.client({ userAgent: id });
    const cut = (): void => {
      if (clock.now() < c.partitionedUntil) throw apiErrors.internal(`${id} is partitioned`);
    };
    const leases: ResourceClient<Lease> = {
      ...base.leases,
      type: base.leases.type,
      get: async (key, o) => (cut(), base.leases.get(key, o)),
      create: async (obj, o) => (cut(), base.leases.create(obj, o)),
      update: async (obj, o) => (cut(), base.leases.update(obj, o)),
    };
    const client: KubeClient = { nodes: base.nodes, services: base.services, events: base.events, leases, resource: (t) => base.resource(t) };
    const c: Candidate = {
      id,
      partitionedUntil: 0,
      elector: new LeaderElector({
        client,
        namespace: NS,
        name: NAME,
        identity: id,
        clock,
        random,
        onLeaderStatus: (leading) => status.push(leading),
        ...extra,
      }),
      controller: new AbortController(),
      leading: undefined,
      startedAt: undefined,
      lostAt: undefined,
      stopped: false,
      finished: false,
      newLeaders: [],
      status,
      run: undefined,
    };
    candidates.push(c);
    return c;
  };
  const start = (c: Candidate): void => {
    c.controller = new AbortController();
    c.stopped = false;
    c.finished = false;
    c.run = c.elector.run(c.controller.signal, {
      onStartedLeading: (leading) => {
        if (candidates.some((o) => o !== c && o.leading !== undefined && !o.leading.aborted)) overlaps.push(clock.now());
        c.leading = leading;
        c.startedAt = clock.now();
        leading.addEventListener('abort', () => (c.lostAt = clock.now()), { once: true });
      },
      onStoppedLeading: () => (c.stopped = true),
      onNewLeader: (identity) => c.newLeaders.push(identity),
    });
    void c.run.then(() => (c.finished = true));
  };
  const leaders = (): string[] => candidates.filter((c) => c.leading !== undefined && !c.leading.aborted).map((c) => c.id);
  const lease = (): Lease | undefined => server.snapshot(LEASES).find((l) => l.metadata?.name === NAME);
  const updates = (id: string): number =>
    server.requestCounts().filter((r) => r.userAgent === id && r.resource === 'leases' && (r.verb === 'update' || r.verb === 'create')).reduce((n, r) => n + r.count, 0);
  return { clock, server, candidates, overlaps, add, start, leaders, lease, updates };
}

/** Advances the clock until the candidate's run resolved (a release may wait on the clock). */
async function settle(clock: FakeClock, c: Candidate): Promise<void> {
  await until(clock, () => c.finished || c.run === undefined, 120_000, 100);
}

/** Advances in small steps until `cond` holds; returns the instant it first held. */
async function until(clock: FakeClock, cond: () => boolean, limitMs = 120_000, stepMs = 100): Promise<number> {
  const end = clock.now() + limitMs;
  while (!cond()) {
    if (clock.now() >= end) throw new Error(`condition not met within ${limitMs}ms`);
    await clock.advance(stepMs);
  }
  return clock.now();
}

const ms = (microTime: string | undefined): number => Date.parse(microTime ?? '');

describe('leaderIdentity', () => {
  it('joins hostname and uuid with an underscore as upstream', () => {
    assert.equal(leaderIdentity('cp-1', '4f1c'), 'cp-1_4f1c');
  });
});

describe('LeaderElector options are validated as client-go NewLeaderElector', () => {
  const server = new SimulatedApiServer({ clock: new FakeClock() });
  const cases: { name: string; extra: Partial<LeaderElectorOptions>; error: RegExp }[] = [
    { name: 'leaseDuration equal to renewDeadline', extra: { leaseDurationMs: 10_000 }, error: /leaseDuration .* must be greater than renewDeadline/ },
    { name: 'renewDeadline not above retryPeriod*JitterFactor', extra: { renewDeadlineMs: 2_400 }, error: /renewDeadline .* must be greater than retryPeriod\*JitterFactor/ },
    { name: 'zero retryPeriod', extra: { retryPeriodMs: 0 }, error: /retryPeriod must be greater than zero/ },
    { name: 'negative renewDeadline', extra: { renewDeadlineMs: -5, retryPeriodMs: -10 }, error: /renewDeadline must be greater than zero/ },
    { name: 'sub-second truncation makes the stored duration too short', extra: { leaseDurationMs: 10_500 }, error: /truncated to whole seconds/ },
    { name: 'empty identity', extra: { identity: '' }, error: /identity must not be empty/ },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      assert.throws(
        () => new LeaderElector({ client: server.client(), namespace: NS, name: NAME, identity: 'a', clock: new FakeClock(), random: () => 0, ...c.extra }),
        (err: unknown) => err instanceof LeaderElectionConfigError && c.error.test(err.message),
      );
    });
  }
  it('accepts the upstream defaults 15s/10s/2s', () => {
    assert.doesNotThrow(() => new LeaderElector({ client: server.client(), namespace: NS, name: NAME, identity: 'a', clock: new FakeClock(), random: () => 0 }));
  });
});

describe('LeaderElector', () => {
  it('creates the Lease with holder, whole-second duration and MicroTime stamps when none exists', async () => {
    const k = cluster();
    const a = k.add('a');
    k.start(a);
    await k.clock.advance(0);
    const spec = k.lease()?.spec;
    assert.equal(spec?.holderIdentity, 'a');
    assert.equal(spec?.leaseDurationSeconds, 15);
    assert.equal(spec?.leaseTransitions, 0);
    assert.match(spec?.acquireTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(spec?.renewTime, spec?.acquireTime);
    assert.equal(ms(spec?.acquireTime), k.clock.now());
    assert.equal(a.elector.isLeader(), true);
    assert.equal(a.elector.leader(), 'a');
    assert.deepEqual(a.newLeaders, ['a']);
    assert.deepEqual(a.status, [false, true]);
    a.controller.abort();
    await a.run;
  });

  it('lets exactly one of three candidates lead, renewing every retry period', async () => {
    const k = cluster();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => k.add(id)) as [Candidate, Candidate, Candidate];
    for (const x of [a, b, c]) k.start(x);
    await k.clock.advance(0);
    assert.deepEqual(k.leaders(), ['a']);
    const acquired = ms(k.lease()?.spec?.acquireTime);
    for (let i = 0; i < 30; i++) {
      await k.clock.advance(2_000);
      assert.deepEqual(k.leaders(), ['a']);
    }
    const spec = k.lease()?.spec;
    assert.equal(ms(spec?.acquireTime), acquired, 'renewals keep acquireTime');
    assert.equal(ms(spec?.renewTime), k.clock.now(), 'renewed at the last retry period');
    assert.equal(spec?.leaseTransitions, 0);
    assert.equal(b.elector.leader(), 'a');
    assert.deepEqual(c.newLeaders, ['a']);
    assert.equal(b.elector.isLeader(), false);
    assert.deepEqual(k.overlaps, []);
    for (const x of [a, b, c]) x.controller.abort();
    await Promise.all([a.run, b.run, c.run]);
    assert.ok([a, b, c].every((x) => x.stopped), 'onStoppedLeading is always called');
  });

  it('hands over only after the follower observed the record unchanged for leaseDuration on its clock', async () => {
    const k = cluster();
    const [a, b] = [k.add('a'), k.add('b')];
    k.start(a);
    await k.clock.advance(0);
    k.start(b);
    await k.clock.advance(9_000);
    // The leader dies without releasing: its last write stands.
    a.controller.abort();
    await a.run;
    const lastRenew = ms(k.lease()?.spec?.renewTime);
    const takeover = await until(k.clock, () => k.leaders().includes('b'));
    assert.ok(takeover >= lastRenew + 15_000, `took over at +${takeover - lastRenew}ms, before the lease duration`);
    // Observed at most one jittered retry period (2 s + 1.2 × 0.5 × 2 s) after the write, then one more to act.
    assert.ok(takeover <= lastRenew + 15_000 + 2 * 3_200, `took over late, at +${takeover - lastRenew}ms`);
    const spec = k.lease()?.spec;
    assert.equal(spec?.holderIdentity, 'b');
    assert.equal(spec?.leaseTransitions, 1, 'a holder change counts one transition');
    assert.equal(ms(spec?.acquireTime), ms(spec?.renewTime));
    assert.deepEqual(b.newLeaders, ['a', 'b']);
    b.controller.abort();
    await b.run;
  });

  it('does not take over a lease whose remote renewTime is old but which keeps changing', async () => {
    // Remote timestamps are not compared: a record renewed long "ago" by a skewed clock is still
    // live while it changes.
    const k = cluster();
    await k.server.client().leases.create({
      metadata: { namespace: NS, name: NAME },
      spec: { holderIdentity: 'skewed', leaseDurationSeconds: 15, renewTime: '2000-01-01T00:00:00.000000Z', leaseTransitions: 4 },
    });
    const b = k.add('b');
    k.start(b);
    const writer = k.server.client();
    for (let i = 0; i < 20; i++) {
      await k.clock.advance(2_000);
      const current = await writer.leases.get({ namespace: NS, name: NAME });
      await writer.leases.update({ ...current, spec: { ...current.spec, renewTime: `2000-01-01T00:00:${String(i + 10)}.000000Z` } });
    }
    assert.deepEqual(k.leaders(), []);
    assert.equal(b.elector.leader(), 'skewed');
    await until(k.clock, () => k.leaders().includes('b'), 30_000);
    assert.equal(k.lease()?.spec?.leaseTransitions, 5);
    b.controller.abort();
    await b.run;
  });

  it('aborts the leading signal at the renew deadline when renews fail, and writes no more', async () => {
    const k = cluster();
    const [a, b] = [k.add('a'), k.add('b')];
    k.start(a);
    await k.clock.advance(0);
    k.start(b);
    await k.clock.advance(6_000);
    const lastGood = ms(k.lease()?.spec?.renewTime);
    k.server.faults.inject({ verb: 'update', resource: 'leases', times: Infinity, error: () => apiErrors.internal('etcd unavailable') });
    const lost = await until(k.clock, () => a.leading?.aborted === true, 30_000, 50);
    assert.equal(a.lostAt, lastGood + 10_000, 'leading ends renewDeadline after the last successful renew was sent');
    await a.run;
    assert.equal(a.stopped, true);
    assert.deepEqual(a.status, [false, true, false]);
    assert.equal(a.elector.isLeader(), false);
    const writesAtLoss = k.updates('a');
    k.server.faults.clear();
    const takeover = await until(k.clock, () => k.leaders().includes('b'));
    assert.ok(takeover > lost, 'the follower leads only after the old leader stopped');
    assert.ok(takeover >= lastGood + 15_000);
    await k.clock.advance(30_000);
    assert.equal(k.updates('a'), writesAtLoss, 'no lease write from the old leader after it lost');
    assert.equal(k.lease()?.spec?.holderIdentity, 'b');
    assert.deepEqual(k.overlaps, []);
    b.controller.abort();
    await b.run;
  });

  it('records client-go LeaderElection events on the Lease: became leader, then stopped leading', async () => {
    const recorded: { kind: string | undefined; ns: string | undefined; name: string | undefined; uid: string | undefined; type: string; reason: string; message: string }[] = [];
    const recorder: EventRecorder = {
      event: (obj, type, reason, message) =>
        recorded.push({ kind: obj.kind, ns: obj.metadata?.namespace, name: obj.metadata?.name, uid: obj.metadata?.uid, type, reason, message }),
    };
    const k = cluster();
    const [a, b] = [k.add('a', { recorder }), k.add('b', { recorder })];
    k.start(a);
    await k.clock.advance(0);
    k.start(b);
    await k.clock.advance(6_000);
    const uid = k.lease()?.metadata?.uid;
    assert.ok(uid !== undefined);
    assert.deepEqual(recorded, [{ kind: 'Lease', ns: NS, name: NAME, uid, type: 'Normal', reason: LEADER_ELECTION_EVENT_REASON, message: 'a became leader' }]);
    k.server.faults.inject({ verb: 'update', resource: 'leases', times: Infinity, error: () => apiErrors.internal('etcd unavailable') });
    await until(k.clock, () => a.leading?.aborted === true, 30_000, 50);
    await a.run;
    assert.deepEqual(recorded.map((e) => e.message), ['a became leader', 'a stopped leading'], 'a follower that never led records nothing');
    k.server.faults.clear();
    await until(k.clock, () => k.leaders().includes('b'));
    b.controller.abort();
    await b.run;
    assert.deepEqual(recorded.map((e) => e.message), ['a became leader', 'a stopped leading', 'b became leader', 'b stopped leading']);
    assert.equal(LEADER_ELECTION_EVENT_REASON, 'LeaderElection');
  });

  it('keeps leading through renew failures shorter than the renew deadline', async () => {
    const k = cluster();
    const a = k.add('a');
    k.start(a);
    await k.clock.advance(0);
    k.server.faults.inject({ verb: 'update', resource: 'leases', times: 6, error: () => apiErrors.internal('blip') });
    await k.clock.advance(30_000);
    assert.deepEqual(k.leaders(), ['a']);
    assert.equal(a.elector.check(), undefined);
    a.controller.abort();
    await a.run;
  });

  it('aborts a renew stuck past the deadline (request latency) and loses leadership', async () => {
    const k = cluster();
    const a = k.add('a');
    k.start(a);
    await k.clock.advance(0);
    k.server.faults.inject({ verb: 'update', resource: 'leases', latencyMs: 60_000 });
    await k.clock.advance(10_000);
    assert.equal(a.leading?.aborted, true);
    assert.equal(a.lostAt, 10_000 + Date.UTC(2026, 0, 1));
    await a.run;
    assert.equal(a.stopped, true);
  });

  it('never releases (nor logs a cancel) when its stop comes right after a lost renew, even with releaseOnCancel', async () => {
    const lines: string[] = [];
    const logger = createLogger((r) => lines.push(r.msg), 0);
    const k = cluster();
    const a = k.add('a', { releaseOnCancel: true, logger });
    k.start(a);
    await k.clock.advance(0);
    await k.clock.advance(4_000);
    // A caller that reacts to the lost lease by stopping the run (as a manager's stop path does):
    // the stop lands in the same tick as the loss, before the elector has unwound.
    a.leading?.addEventListener('abort', () => a.controller.abort(new Error('manager stopping')), { once: true });
    k.server.faults.inject({ verb: 'update', resource: 'leases', times: Infinity, error: () => apiErrors.internal('etcd unavailable') });
    await until(k.clock, () => a.leading?.aborted === true, 30_000, 50);
    await settle(k.clock, a);
    k.server.faults.clear();
    assert.equal(k.lease()?.spec?.holderIdentity, 'a', 'a lost Lease is not handed back: another candidate may hold it already');
    assert.ok(lines.includes('Failed to renew lease'), lines.join(' | '));
    assert.ok(!lines.includes('Stopped leading: run cancelled'), lines.join(' | '));
  });

  it('gives up a release that keeps meeting conflicts after a bounded number of tries', async () => {
    const k = cluster();
    const a = k.add('a', { releaseOnCancel: true });
    k.start(a);
    await k.clock.advance(3_000);
    const before = k.updates('a');
    k.server.faults.inject({ verb: 'update', resource: 'leases', times: Infinity, error: () => apiErrors.conflict('leases', 'coordination.k8s.io', 'cloud-controller-manager', 'the object has been modified') });
    a.controller.abort();
    await settle(k.clock, a);
    assert.equal(k.updates('a') - before, 3, 'three tries, not a loop');
    assert.equal(k.lease()?.spec?.holderIdentity, 'a');
  });

  it('releases the lease on cancel so a follower takes over within one retry period', async () => {
    const k = cluster();
    const [a, b] = [k.add('a', { releaseOnCancel: true }), k.add('b')];
    k.start(a);
    await k.clock.advance(0);
    k.start(b);
    await k.clock.advance(7_000);
    const transitions = k.lease()?.spec?.leaseTransitions;
    a.controller.abort();
    const released = k.clock.now();
    await a.run;
    // run() resolves only after the release was written.
    const spec = k.lease()?.spec;
    assert.equal(spec?.holderIdentity, '');
    assert.equal(spec?.leaseDurationSeconds, 1);
    assert.equal(spec?.leaseTransitions, transitions);
    assert.equal(a.leading?.aborted, true);
    assert.equal(a.elector.leader(), undefined);
    const takeover = await until(k.clock, () => k.leaders().includes('b'), 10_000, 50);
    assert.ok(takeover - released <= 2_000 * 2.2, `took ${takeover - released}ms`);
    assert.equal(k.lease()?.spec?.leaseTransitions, (transitions ?? 0) + 1);
    b.controller.abort();
    await b.run;
  });

  it('loses the race to a concurrent writer with 409 Conflict: one takeover, one transition', async () => {
    const k = cluster();
    await k.server.client().leases.create({
      metadata: { namespace: NS, name: NAME },
      spec: { holderIdentity: 'dead', leaseDurationSeconds: 15, leaseTransitions: 2 },
    });
    // Same jitter ⇒ both poll at the same instants; slow updates make both read the same
    // resourceVersion before either write lands.
    k.server.faults.inject({ verb: 'update', resource: 'leases', latencyMs: 100, times: 2 });
    const [b, c] = [k.add('b', {}, () => 0), k.add('c', {}, () => 0)];
    k.start(b);
    k.start(c);
    await until(k.clock, () => k.leaders().length > 0, 30_000, 50);
    const counts = k.server.requestCounts().filter((r) => r.resource === 'leases' && r.verb === 'update');
    assert.equal(counts.reduce((n, r) => n + r.count, 0), 2, 'both tried to take over');
    assert.equal(k.leaders().length, 1);
    assert.equal(k.lease()?.spec?.leaseTransitions, 3);
    const winner = k.leaders()[0];
    await k.clock.advance(20_000);
    assert.deepEqual(k.leaders(), [winner]);
    assert.equal(k.leaders().length, 1);
    assert.deepEqual(k.overlaps, []);
    for (const x of [b, c]) x.controller.abort();
    await Promise.all([b.run, c.run]);
  });

  it('keeps campaigning through failing lease reads', async () => {
    const k = cluster();
    k.server.faults.inject({ verb: 'get', resource: 'leases', times: 3, error: () => apiErrors.internal('boom') });
    const a = k.add('a');
    k.start(a);
    await k.clock.advance(0);
    assert.deepEqual(k.leaders(), []);
    await until(k.clock, () => k.leaders().includes('a'), 20_000);
    a.controller.abort();
    await a.run;
  });

  it('ends run without leading when aborted while campaigning', async () => {
    const k = cluster();
    await k.server.client().leases.create({ metadata: { namespace: NS, name: NAME }, spec: { holderIdentity: 'other', leaseDurationSeconds: 15 } });
    const a = k.add('a', { releaseOnCancel: true });
    k.start(a);
    await k.clock.advance(3_000);
    a.controller.abort();
    await a.run;
    assert.equal(a.stopped, true);
    assert.equal(a.startedAt, undefined);
    assert.equal(k.lease()?.spec?.holderIdentity, 'other', 'nothing to release');
    assert.equal(a.elector.leader(), 'other');
    await assert.rejects(async () => {
      const again = a.elector.run(new AbortController().signal, { onStartedLeading: () => {}, onStoppedLeading: () => {} });
      await Promise.all([again, a.elector.run(new AbortController().signal, { onStartedLeading: () => {}, onStoppedLeading: () => {} })]);
    }, /already in progress/);
  });

  it('reports unhealthy (healthz watchdog) only when the record naming it is older than leaseDuration + tolerance', async () => {
    const k = cluster();
    const [a, b] = [k.add('a'), k.add('b')];
    k.start(a);
    await k.clock.advance(0);
    k.start(b);
    await k.clock.advance(4_000);
    k.server.faults.inject({ verb: 'update', resource: 'leases', times: Infinity, error: () => apiErrors.internal('down') });
    // Last good renew at +4 s; the watchdog tolerates 15 s + 20 s after it.
    await k.clock.advance(35_000);
    assert.equal(a.elector.check(), undefined);
    await k.clock.advance(1);
    assert.match(a.elector.check()?.message ?? '', /failed election to renew leadership on lease cloud-controller-manager/);
    assert.equal(a.elector.check(60_000), undefined, 'a larger tolerance is healthy');
    assert.equal(b.elector.check(), undefined, 'a follower is never unhealthy');
    k.server.faults.clear();
    for (const x of [a, b]) x.controller.abort();
    await Promise.all([a.run, b.run]);
  });

  it('stops leading when onStartedLeading throws', async () => {
    const k = cluster();
    const a = new LeaderElector({ client: k.server.client(), namespace: NS, name: NAME, identity: 'a', clock: k.clock, random: () => 0 });
    let leading: AbortSignal | undefined;
    let stopped = false;
    const run = a.run(new AbortController().signal, {
      onStartedLeading: (s) => {
        leading = s;
        throw new Error('controller start failed');
      },
      onStoppedLeading: () => (stopped = true),
    });
    await k.clock.advance(0);
    await run;
    assert.equal(leading?.aborted, true);
    assert.equal(stopped, true);
  });

  it('never lets two candidates lead at the same virtual instant under random faults, stops and time steps', async () => {
    type Step =
      | { kind: 'advance'; ms: number }
      | { kind: 'fault'; verb: 'get' | 'update'; times: number; latencyMs: number; error: boolean }
      | { kind: 'stop'; who: number }
      | { kind: 'partition'; who: number; ms: number }
      | { kind: 'start'; who: number };
    const step = fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 12_000 }) }) },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('fault' as const),
          verb: fc.constantFrom('get' as const, 'update' as const),
          times: fc.integer({ min: 1, max: 8 }),
          latencyMs: fc.constantFrom(0, 0, 500, 3_000, 12_000),
          error: fc.boolean(),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('stop' as const), who: fc.integer({ min: 0, max: 2 }) }) },
      {
        weight: 2,
        arbitrary: fc.record({ kind: fc.constant('partition' as const), who: fc.integer({ min: 0, max: 2 }), ms: fc.integer({ min: 1_000, max: 40_000 }) }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('start' as const), who: fc.integer({ min: 0, max: 2 }) }) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 5, maxLength: 30 }),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (steps: Step[], release: boolean[], seed: number) => {
          let s = seed;
          const random = (): number => ((s = (s * 48271) % 2147483647) / 2147483647);
          const k = cluster();
          const cs = [0, 1, 2].map((i) => k.add(`c${i}`, { releaseOnCancel: release[i] ?? false }, random));
          for (const c of cs) k.start(c);
          for (const st of steps) {
            if (st.kind === 'advance') await k.clock.advance(st.ms);
            else if (st.kind === 'fault') {
              k.server.faults.inject({
                verb: st.verb,
                resource: 'leases',
                times: st.times,
                ...(st.latencyMs > 0 ? { latencyMs: st.latencyMs } : {}),
                ...(st.error || st.latencyMs === 0 ? { error: () => apiErrors.internal('injected') } : {}),
              });
            } else if (st.kind === 'partition') {
              (cs[st.who] as Candidate).partitionedUntil = k.clock.now() + st.ms;
            } else {
              const c = cs[st.who] as Candidate;
              if (st.kind === 'stop' && !c.controller.signal.aborted) c.controller.abort();
              if (st.kind === 'start' && (c.controller.signal.aborted || c.finished)) {
                await settle(k.clock, c);
                k.start(c);
              }
            }
            assert.ok(k.leaders().length <= 1, `two leaders at ${k.clock.now()}: ${k.leaders().join(',')}`);
          }
          assert.deepEqual(k.overlaps, []);
          // Liveness: once faults stop, a running candidate leads within lease duration + retries.
          k.server.faults.clear();
          for (const c of cs) c.partitionedUntil = 0;
          const first = cs[0] as Candidate;
          if (first.controller.signal.aborted || first.finished) {
            await settle(k.clock, first);
            k.start(first);
          }
          await until(k.clock, () => k.leaders().length === 1, 60_000, 500);
          for (const c of cs) c.controller.abort();
          for (const c of cs) await settle(k.clock, c);
          assert.deepEqual(k.overlaps, []);
        },
      ),
      { numRuns: 100 },
    );
  });
});
