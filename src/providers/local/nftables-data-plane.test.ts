import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandRunner } from './host-commands.js';
import { NFT_TABLE, nftablesUnavailableReason, renderNftTable } from './nftables-data-plane.js';
import type { KernelService } from './nftables-data-plane.js';

const web: KernelService = {
  key: 'default/web',
  address: '192.0.2.100',
  family: 4,
  ports: [
    { protocol: 'TCP', port: 80, nodePort: 30080 },
    { protocol: 'UDP', port: 53, nodePort: 30053 },
  ],
  nodes: ['10.0.0.1', '10.0.0.2'],
  sourceRanges: ['192.0.2.0/24'],
  affinitySeconds: 600,
};

describe('renderNftTable', () => {
  it('declares, deletes and defines the one table in one script (an atomic swap)', () => {
    const lines = renderNftTable([web], { balancing: 'round-robin', masquerade: true }).split('\n');
    assert.deepEqual(lines.slice(0, 3), [`table ${NFT_TABLE}`, `delete table ${NFT_TABLE}`, `table ${NFT_TABLE} {`]);
  });

  it('dispatches each port, DNATs to every node port, balances with numgen, keeps affinity per node, drops other sources', () => {
    const text = renderNftTable([web], { balancing: 'round-robin', masquerade: true });
    assert.match(text, /ip daddr 192\.0\.2\.100 meta l4proto tcp th dport 80 goto svc_0_0/);
    assert.match(text, /ip daddr 192\.0\.2\.100 meta l4proto udp th dport 53 goto svc_0_1/);
    assert.match(text, /meta l4proto tcp dnat ip to 10\.0\.0\.2:30080/);
    assert.match(text, /meta l4proto udp dnat ip to 10\.0\.0\.1:30053/);
    assert.match(text, /numgen inc mod 2 vmap \{ 0 : goto svc_0_0_n0, 1 : goto svc_0_0_n1 \}/);
    assert.match(text, /set aff_0_0_n1 \{ type ipv4_addr; flags dynamic,timeout; timeout 600s; \}/);
    assert.match(text, /ip saddr @aff_0_0_n1 goto svc_0_0_n1/);
    assert.match(text, /update @aff_0_0_n1 \{ ip saddr \}/);
    assert.match(text, /ip daddr 192\.0\.2\.100 meta l4proto tcp th dport 80 ip saddr != @src_0 drop/);
    assert.match(text, /ct status dnat ct original ip daddr @vips4 fib saddr type != local masquerade/);
  });

  it('least-connections uses numgen random; masquerade off leaves postrouting empty; no affinity, no sets', () => {
    const text = renderNftTable([{ ...web, sourceRanges: [], affinitySeconds: undefined }], { balancing: 'least-connections', masquerade: false });
    assert.match(text, /numgen random mod 2/);
    assert.doesNotMatch(text, /masquerade/);
    assert.doesNotMatch(text, /@aff_|@src_/);
  });

  it('IPv6 uses ip6 matches and bracketed DNAT targets; a Service without nodes is dropped, not served by this host', () => {
    const text = renderNftTable(
      [
        { ...web, address: '2001:db8::100', family: 6, nodes: ['2001:db8::1'], sourceRanges: [], affinitySeconds: undefined },
        { ...web, key: 'default/empty', address: '192.0.2.101', nodes: [], sourceRanges: [] },
      ],
      { balancing: 'round-robin', masquerade: true },
    );
    assert.match(text, /ip6 daddr 2001:db8::100 meta l4proto tcp th dport 80 goto svc_0_0/);
    assert.match(text, /dnat ip6 to \[2001:db8::1\]:30080/);
    assert.match(text, /ip daddr 192\.0\.2\.101 meta l4proto tcp th dport 80 drop comment "default\/empty has no nodes"/);
    assert.doesNotMatch(text, /goto svc_1_/);
  });
});

describe('nftablesUnavailableReason', () => {
  const runner = (answers: Record<string, { code: number; stderr?: string } | Error>): CommandRunner => ({
    run: (command, args) => {
      const a = answers[[command, ...args].join(' ')];
      if (a instanceof Error) return Promise.reject(a);
      return Promise.resolve({ code: a?.code ?? 0, stdout: '', stderr: a?.stderr ?? '' });
    },
    runSync: () => ({ code: 0, stdout: '', stderr: '' }),
    background: () => ({ stop: () => undefined }),
  });

  it('says why when nft is missing or the kernel refuses the table', async () => {
    assert.match((await nftablesUnavailableReason(runner({ 'nft --version': new Error('cannot run nft: spawn nft ENOENT') }), new Set([4]), false)) ?? '', /the nft command cannot be run .*ENOENT.*install nftables/);
    assert.match(
      (await nftablesUnavailableReason(runner({ 'nft -c -f -': { code: 1, stderr: 'Error: Could not process rule: Operation not permitted' } }), new Set([4]), false)) ?? '',
      /nftables cannot be programmed here: nft -c -f - exited 1: Error: Could not process rule: Operation not permitted/,
    );
    assert.equal(await nftablesUnavailableReason(runner({}), new Set([4]), false), undefined);
  });
});
