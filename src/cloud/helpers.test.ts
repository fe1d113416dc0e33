import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ProviderCallOptions } from './call-options.js';
import { InstanceNotFoundError, isInstanceNotFound, isNotImplemented, NotImplementedError, ProviderContractError } from './errors.js';
import { defaultLoadBalancerName, getInstanceProviderID } from './helpers.js';
import type { Instances } from './instances.js';
import type { CloudProvider } from './provider.js';

function service(uid?: string): Service {
  return { metadata: uid === undefined ? { name: 'web', namespace: 'default' } : { name: 'web', namespace: 'default', uid } };
}

describe('defaultLoadBalancerName', () => {
  const cases = [
    { name: 'prefixes "a" and strips dashes from a full UID, cut to 32 characters', uid: '2b6c9f1e-4a7d-4e0b-9c3f-8d2a1b0c9e7f', want: 'a2b6c9f1e4a7d4e0b9c3f8d2a1b0c9e7' },
    { name: 'keeps a short UID whole', uid: 'ab-cd', want: 'aabcd' },
    { name: 'yields "a" for a Service without UID', uid: undefined, want: 'a' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(defaultLoadBalancerName(service(c.uid)), c.want));
  }

  it('always starts with "a", has no dash, and is at most 32 characters (property)', () => {
    fc.assert(
      fc.property(fc.string(), (uid) => {
        const name = defaultLoadBalancerName(service(uid));
        assert.ok(name.startsWith('a'));
        assert.ok(!name.includes('-'));
        assert.ok(name.length <= 32);
        assert.ok(`a${uid.replaceAll('-', '')}`.startsWith(name));
      }),
    );
  });
});

/** A provider whose Instances capability answers instanceID from a table, like upstream's fake cloud. */
function fakeCloud(opts: { ids?: Record<string, string>; errs?: Record<string, Error>; instances?: boolean; seen?: ProviderCallOptions[] }): CloudProvider {
  const unimplemented = (): Promise<never> => Promise.reject(new NotImplementedError());
  const instances: Instances = {
    instanceID: (nodeName, options) => {
      opts.seen?.push(options ?? {});
      const err = opts.errs?.[nodeName];
      if (err !== undefined) return Promise.reject(err);
      return Promise.resolve(opts.ids?.[nodeName] ?? '');
    },
    nodeAddresses: unimplemented,
    nodeAddressesByProviderID: unimplemented,
    instanceType: unimplemented,
    instanceTypeByProviderID: unimplemented,
    addSSHKeyToAllInstances: unimplemented,
    currentNodeName: unimplemented,
    instanceExistsByProviderID: unimplemented,
    instanceShutdownByProviderID: unimplemented,
  };
  return opts.instances === false ? { name: 'fake' } : { name: 'fake', instances: () => instances };
}

describe('getInstanceProviderID', () => {
  const notFound = new InstanceNotFoundError();
  const notImplemented = new NotImplementedError();
  const unknown = new Error('unknown error');
  const cases: Array<{ name: string; cloud: CloudProvider; want?: string; wantErr?: (err: unknown) => void }> = [
    // The cases below mirror upstream's lifecycle Test_GetProviderID for the Instances path.
    { name: 'cloud implemented with Instances', cloud: fakeCloud({ ids: { node0: '12345' } }), want: 'fake://12345' },
    {
      name: 'cloud implemented with Instances with instance missing',
      cloud: fakeCloud({ errs: { node0: notFound } }),
      wantErr: (err) => assert.equal(err, notFound),
    },
    {
      name: 'cloud implemented with Instances with unknown error',
      cloud: fakeCloud({ errs: { node0: unknown } }),
      wantErr: (err) => {
        assert.ok(err instanceof Error);
        assert.equal(err.message, 'failed to get instance ID from cloud provider: unknown error');
        assert.equal(err.cause, unknown);
      },
    },
    {
      name: 'passes NotImplemented through unchanged',
      cloud: fakeCloud({ errs: { node0: notImplemented } }),
      wantErr: (err) => assert.equal(err, notImplemented),
    },
    {
      name: 'fails without the Instances capability',
      cloud: fakeCloud({ instances: false }),
      wantErr: (err) => assert.equal((err as Error).message, 'failed to get instances from cloud provider'),
    },
    {
      name: 'fails when instances() reports the capability absent',
      cloud: { name: 'fake', instances: () => undefined },
      wantErr: (err) => assert.equal((err as Error).message, 'failed to get instances from cloud provider'),
    },
    {
      name: 'wraps a wrapped InstanceNotFound again instead of passing it through (identity compare upstream)',
      cloud: fakeCloud({ errs: { node0: new Error('lookup', { cause: notFound }) } }),
      wantErr: (err) => {
        assert.equal(isInstanceNotFound(err), false);
        assert.match((err as Error).message, /^failed to get instance ID from cloud provider: lookup$/);
      },
    },
    {
      name: 'keeps a wrapped NotImplemented detectable through the cause chain (errors.Is upstream)',
      cloud: fakeCloud({ errs: { node0: new Error('lookup', { cause: notImplemented }) } }),
      wantErr: (err) => assert.equal(isNotImplemented(err), true),
    },
    {
      name: 'rejects an empty instance ID as a contract violation naming the provider',
      cloud: fakeCloud({ ids: {} }),
      wantErr: (err) => {
        assert.ok(err instanceof ProviderContractError);
        assert.match(err.message, /cloud provider "fake" .*instanceID\("node0"\) returned an empty ID/);
      },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      if (c.wantErr === undefined) {
        assert.equal(await getInstanceProviderID(c.cloud, 'node0'), c.want);
      } else {
        await assert.rejects(getInstanceProviderID(c.cloud, 'node0'), (err) => {
          c.wantErr?.(err);
          return true;
        });
      }
    });
  }

  it('passes the abort signal to instanceID', async () => {
    const seen: ProviderCallOptions[] = [];
    const signal = new AbortController().signal;
    await getInstanceProviderID(fakeCloud({ ids: { node0: 'i-1' }, seen }), 'node0', { signal });
    assert.equal(seen[0]?.signal, signal);
  });
});
