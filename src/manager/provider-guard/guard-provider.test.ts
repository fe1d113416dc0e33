import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { ProviderContractError } from '../../cloud/errors.js';
import type { InstancesV2 } from '../../cloud/instances-v2.js';
import type { LoadBalancer } from '../../cloud/load-balancer.js';
import type { CloudProvider } from '../../cloud/provider.js';
import { FakeClock } from '../../kube/clock.js';
import type { Node, Service } from '../../kube/resources.js';
import { createLogger, MemoryLogSink } from '../../log/logger.js';
import { ProviderCallTimeoutError } from './call-deadline.js';
import { guardProvider } from './guard-provider.js';

const NODE: Node = { metadata: { name: 'n1', uid: 'u1' } };
const SERVICE: Service = { metadata: { namespace: 'default', name: 's' } };

function guarded(cloud: Partial<CloudProvider>, callTimeoutMs = 60_000) {
  const clock = new FakeClock();
  const logs = new MemoryLogSink();
  const timeouts: { method: string; node: unknown }[] = [];
  const guard = guardProvider({ name: 'acme', ...cloud }, { clock, callTimeoutMs, logger: createLogger(logs.sink), onTimeout: (err, node) => timeouts.push({ method: err.method, node }) });
  return { clock, logs, timeouts, guard };
}

function v2(overrides: Partial<InstancesV2>): InstancesV2 {
  return {
    instanceExists: () => Promise.resolve(true),
    instanceShutdown: () => Promise.resolve(false),
    instanceMetadata: () => Promise.resolve({ providerID: 'acme://1' }),
    ...overrides,
  };
}

/** Settles `promise` while advancing the virtual clock by `ms`; returns its outcome. */
async function outcome<T>(clock: FakeClock, promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown }> {
  const result: { value?: T; error?: unknown; done?: boolean } = {};
  void promise.then(
    (value) => Object.assign(result, { value, done: true }),
    (error: unknown) => Object.assign(result, { error, done: true }),
  );
  await clock.advance(ms);
  assert.equal(result.done, true, 'settled');
  return result;
}

describe('guardProvider: deadlines', () => {
  it('answers a hung call with a timeout at the deadline, aborts the signal the provider got, logs it and reports the Node', async () => {
    let seen: AbortSignal | undefined;
    const g = guarded({ instancesV2: () => v2({ instanceMetadata: (_node, o) => ((seen = o?.signal), new Promise(() => {})) }) });
    const r = await outcome(g.clock, g.guard.instancesV2?.()?.instanceMetadata(NODE) ?? Promise.reject(new Error('no capability')), 60_000);
    assert.ok(r.error instanceof ProviderCallTimeoutError, String(r.error));
    assert.match((r.error as Error).message, /cloud provider "acme": instanceMetadata did not answer within 1m0s \(--cloud-provider-call-timeout\)/);
    assert.equal(seen?.aborted, true, "the provider's signal aborts at the deadline");
    assert.deepEqual(g.timeouts, [{ method: 'instanceMetadata', node: NODE }]);
    assert.ok(g.logs.records.some((l) => l.msg === 'Cloud provider call timed out' && l.values['method'] === 'instanceMetadata'));
  });

  it('does not time out a call that answers before the deadline, and leaves no timer behind', async () => {
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    const g = guarded({ instancesV2: () => v2({ instanceExists: (_n, o) => ((seen = o?.signal), new Promise((resolve) => setImmediate(() => resolve(true)))) }) });
    const r = await outcome(g.clock, g.guard.instancesV2?.()?.instanceExists(NODE, { signal: caller.signal }) ?? Promise.reject(new Error('no capability')), 0);
    assert.equal(r.value, true);
    assert.equal(g.clock.pendingTimers, 0, 'the deadline is disarmed once the call answered');
    await g.clock.advance(120_000);
    assert.equal(seen?.aborted, false, 'the deadline never fires for an answered call');
    assert.deepEqual(g.timeouts, []);
  });

  it('aborts the provider signal when the caller aborts during the call', async () => {
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    const g = guarded({ instancesV2: () => v2({ instanceExists: (_n, o) => ((seen = o?.signal), new Promise(() => {})) }) });
    void g.guard.instancesV2?.()?.instanceExists(NODE, { signal: caller.signal }).catch(() => {});
    caller.abort(new Error('stopping'));
    assert.equal(seen?.aborted, true);
  });

  it('puts one listener on a caller signal however many calls run under it, and aborts them all', async () => {
    const caller = new AbortController();
    const seen: AbortSignal[] = [];
    const g = guarded({ instancesV2: () => v2({ instanceExists: (_n, o) => (o?.signal !== undefined && seen.push(o.signal), new Promise(() => {})) }) });
    for (let i = 0; i < 50; i++) void g.guard.instancesV2?.()?.instanceExists(NODE, { signal: caller.signal }).catch(() => {});
    assert.equal(seen.length, 50);
    assert.equal(getEventListeners(caller.signal, 'abort').length, 1, 'a listener per call would pile up (Node warns past ten)');
    caller.abort(new Error('stopping'));
    assert.ok(seen.every((s) => s.aborted));
  });

  it('waits for ever with --cloud-provider-call-timeout=0', async () => {
    const g = guarded({ loadBalancer: () => ({ ensureLoadBalancer: () => new Promise(() => {}) }) as unknown as LoadBalancer }, 0);
    let settled = false;
    void g.guard.loadBalancer?.()?.ensureLoadBalancer('k', SERVICE, []).finally(() => (settled = true));
    await g.clock.advance(24 * 3600_000);
    assert.equal(settled, false);
  });
});

