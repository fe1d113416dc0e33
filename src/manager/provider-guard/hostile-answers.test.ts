// Hostile provider answers: whatever a provider resolves with, the guarded call either hands on
// an answer of the contract's shape or rejects with one line naming the provider and the method.
// Never a TypeError deep in a controller, never an invalid address on its way to the API.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { ProviderContractError } from '../../cloud/errors.js';
import type { CloudProvider } from '../../cloud/provider.js';
import { FakeClock } from '../../kube/clock.js';
import { noopLogger } from '../../log/logger.js';
import { guardProvider } from './guard-provider.js';

const NODE = { metadata: { name: 'n1' } };
const SERVICE = { metadata: { namespace: 'default', name: 's' } };

/** Values a careless or hostile provider might resolve with. */
const address = fc.record(
  {
    type: fc.oneof(fc.constantFrom('InternalIP', 'ExternalIP', 'Hostname', 'InternalDNS', 'ExternalDNS'), fc.string()),
    address: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), fc.string(), fc.constant('999.1.1.1')),
  },
  { requiredKeys: [] },
);
const ingress = fc.record({ ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), hostname: fc.oneof(fc.domain(), fc.string()), ipMode: fc.oneof(fc.constantFrom('VIP', 'Proxy'), fc.string()) }, { requiredKeys: [] });
const anything = fc.oneof(fc.anything(), fc.constant(null), fc.constant(undefined));
const answers = {
  instanceExists: fc.oneof(fc.boolean(), anything),
  instanceMetadata: fc.oneof(
    anything,
    fc.record({ providerID: fc.oneof(fc.string(), anything), zone: fc.oneof(fc.string(), anything), nodeAddresses: fc.oneof(fc.array(address, { maxLength: 4 }), anything) }, { requiredKeys: [] }),
  ),
  ensureLoadBalancer: fc.oneof(anything, fc.record({ ingress: fc.oneof(fc.array(ingress, { maxLength: 3 }), anything) }, { requiredKeys: [] })),
  getLoadBalancer: fc.oneof(anything, fc.record({ exists: fc.oneof(fc.boolean(), anything), status: fc.record({ ingress: fc.array(ingress, { maxLength: 3 }) }) }, { requiredKeys: [] })),
};

function providerAnswering(value: unknown): CloudProvider {
  const answer = (): Promise<unknown> => Promise.resolve(value);
  return {
    name: 'hostile',
    instancesV2: () => ({ instanceExists: answer, instanceShutdown: answer, instanceMetadata: answer }) as never,
    loadBalancer: () => ({ ensureLoadBalancer: answer, getLoadBalancer: answer }) as never,
  };
}

async function call(cloud: CloudProvider, method: keyof typeof answers): Promise<unknown> {
  switch (method) {
    case 'instanceExists':
      return cloud.instancesV2?.()?.instanceExists(NODE);
    case 'instanceMetadata':
      return cloud.instancesV2?.()?.instanceMetadata(NODE);
    case 'ensureLoadBalancer':
      return cloud.loadBalancer?.()?.ensureLoadBalancer('k', SERVICE, []);
    case 'getLoadBalancer':
      return cloud.loadBalancer?.()?.getLoadBalancer('k', SERVICE);
  }
}

/** The addresses an accepted answer would write, all of which must parse. */
function writtenIps(method: keyof typeof answers, accepted: unknown): string[] {
  const a = accepted as { nodeAddresses?: { type: string; address: string }[]; ingress?: { ip?: string }[]; status?: { ingress?: { ip?: string }[] } } | undefined;
  if (method === 'instanceMetadata') return (a?.nodeAddresses ?? []).filter((x) => x.type === 'InternalIP' || x.type === 'ExternalIP').map((x) => x.address);
  const list = method === 'getLoadBalancer' ? a?.status?.ingress : a?.ingress;
  return Array.isArray(list) ? list.flatMap((x) => (x.ip === undefined ? [] : [x.ip])) : [];
}

describe('hostile provider answers (property)', () => {
  for (const method of Object.keys(answers) as (keyof typeof answers)[]) {
    it(`${method}: any answer is handed on in the contract's shape or refused in one line naming provider and method`, async () => {
      await fc.assert(
        fc.asyncProperty(answers[method], async (value) => {
          const guarded = guardProvider(providerAnswering(value), { clock: new FakeClock(), callTimeoutMs: 60_000, logger: noopLogger });
          let accepted: unknown;
          try {
            accepted = await call(guarded, method);
          } catch (err) {
            assert.ok(err instanceof ProviderContractError, `unexpected ${String(err)}`);
            assert.ok(err.message.startsWith(`cloud provider "hostile" broke the provider contract: ${method} `), err.message);
            assert.ok(!err.message.includes('\n'), 'one line');
            return;
          }
          if (method === 'instanceExists') assert.equal(typeof accepted, 'boolean');
          for (const ip of writtenIps(method, accepted)) assert.notEqual(isIP(ip), 0, `accepted ${JSON.stringify(ip)}`);
        }),
        { numRuns: 300, seed: 20261206 },
      );
    });
  }
});
