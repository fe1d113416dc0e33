// What renderNftTable does with the values it writes into nft syntax: a Service's source ranges of
// both families (only the address's family goes into its set; an IPv6 element in an IPv4 set fails
// the whole `nft -f`), and values that are not what their field says (refused, never rendered).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderNftTable } from './nftables-data-plane.js';
import type { KernelService } from './nftables-data-plane.js';

const web: KernelService = {
  key: 'default/web',
  address: '192.0.2.100',
  family: 4,
  ports: [{ protocol: 'TCP', port: 80, nodePort: 30080 }],
  nodes: ['10.0.0.1'],
  sourceRanges: [],
  affinitySeconds: undefined,
};
const opts = { balancing: 'round-robin', masquerade: true } as const;

describe('renderNftTable: source ranges of both families', () => {
  it('an IPv4 Service keeps only its IPv4 ranges in its set', () => {
    const text = renderNftTable([{ ...web, sourceRanges: ['198.51.100.0/24', '2001:db8::/32'] }], opts);
    assert.match(text, /set src_0 \{ type ipv4_addr; flags interval; auto-merge; elements = \{ 198\.51\.100\.0\/24 \} \}/);
    assert.doesNotMatch(text, /2001:db8::\/32/);
  });

  it('ranges of the other family only: every client of this family is dropped (as the user-space filter does), not allowed', () => {
    const text = renderNftTable([{ ...web, sourceRanges: ['2001:db8::/32'] }], opts);
    assert.match(text, /ip daddr 192\.0\.2\.100 meta l4proto tcp th dport 80 drop comment "default\/web source ranges \(none of this family\)"/);
    assert.doesNotMatch(text, /set src_0/);
  });
});

describe('renderNftTable: inputs are checked before they become nft syntax', () => {
  const refused: [string, Partial<KernelService>, RegExp][] = [
    ['a name with a quote', { key: 'default/web" accept; #' }, /Service "default\/web\\" accept; #": not a namespace\/name/],
    ['an address with a rule after it', { address: '192.0.2.100 accept' }, /address "192\.0\.2\.100 accept" is not an IPv4 address/],
    ['a node address of the other family', { nodes: ['2001:db8::1'] }, /node address "2001:db8::1" is not an IPv4 address/],
    ['a source range that is not a CIDR', { sourceRanges: ['0.0.0.0/0 } ; flush ruleset ; #'] }, /source range .* is not a CIDR/],
    ['a port out of range', { ports: [{ protocol: 'TCP', port: 70_000, nodePort: 30080 }] }, /port .* is not a TCP or UDP port/],
    ['a fractional affinity timeout', { affinitySeconds: 1.5 }, /affinity timeout 1\.5/],
  ];
  for (const [what, change, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => renderNftTable([{ ...web, ...change }], opts), (err: unknown) => err instanceof RangeError && message.test(err.message));
    });
  }
});