describe('guardProvider: answers are checked before they reach the API', () => {
  const cases: { name: string; cloud: Partial<CloudProvider>; call: (c: CloudProvider) => Promise<unknown> | undefined; error: RegExp }[] = [
    {
      name: 'an InternalIP that is no IP address',
      cloud: { instancesV2: () => v2({ instanceMetadata: () => Promise.resolve({ providerID: 'acme://1', nodeAddresses: [{ type: 'InternalIP', address: '999.1.1.1' }] }) }) },
      call: (c) => c.instancesV2?.()?.instanceMetadata(NODE),
      error: /cloud provider "acme" broke the provider contract: instanceMetadata returned nodeAddresses\[0\] InternalIP "999.1.1.1", which is not an IP address/,
    },
    {
      name: 'an unknown address type',
      cloud: { instancesV2: () => v2({ instanceMetadata: () => Promise.resolve({ nodeAddresses: [{ type: 'PublicIP', address: '1.2.3.4' }] }) }) },
      call: (c) => c.instancesV2?.()?.instanceMetadata(NODE),
      error: /instanceMetadata returned nodeAddresses\[0\].type "PublicIP"/,
    },
    {
      name: 'an existence answer that is not a boolean (the string "false" would keep… or delete a Node)',
      cloud: { instancesV2: () => v2({ instanceExists: () => Promise.resolve('false' as unknown as boolean) }) },
      call: (c) => c.instancesV2?.()?.instanceExists(NODE),
      error: /instanceExists returned "false" where true or false is required/,
    },
    {
      name: 'an ingress IP that is no IP address',
      cloud: { loadBalancer: () => ({ ensureLoadBalancer: () => Promise.resolve({ ingress: [{ ip: '10.0.0.300' }] }) }) as unknown as LoadBalancer },
      call: (c) => c.loadBalancer?.()?.ensureLoadBalancer('k', SERVICE, []),
      error: /ensureLoadBalancer returned ingress\[0\].ip "10.0.0.300", which is not an IP address/,
    },
    {
      name: 'an ingress hostname that is no DNS name',
      cloud: { loadBalancer: () => ({ ensureLoadBalancer: () => Promise.resolve({ ingress: [{ hostname: 'lb one.example' }] }) }) as unknown as LoadBalancer },
      call: (c) => c.loadBalancer?.()?.ensureLoadBalancer('k', SERVICE, []),
      error: /ingress\[0\].hostname "lb one.example", which is not a DNS name/,
    },
    {
      name: 'a lookup without a boolean exists',
      cloud: { loadBalancer: () => ({ getLoadBalancer: () => Promise.resolve({ exists: 'yes' }) }) as unknown as LoadBalancer },
      call: (c) => c.loadBalancer?.()?.getLoadBalancer('k', SERVICE),
      error: /getLoadBalancer returned exists "yes"/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}, naming the provider and the method`, async () => {
      const g = guarded(c.cloud);
      await assert.rejects(Promise.resolve(c.call(g.guard)), (err: unknown) => err instanceof ProviderContractError && c.error.test(err.message));
    });
  }

  it('lets good answers through unchanged, and a null instanceMetadata counts as none', async () => {
    const g = guarded({
      instancesV2: () => v2({ instanceMetadata: () => Promise.resolve(null as never) }),
      loadBalancer: () => ({ ensureLoadBalancer: () => Promise.resolve({ ingress: [{ ip: '192.0.2.1', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }] }) }) as unknown as LoadBalancer,
    });
    assert.equal(await g.guard.instancesV2?.()?.instanceMetadata(NODE), undefined);
    assert.deepEqual(await g.guard.loadBalancer?.()?.ensureLoadBalancer('k', SERVICE, []), { ingress: [{ ip: '192.0.2.1', ipMode: 'Proxy' }, { hostname: 'lb.example.com' }] });
  });

  it('treats a capability getter answering null as "not supported" (no TypeError on every sync)', () => {
    const g = guarded({ loadBalancer: () => null as never, routes: () => undefined });
    assert.equal(g.guard.loadBalancer?.(), undefined);
    assert.equal(g.guard.routes?.(), undefined);
    assert.equal('instances' in g.guard, false, 'an absent getter stays absent');
  });

  it('guards frozen capability objects (a Proxy could not)', async () => {
    const lb = Object.freeze({ ensureLoadBalancer: () => Promise.resolve({ ingress: [{ ip: '192.0.2.9' }] }) }) as unknown as LoadBalancer;
    const g = guarded({ loadBalancer: () => lb });
    assert.deepEqual(await g.guard.loadBalancer?.()?.ensureLoadBalancer('k', SERVICE, []), { ingress: [{ ip: '192.0.2.9' }] });
  });

  it('hands out the same guarded capability object for the same provider object', () => {
    const lb = { ensureLoadBalancer: () => Promise.resolve({ ingress: [] }) } as unknown as LoadBalancer;
    const g = guarded({ loadBalancer: () => lb });
    assert.equal(g.guard.loadBalancer?.(), g.guard.loadBalancer?.());
  });
});
