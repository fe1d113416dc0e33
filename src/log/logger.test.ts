import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, klogJsonSink, klogTextSink, MemoryLogSink, noopLogger } from './logger.js';

describe('Logger', () => {
  it('drops info lines above the configured verbosity but always keeps errors', () => {
    const mem = new MemoryLogSink();
    const log = createLogger(mem.sink, 2);
    log.info('v0');
    log.v(2).info('v2');
    log.v(3).info('v3 dropped');
    log.v(9).error(new Error('boom'), 'error kept');
    log.v(9).warning('warning kept');
    assert.deepEqual(
      mem.records.map((r) => [r.level, r.msg, r.v]),
      [
        ['info', 'v0', 0],
        ['info', 'v2', 2],
        ['error', 'error kept', 0],
        ['warning', 'warning kept', 0],
      ],
    );
    assert.equal(log.v(3).enabled(), false);
    assert.equal(log.v(2).enabled(), true);
  });

  it('v(n) hands out one logger per level (hot paths call it per line) that still writes at its level', () => {
    const mem = new MemoryLogSink();
    const log = createLogger(mem.sink, 2);
    assert.equal(log.v(2), log.v(2));
    assert.notEqual(log.v(2), log.v(3));
    log.v(2).info('shown');
    log.v(3).info('hidden');
    assert.deepEqual(mem.records.map((r) => [r.msg, r.v]), [['shown', 2]]);
  });

  it('accumulates names and values', () => {
    const mem = new MemoryLogSink();
    const log = createLogger(mem.sink).withName('service-controller').withName('sync').withValues({ a: 1 });
    log.info('msg', { b: 2 });
    assert.equal(mem.records[0]?.name, 'service-controller.sync');
    assert.deepEqual(mem.records[0]?.values, { a: 1, b: 2 });
  });

  it('noopLogger emits nothing, reports disabled, and derives no new logger', () => {
    assert.equal(noopLogger.enabled(), false);
    noopLogger.error(new Error('x'), 'ignored');
    noopLogger.warning('ignored');
    assert.equal(noopLogger.withValues({ key: 'default/a' }), noopLogger);
    assert.equal(noopLogger.withName('events').v(4), noopLogger);
    assert.equal(noopLogger.v(0).enabled(), false);
  });

  it('a warning keeps the logger\'s name and values, even from a logger with every info line off', () => {
    const mem = new MemoryLogSink();
    const log = createLogger(mem.sink, -1).withName('local-provider').withValues({ a: 1 });
    log.info('dropped');
    log.warning('kept', { b: 2 });
    assert.deepEqual(mem.records, [{ level: 'warning', v: 0, name: 'local-provider', msg: 'kept', values: { a: 1, b: 2 } }]);
  });

  it('formats klog text lines with object references as namespace/name', () => {
    const lines: string[] = [];
    const log = createLogger(klogTextSink((l) => lines.push(l), () => Date.UTC(2026, 10, 22, 10, 15, 3, 123), 42));
    log.withName('svc').info('Ensuring load balancer', { service: { namespace: 'default', name: 'web' }, n: 3 });
    log.error(new Error('cloud down'), 'Sync failed');
    log.withName('svc').warning('Detected a cluster without a ClusterID', { reason: new Error('untagged') });
    assert.equal(lines[0], 'I1122 10:15:03.123000      42 svc] "Ensuring load balancer" service="default/web" n=3\n');
    assert.equal(lines[1], 'E1122 10:15:03.123000      42 outrigger] "Sync failed" err="cloud down"\n');
    assert.equal(lines[2], 'W1122 10:15:03.123000      42 svc] "Detected a cluster without a ClusterID" reason="untagged"\n');
  });

  it('formats klog JSON lines that always parse, with v on info and err on errors', () => {
    const lines: string[] = [];
    const log = createLogger(klogJsonSink((l) => lines.push(l), () => 1_500), 4);
    log.v(4).info('hello', { node: { name: 'n1' } });
    log.error('plain string error', 'bad');
    // klog's JSON backend has no severity field: klog.Warning comes out as an info line at v=0.
    log.v(4).withName('svc').warning('careful', { n: 1 });
    const [first, second, third] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(first, { ts: 1.5, msg: 'hello', v: 4, node: { name: 'n1' } });
    assert.deepEqual(second, { ts: 1.5, msg: 'bad', err: 'plain string error' });
    assert.deepEqual(third, { ts: 1.5, logger: 'svc', msg: 'careful', v: 0, n: 1 });
  });

  it('survives values that cannot be serialised', () => {
    const lines: string[] = [];
    const log = createLogger(klogJsonSink((l) => lines.push(l), () => 0));
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    log.info('cyclic', { cyclic });
    assert.equal((JSON.parse(lines[0] ?? '') as { err: string }).err, 'unserialisable log values');
  });
});
