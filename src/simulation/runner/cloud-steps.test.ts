import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { FakeCloudProvider } from '../../providers/fake/fake-provider.js';
import { applyFakeCloudStep, CloudStepError } from './cloud-steps.js';
import { seededRandom } from './seeded-random.js';

function cloud(): FakeCloudProvider {
  return new FakeCloudProvider({ clock: new FakeClock(), instances: [{ nodeName: 'n1' }] });
}

describe('applyFakeCloudStep', () => {
  it('setInstance and removeInstance change the instances', () => {
    const c = cloud();
    applyFakeCloudStep(c, { setInstance: { nodeName: 'n2', zone: 'z' } }, seededRandom(1));
    assert.deepEqual(c.listInstances().map((i) => i.nodeName).sort(), ['n1', 'n2']);
    applyFakeCloudStep(c, { removeInstance: 'n1' }, seededRandom(1));
    assert.deepEqual(c.listInstances().map((i) => i.nodeName), ['n2']);
  });

  it('failNext fails exactly the next N calls of the method', async () => {
    const c = cloud();
    applyFakeCloudStep(c, { failNext: { method: 'instanceMetadata', times: 2, message: 'boom' } }, seededRandom(1));
    const v2 = c.instancesV2();
    assert.ok(v2 !== undefined);
    const node = { metadata: { name: 'n1' } };
    await assert.rejects(v2.instanceMetadata(node), /boom/);
    await assert.rejects(v2.instanceMetadata(node), /boom/);
    await v2.instanceMetadata(node);
  });

  it('failRate fails about the given share of calls, the same ones for the same seed', async () => {
    const outcomes = async (seed: number): Promise<boolean[]> => {
      const c = cloud();
      applyFakeCloudStep(c, { failRate: { method: '*', rate: 0.3 } }, seededRandom(seed));
      const v2 = c.instancesV2();
      assert.ok(v2 !== undefined);
      const out: boolean[] = [];
      for (let i = 0; i < 200; i++) out.push(await v2.instanceExists({ metadata: { name: 'n1' } }).then(() => true, () => false));
      return out;
    };
    const a = await outcomes(5);
    assert.deepEqual(await outcomes(5), a);
    const failed = a.filter((ok) => !ok).length;
    assert.ok(failed > 30 && failed < 90, `expected about 60 of 200 to fail, got ${failed}`);
  });

  it('clearFailures: true removes counted, permanent and rate failures', async () => {
    const c = cloud();
    applyFakeCloudStep(c, { failAlways: { method: '*' }, failRate: { method: '*', rate: 1 } }, seededRandom(1));
    applyFakeCloudStep(c, { clearFailures: true }, seededRandom(1));
    await c.instancesV2()?.instanceExists({ metadata: { name: 'n1' } });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown operation', { explode: 1 }, /steps\[2\]\.cloud\.explode: unknown fake cloud operation/],
    ['an unknown method', { failNext: { method: 'nope' } }, /failNext\.method: "nope" is not a fake provider method/],
    ['a rate out of range', { failRate: { method: '*', rate: 2 } }, /failRate\.rate/],
    ['removing an unknown instance', { removeInstance: 'zz' }, /no instance for node "zz"/],
    ['a bad instance field', { setInstance: { nodeName: 'n3', zone: 5 } }, /setInstance: .*zone/],
    // Found by the hostile scenario test: the fake's own RangeError came out as a stack trace.
    ['a negative latency', { setLatency: { method: 'instanceMetadata', ms: -2 } }, /setLatency\.ms: expected milliseconds from 0 to 86400000 \(24h\), got -2/],
    ['an endless retry delay', { failNext: { method: '*', retryAfterMs: Infinity } }, /failNext\.retryAfterMs: expected milliseconds/],
    ['an update of an unknown instance', { updateInstance: { ref: 'zz', changes: { shutdown: true } } }, /steps\[2\]\.cloud\.updateInstance: /],
    ['an update with a bad field', { updateInstance: { ref: 'n1', changes: { zone: 5 } } }, /steps\[2\]\.cloud\.updateInstance\.changes: zone: expected a string, got a number/],
  ];
  for (const [what, step, message] of bad) {
    it(`rejects ${what} with a CloudStepError naming it`, () => {
      assert.throws(() => applyFakeCloudStep(cloud(), step, seededRandom(1), 'steps[2].cloud'), (err: unknown) => err instanceof CloudStepError && message.test(err.message));
    });
  }
});
