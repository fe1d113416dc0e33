import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ProviderInitContext } from '../../cloud/provider.js';
import { noopLogger } from '../../log/logger.js';
import { CallRecorder } from './call-recorder.js';

describe('CallRecorder', () => {
  it('records calls in order with their time and counts them per method', () => {
    const recorder = new CallRecorder();
    recorder.record('instanceID', ['n1'], 100);
    recorder.record('listRoutes', ['kubernetes'], 200);
    recorder.record('instanceID', ['n2'], 300);
    assert.deepEqual(
      recorder.calls().map((c) => [c.method, c.args, c.at]),
      [
        ['instanceID', ['n1'], 100],
        ['listRoutes', ['kubernetes'], 200],
        ['instanceID', ['n2'], 300],
      ],
    );
    assert.deepEqual(recorder.calls('instanceID').map((c) => c.args[0]), ['n1', 'n2']);
    assert.equal(recorder.callCount('instanceID'), 2);
    assert.equal(recorder.callCount('getZone'), 0);
    assert.equal(recorder.callCount(), 3);
  });

  it('keeps a frozen deep copy of the arguments, so later changes by the caller do not rewrite history', () => {
    const recorder = new CallRecorder();
    const service: Service = { metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } } };
    recorder.record('getLoadBalancer', ['kubernetes', service], 0);
    (service.metadata as { labels: Record<string, string> }).labels['app'] = 'changed';
    const [call] = recorder.calls('getLoadBalancer');
    assert.equal(call?.args[1].metadata?.labels?.['app'], 'web');
    assert.notEqual(call?.args[1], service);
    assert.equal(Object.isFrozen(call?.args[1].metadata?.labels), true);
  });

  it('keeps initialize and setInformers arguments by reference (they are live objects)', () => {
    const recorder = new CallRecorder();
    const ctx: ProviderInitContext = { signal: new AbortController().signal, clientBuilder: { client: () => assert.fail('unused') }, logger: noopLogger };
    const informers = { factory: true };
    recorder.record('initialize', [ctx], 0);
    recorder.record('setInformers', [informers], 0);
    assert.equal(recorder.calls('initialize')[0]?.args[0], ctx);
    assert.equal(recorder.calls('setInformers')[0]?.args[0], informers);
  });

  it('keeps references instead of copies when copyArgs is false', () => {
    const recorder = new CallRecorder({ copyArgs: false });
    const service: Service = { metadata: { name: 'web' } };
    recorder.record('getLoadBalancerName', ['kubernetes', service], 0);
    assert.equal(recorder.calls('getLoadBalancerName')[0]?.args[1], service);
    assert.equal(Object.isFrozen(service), false);
  });

  it('drops the oldest calls beyond the history limit but keeps exact counts', () => {
    const recorder = new CallRecorder({ historyLimit: 2 });
    for (const name of ['a', 'b', 'c']) recorder.record('instanceID', [name], 0);
    assert.deepEqual(recorder.calls().map((c) => c.args), [['b'], ['c']]);
    assert.equal(recorder.callCount('instanceID'), 3);
    const countsOnly = new CallRecorder({ historyLimit: 0 });
    countsOnly.record('getZone', [], 0);
    assert.deepEqual(countsOnly.calls(), []);
    assert.equal(countsOnly.callCount(), 1);
  });

  it('rejects a history limit that is not a non-negative integer', () => {
    for (const historyLimit of [-1, 1.5, Number.NaN]) {
      assert.throws(() => new CallRecorder({ historyLimit }), /callHistoryLimit must be a non-negative integer/);
    }
  });

  it('reset forgets calls and counts', () => {
    const recorder = new CallRecorder();
    recorder.record('getZone', [], 0);
    recorder.reset();
    assert.deepEqual(recorder.calls(), []);
    assert.equal(recorder.callCount(), 0);
    assert.equal(recorder.callCount('getZone'), 0);
  });

  it('returns a copy of the history that callers may change freely', () => {
    const recorder = new CallRecorder();
    recorder.record('getZone', [], 0);
    recorder.calls().pop();
    assert.equal(recorder.calls().length, 1);
  });
});
