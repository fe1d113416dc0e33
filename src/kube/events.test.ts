import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { EventBroadcaster } from './events.js';
import type { EventRecorder } from './events.js';
import { KubeApiError, apiErrors } from './errors.js';
import { SimulatedApiServer } from './memory/index.js';
import { EVENTS } from './resources.js';
import type { Event, Node, Service } from './resources.js';
import { MemoryLogSink, createLogger } from '../log/logger.js';

const START = Date.UTC(2026, 0, 1);

interface Setup {
  clock: FakeClock;
  server: SimulatedApiServer;
  broadcaster: EventBroadcaster;
  recorder: EventRecorder;
  logs: MemoryLogSink;
  node: Node;
  events(): Event[];
  requests(verb: string): number;
}

function setup(): Setup {
  const clock = new FakeClock(START);
  const server = new SimulatedApiServer({ clock });
  const logs = new MemoryLogSink();
  const broadcaster = new EventBroadcaster({
    client: server.client({ userAgent: 'events' }),
    clock,
    random: () => 0.5,
    logger: createLogger(logs.sink, 5),
  });
  return {
    clock,
    server,
    broadcaster,
    recorder: broadcaster.newRecorder({ component: 'cloud-node-controller', host: 'ccm-1' }),
    logs,
    node: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'uid-n1', resourceVersion: '42' } },
    events: () => server.snapshot(EVENTS),
    requests: (verb) =>
      server
        .requestCounts()
        .filter((c) => c.userAgent === 'events' && c.verb === verb && c.resource === 'events')
        .reduce((n, c) => n + c.count, 0),
  };
}

