import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SandboxInputError, validateSandboxAddresses } from './sandbox-input.js';

const ok = { nodes: 3, nodeSubnet: '127.0.50', pool: '127.0.100.0/24', apiserverAddress: '127.0.0.1', local: true };

describe('sandbox address flags', () => {
  it('names node i node-i on <subnet>.<i+1>', () => {
    assert.deepEqual(validateSandboxAddresses(ok).nodes, [
      { name: 'node-0', address: '127.0.50.1' },
      { name: 'node-1', address: '127.0.50.2' },
      { name: 'node-2', address: '127.0.50.3' },
    ]);
  });

  it('accepts ::1 for the API server and any pool when the provider is not the generated local one', () => {
    assert.equal(validateSandboxAddresses({ ...ok, apiserverAddress: '::1' }).nodes.length, 3);
    assert.equal(validateSandboxAddresses({ ...ok, pool: '10.0.0.0/8', local: false }).nodes.length, 3);
  });

  const bad: [string, Partial<typeof ok>, string, RegExp][] = [
    ['no nodes', { nodes: 0 }, '--nodes', /from 1 to 100, got 0/],
    ['a node subnet with an octet over 255', { nodeSubnet: '127.0.256' }, '--node-subnet', /got "127\.0\.256"/],
    ['a node subnet of four octets', { nodeSubnet: '127.0.50.1' }, '--node-subnet', /three octets/],
    ['an API server address that is not an address', { apiserverAddress: 'localhost' }, '--apiserver-address', /loopback address/],
    ['an API server address among the nodes', { apiserverAddress: '127.0.50.2' }, '--apiserver-address', /is one of the node addresses/],
    ['a pool that is not a range', { pool: 'lots' }, '--pool', /not an address range/],
    ['an IPv6 pool', { pool: 'fd00::/120' }, '--pool', /not inside 127\.0\.0\.0\/8/],
    ['a pool holding the API server', { pool: '127.0.0.0/24' }, '--pool', /contains the API server's address 127\.0\.0\.1/],
    ['a pool over the node addresses', { pool: '127.0.50.2/32' }, '--pool', /overlaps the node addresses/],
  ];
  for (const [name, change, flag, message] of bad) {
    it(`refuses ${name}, naming ${flag}`, () => {
      assert.throws(
        () => validateSandboxAddresses({ ...ok, ...change }),
        (err: unknown) => err instanceof SandboxInputError && err.flag === flag && err.isInputError && err.message.startsWith(`${flag}: `) && message.test(err.message),
      );
    });
  }
});
