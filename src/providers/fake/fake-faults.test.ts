import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeCall } from './call-recorder.js';
import { FakeFaults } from './fake-faults.js';
import type { FakeAsyncMethod } from './fake-methods.js';

// The rules only look at the method; the arguments do not matter here.
const call = (method: FakeAsyncMethod = 'getZone'): FakeCall => ({ method, args: [], at: 0 }) as unknown as FakeCall;

describe('FakeFaults', () => {
  it('lets calls through when nothing is injected', () => {
    assert.deepEqual(new FakeFaults().take(call()), { error: undefined, latencyMs: 0 });
  });

  it('failNext fails exactly `times` calls of that method and no other method', () => {
    const faults = new FakeFaults();
    const boom = new Error('boom');
    faults.failNext('instanceID', boom, 2);
    assert.equal(faults.take(call('getZone')).error, undefined);
    assert.equal(faults.take(call('instanceID')).error, boom);
    assert.equal(faults.take(call('instanceID')).error, boom);
    assert.equal(faults.take(call('instanceID')).error, undefined);
  });

  it('counted rules are consumed oldest first, and "*" matches every method', () => {
    const faults = new FakeFaults();
    const any = new Error('any');
    const specific = new Error('specific');
    faults.failNext('*', any);
    faults.failNext('instanceID', specific);
    assert.equal(faults.take(call('instanceID')).error, any);
    assert.equal(faults.take(call('instanceID')).error, specific);
    assert.equal(faults.take(call('instanceID')).error, undefined);
  });

  it('counted rules win over failAlways, and a method rule over the "*" rule', () => {
    const faults = new FakeFaults();
    const always = new Error('always');
    const star = new Error('star');
    const once = new Error('once');
    faults.failAlways('*', star);
    faults.failAlways('instanceID', always);
    faults.failNext('instanceID', once);
    assert.equal(faults.take(call('instanceID')).error, once);
    assert.equal(faults.take(call('instanceID')).error, always);
    assert.equal(faults.take(call('instanceID')).error, always);
    assert.equal(faults.take(call('getZone')).error, star);
  });

  it('a function failure builds a fresh error from the call each time', () => {
    const faults = new FakeFaults();
    faults.failAlways('getZone', (c) => new Error(`failed ${c.method}`));
    const first = faults.take(call('getZone')).error;
    const second = faults.take(call('getZone')).error;
    assert.equal(first?.message, 'failed getZone');
    assert.notEqual(first, second);
  });

  it('clearFailures removes one selector or every rule, but keeps latency', () => {
    const faults = new FakeFaults();
    faults.failAlways('getZone', new Error('a'));
    faults.failNext('instanceID', new Error('b'));
    faults.failAlways('*', new Error('c'));
    faults.setLatency('getZone', 10);
    faults.clearFailures('getZone');
    assert.equal(faults.take(call('getZone')).error?.message, 'c');
    faults.clearFailures();
    assert.deepEqual(faults.take(call('instanceID')), { error: undefined, latencyMs: 0 });
    assert.equal(faults.take(call('getZone')).latencyMs, 10);
  });

  it('latency of a method overrides "*", and 0 removes it', () => {
    const faults = new FakeFaults();
    faults.setLatency('*', 50);
    faults.setLatency('instanceID', 500);
    assert.equal(faults.take(call('instanceID')).latencyMs, 500);
    assert.equal(faults.take(call('getZone')).latencyMs, 50);
    faults.setLatency('instanceID', 0);
    assert.equal(faults.latencyOf('instanceID'), 50);
  });

  it('rejects invalid times and latencies with the offending value', () => {
    const faults = new FakeFaults();
    for (const times of [0, -1, 1.5, Number.NaN]) assert.throws(() => faults.failNext('getZone', new Error('x'), times), RangeError);
    for (const ms of [-1, Number.POSITIVE_INFINITY, Number.NaN]) assert.throws(() => faults.setLatency('getZone', ms), /setLatency\("getZone"\) ms must be a finite number >= 0/);
  });
});