describe('EventBroadcaster', () => {
  it('writes an Event shaped as client-go builds it', async () => {
    const s = setup();
    s.recorder.event(s.node, 'Normal', 'Synced', 'Node synced successfully');
    await s.broadcaster.flush();
    const [event, ...rest] = s.events();
    assert.equal(rest.length, 0);
    assert.ok(event !== undefined);
    const nanosHex = (BigInt(START) * 1_000_000n).toString(16);
    assert.equal(event.metadata.name, `node-1.${nanosHex}`);
    assert.equal(event.metadata.namespace, 'default', 'cluster-scoped objects record into default');
    assert.deepEqual(event.involvedObject, { kind: 'Node', apiVersion: 'v1', name: 'node-1', uid: 'uid-n1', resourceVersion: '42' });
    assert.equal(event.reason, 'Synced');
    assert.equal(event.message, 'Node synced successfully');
    assert.equal(event.type, 'Normal');
    assert.deepEqual(event.source, { component: 'cloud-node-controller', host: 'ccm-1' });
    assert.equal(event.firstTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(event.lastTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(event.count, 1);
    assert.equal(event.reportingComponent, 'cloud-node-controller');
    assert.equal(event.reportingInstance, 'ccm-1');
    const logged = s.logs.records.find((r) => r.msg === 'Event occurred');
    assert.equal(logged?.v, 0, 'upstream controllers log events with StartStructuredLogging(0)');
    assert.deepEqual(logged?.values, {
      object: { name: 'node-1', namespace: '' },
      kind: 'Node',
      apiVersion: 'v1',
      type: 'Normal',
      reason: 'Synced',
      message: 'Node synced successfully',
    });
  });

  it("records a namespaced object's events in its namespace, with unique names at one instant", async () => {
    const s = setup();
    const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop', uid: 'u' } };
    const recorder = s.broadcaster.newRecorder({ component: 'service-controller' });
    recorder.event(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    recorder.event(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
    await s.broadcaster.flush();
    const events = s.events();
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.metadata.namespace === 'shop' && e.involvedObject.namespace === 'shop'));
    assert.notEqual(events[0]?.metadata.name, events[1]?.metadata.name);
    assert.deepEqual(events[0]?.source, { component: 'service-controller' });
  });

  it('patches an identical event (count+1, lastTimestamp) instead of creating another', async () => {
    const s = setup();
    for (let i = 0; i < 3; i++) {
      s.recorder.event(s.node, 'Warning', 'SyncFailed', 'cloud unavailable');
      await s.broadcaster.flush();
      await s.clock.advance(60_000);
    }
    const events = s.events();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.count, 3);
    assert.equal(events[0]?.firstTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(events[0]?.lastTimestamp, '2026-01-01T00:02:00Z');
    assert.equal(s.requests('create'), 1);
    assert.equal(s.requests('patch'), 2);
  });

  it('creates the event anew when the patch finds it gone', async () => {
    const s = setup();
    s.recorder.event(s.node, 'Warning', 'SyncFailed', 'cloud unavailable');
    await s.broadcaster.flush();
    const first = s.events()[0];
    await s.server.client().events.delete({ namespace: 'default', name: first?.metadata.name ?? '' });
    s.recorder.event(s.node, 'Warning', 'SyncFailed', 'cloud unavailable');
    await s.broadcaster.flush();
    const events = s.events();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.count, 2);
    assert.equal(events[0]?.metadata.name, first?.metadata.name);
    assert.equal(s.requests('patch'), 1);
    assert.equal(s.requests('create'), 2);
  });

  it('forgets the oldest correlation state beyond 4096 entries (bounded LRU)', async () => {
    const s = setup();
    const nodeN = (i: number): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: `n${i}`, uid: `u${i}` } });
    s.recorder.event(nodeN(0), 'Normal', 'Synced', 'ok');
    s.recorder.event(nodeN(1), 'Normal', 'Synced', 'ok');
    await s.broadcaster.flush();
    for (let i = 2; i <= 4096; i++) {
      s.recorder.event(nodeN(i), 'Normal', 'Synced', 'ok');
      if (i % 500 === 0) await s.broadcaster.flush(); // stay under the 1000-event queue bound
    }
    s.recorder.event(nodeN(1), 'Normal', 'Synced', 'ok'); // touched: stays cached
    await s.broadcaster.flush();
    assert.equal(s.requests('patch'), 1);
    s.recorder.event(nodeN(0), 'Normal', 'Synced', 'ok');
    await s.broadcaster.flush();
    assert.equal(s.requests('patch'), 1, 'n0 was evicted: its repeat is created anew');
    assert.equal(s.requests('create'), 4098);
  });

  it('combines the 10th distinct message of a reason within 10 minutes into one aggregate event', async () => {
    const s = setup();
    for (let i = 1; i <= 12; i++) {
      s.recorder.event(s.node, 'Warning', 'FailedToCreateRoute', `route ${i} failed`);
      await s.clock.advance(1_000);
    }
    await s.broadcaster.flush();
    const events = s.events();
    const plain = events.filter((e) => !(e.message ?? '').startsWith('(combined'));
    const combined = events.filter((e) => (e.message ?? '').startsWith('(combined'));
    assert.equal(plain.length, 9);
    assert.equal(combined.length, 1);
    assert.equal(combined[0]?.message, '(combined from similar events): route 12 failed');
    assert.equal(combined[0]?.count, 3);
    assert.equal(s.requests('create'), 10);
    assert.equal(s.requests('patch'), 2);

    // After 10 quiet minutes the reason starts afresh.
    await s.clock.advance(601_000);
    s.recorder.event(s.node, 'Warning', 'FailedToCreateRoute', 'route 13 failed');
    await s.broadcaster.flush();
    assert.ok(s.events().some((e) => e.message === 'route 13 failed'));
  });

  it('drops events beyond a burst of 25 per source and object, refilling one per 5 minutes', async () => {
    const s = setup();
    for (let i = 0; i < 30; i++) s.recorder.event(s.node, 'Normal', 'Synced', 'Node synced successfully');
    await s.broadcaster.flush();
    assert.equal(s.requests('create') + s.requests('patch'), 25);
    assert.equal(s.events()[0]?.count, 25);
    const dropped = s.logs.records.filter((r) => r.msg === 'Event dropped by the spam filter');
    assert.equal(dropped.length, 5);
    assert.ok(dropped.every((r) => r.v === 4));
    // Another object from the same source has its own bucket.
    s.recorder.event({ ...s.node, metadata: { name: 'node-2', uid: 'uid-n2' } }, 'Normal', 'Synced', 'Node synced successfully');
    await s.broadcaster.flush();
    assert.equal(s.events().length, 2);

    await s.clock.advance(299_000);
    s.recorder.event(s.node, 'Normal', 'Synced', 'Node synced successfully');
    await s.broadcaster.flush();
    assert.equal(s.requests('create') + s.requests('patch'), 26, 'no token yet');
    await s.clock.advance(1_000);
    s.recorder.event(s.node, 'Normal', 'Synced', 'Node synced successfully');
    await s.broadcaster.flush();
    assert.equal(s.requests('create') + s.requests('patch'), 27);
    // As upstream, dropped occurrences still count: this is the 32nd.
    assert.equal(s.events().find((e) => e.involvedObject.name === 'node-1')?.count, 32);
  });

  it('retries a failed write 12 times (first after a random share of 10 s, then every 10 s) and gives up', async () => {
    const s = setup();
    s.server.faults.inject({ verb: 'create', resource: 'events', times: Infinity, error: () => apiErrors.serviceUnavailable('apiserver restarting') });
    s.recorder.event(s.node, 'Normal', 'Synced', 'Node synced successfully');
    await s.clock.advance(0);
    assert.equal(s.requests('create'), 1);
    await s.clock.advance(4_999);
    assert.equal(s.requests('create'), 1);
    await s.clock.advance(1);
    assert.equal(s.requests('create'), 2, 'first retry after 0.5 × 10 s');
    await s.clock.advance(10_000);
    assert.equal(s.requests('create'), 3);
    await s.clock.advance(10 * 10_000);
    await s.broadcaster.flush();
    assert.equal(s.requests('create'), 12);
    assert.ok(s.logs.records.some((r) => r.level === 'error' && r.msg === 'Unable to write event (retry limit exceeded!)'));
    await s.clock.advance(60_000);
    assert.equal(s.requests('create'), 12);
  });

  it('succeeds on a later attempt and keeps later events queued behind it', async () => {
    const s = setup();
    s.server.faults.inject({ verb: 'create', resource: 'events', times: 2, error: () => apiErrors.internal('etcd timeout') });
    s.recorder.event(s.node, 'Normal', 'First', 'one');
    s.recorder.event(s.node, 'Normal', 'Second', 'two');
    await s.clock.advance(5_000);
    assert.equal(s.events().length, 0);
    await s.clock.advance(10_000);
    await s.broadcaster.flush();
    assert.deepEqual(s.events().map((e) => e.reason).sort(), ['First', 'Second']);
  });

  it('does not retry an event the server rejects', async () => {
    const s = setup();
    s.server.faults.inject({ verb: 'create', resource: 'events', error: () => new KubeApiError(403, 'Forbidden', 'events is forbidden') });
    s.recorder.event(s.node, 'Normal', 'Synced', 'Node synced successfully');
    await s.broadcaster.flush();
    await s.clock.advance(60_000);
    assert.equal(s.requests('create'), 1);
    assert.ok(s.logs.records.some((r) => r.level === 'error' && r.msg === 'Server rejected event (will not retry!)'));
  });

  it('drops events beyond 1000 queued behind the one being written', async () => {
    const s = setup();
    s.server.faults.inject({ verb: 'create', resource: 'events', latencyMs: 1_000 });
    for (let i = 0; i < 1005; i++) s.recorder.event({ ...s.node, metadata: { name: `n${i}` } }, 'Normal', 'Synced', 'ok');
    await s.clock.advance(1_000);
    await s.broadcaster.flush();
    assert.equal(s.requests('create'), 1001);
    assert.equal(s.logs.records.filter((r) => r.msg === 'Unable to record event: too many queued events, dropped event').length, 4);
  });

  it('never throws or blocks the caller', async () => {
    const s = setup();
    s.server.faults.inject({ verb: 'create', resource: 'events', latencyMs: 3_600_000 });
    const cases: Array<[string, () => void]> = [
      ['object without kind', () => s.recorder.event({ metadata: { name: 'x' } }, 'Normal', 'R', 'm')],
      ['unsupported type', () => s.recorder.event(s.node, 'Fatal' as 'Normal', 'R', 'm')],
      ['slow server', () => s.recorder.event(s.node, 'Normal', 'R', 'm')],
    ];
    for (const [name, record] of cases) assert.doesNotThrow(record, name);
    assert.ok(s.logs.records.some((r) => r.msg === 'Could not construct reference, will not report event'));
    assert.ok(s.logs.records.some((r) => r.msg === 'Unsupported event type'));
    await s.clock.advance(3_600_000);
    await s.broadcaster.flush();
    assert.equal(s.events().length, 1);
  });

  it('shutdown flushes queued events, cuts retry sleeps short and drops later events', async () => {
    const s = setup();
    s.server.faults.inject({ verb: 'create', resource: 'events', error: () => apiErrors.serviceUnavailable('x') });
    s.recorder.event(s.node, 'Normal', 'A', 'fails once, then waits to retry');
    s.recorder.event(s.node, 'Normal', 'B', 'queued');
    s.recorder.event(s.node, 'Normal', 'C', 'queued');
    await s.clock.advance(0);
    await s.broadcaster.shutdown(); // resolves without the clock moving
    assert.deepEqual(s.events().map((e) => e.reason).sort(), ['B', 'C']);
    s.recorder.event(s.node, 'Normal', 'D', 'too late');
    await s.broadcaster.flush();
    assert.equal(s.events().length, 2);
  });
});
