import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AllocationError, IpAllocator } from './ip-allocator.js';
import { parseLocalConfig } from './local-config.js';

const POOLS = parseLocalConfig(`pools:
- name: prod
  ranges: [127.0.10.0-127.0.10.3]
  namespaces: [prod]
- name: small
  ranges: [127.0.11.254-127.0.12.1]
  avoidBuggyIPs: true
`).pools;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AllocationError);
    return `${err.code}: ${err.message}`;
  }
  return 'no error';
}

describe('IpAllocator', () => {
  it('usage counts each pool\'s addresses (without avoided .0/.255) and its allocations', () => {
    const pools = parseLocalConfig(`pools:
- name: a
  ranges: [127.0.10.0-127.0.11.255, 127.0.12.250-127.0.13.5]
  avoidBuggyIPs: true
- name: b
  ranges: [127.0.14.0/24, "fd00::/120"]
`).pools;
    const alloc = new IpAllocator(pools);
    alloc.allocate({ key: 'x/one', namespace: 'x' });
    alloc.allocate({ key: 'x/two', namespace: 'x' });
    // a: 512 - 4 (.0 and .255 of two /24s) + 12 - 2 (.255 and .0 around the /24 boundary).
    // b: a /24 without its network and broadcast addresses, and 256 IPv6 ones.
    assert.deepEqual(alloc.usage(), [
      { pool: 'a', size: 518, allocated: 2 },
      { pool: 'b', size: 510, allocated: 0 },
    ]);
    // An avoided address asked for by name is held, and then counted in the size too.
    alloc.allocate({ key: 'x/three', namespace: 'x', requested: ['127.0.10.0'] });
    assert.deepEqual(alloc.usage()[0], { pool: 'a', size: 519, allocated: 3 });
  });

  it('hands out the first free address of the first matching pool and keeps it (sticky)', () => {
    const a = new IpAllocator(POOLS);
    assert.deepEqual(a.allocate({ key: 'prod/a', namespace: 'prod' }), { ip: '127.0.10.0', pool: 'prod' });
    assert.deepEqual(a.allocate({ key: 'prod/b', namespace: 'prod' }), { ip: '127.0.10.1', pool: 'prod' });
    assert.deepEqual(a.allocate({ key: 'prod/a', namespace: 'prod' }), { ip: '127.0.10.0', pool: 'prod' });
  });

  it('skips pools whose namespace list excludes the Service and avoids .0/.255 when asked', () => {
    const a = new IpAllocator(POOLS);
    assert.deepEqual(a.allocate({ key: 'dev/a', namespace: 'dev' }), { ip: '127.0.11.254', pool: 'small' });
    assert.deepEqual(a.allocate({ key: 'dev/b', namespace: 'dev' }), { ip: '127.0.12.1', pool: 'small' });
    assert.match(code(() => a.allocate({ key: 'dev/c', namespace: 'dev' })), /^Exhausted: address pool "small" is exhausted/);
  });

  it('falls over to the next matching pool when the first is full', () => {
    const a = new IpAllocator(POOLS);
    for (let i = 0; i < 4; i++) a.allocate({ key: `prod/s${i}`, namespace: 'prod' });
    assert.deepEqual(a.allocate({ key: 'prod/s4', namespace: 'prod' }), { ip: '127.0.11.254', pool: 'small' });
    a.allocate({ key: 'prod/s5', namespace: 'prod' });
    assert.match(code(() => a.allocate({ key: 'prod/s6', namespace: 'prod' })), /^Exhausted: address pools "prod", "small" are exhausted/);
    a.release('prod/s2');
    assert.deepEqual(a.allocate({ key: 'prod/s6', namespace: 'prod' }), { ip: '127.0.10.2', pool: 'prod' });
  });

  const refusals: { name: string; requested: string; namespace: string; expect: RegExp }[] = [
    { name: 'a requested address outside every pool is refused', requested: '10.0.0.1', namespace: 'prod', expect: /^OutsidePools: requested load-balancer IP 10\.0\.0\.1 is not in any address pool/ },
    { name: 'a requested address of a pool not serving the Service is refused', requested: '127.0.10.2', namespace: 'dev', expect: /^PoolMismatch: .*pool "prod"/ },
    { name: 'a requested address held by another Service is a conflict naming it', requested: '127.0.10.0', namespace: 'prod', expect: /^Conflict: .*127\.0\.10\.0 \(pool "prod"\) is already allocated to Service prod\/first/ },
    { name: 'a requested value that is not an address is refused', requested: 'banana', namespace: 'prod', expect: /^InvalidAddress/ },
  ];
  for (const c of refusals) {
    it(c.name, () => {
      const a = new IpAllocator(POOLS);
      a.allocate({ key: 'prod/first', namespace: 'prod' });
      assert.match(code(() => a.allocate({ key: `${c.namespace}/x`, namespace: c.namespace, requested: [c.requested] })), c.expect);
      assert.equal(a.get(`${c.namespace}/x`), undefined, 'a refused request allocates nothing');
    });
  }

  it('honours a requested address and moves the Service to a newly requested one', () => {
    const a = new IpAllocator(POOLS);
    assert.equal(a.allocate({ key: 'prod/a', namespace: 'prod', requested: ['127.0.10.3'] }).ip, '127.0.10.3');
    assert.equal(a.allocate({ key: 'prod/a', namespace: 'prod', requested: ['127.0.10.2'] }).ip, '127.0.10.2');
    assert.equal(a.ownerOf('127.0.10.3'), undefined);
  });

  it('re-adopts a free status address, but never one held by another Service', () => {
    const a = new IpAllocator(POOLS);
    assert.equal(a.allocate({ key: 'prod/a', namespace: 'prod', previous: ['127.0.10.2'] }).ip, '127.0.10.2');
    assert.equal(a.allocate({ key: 'prod/b', namespace: 'prod', previous: ['127.0.10.2'] }).ip, '127.0.10.0');
  });

  it('restore skips entries outside the pools or already held', () => {
    const a = new IpAllocator(POOLS);
    const rejected = a.restore([
      ['prod/a', { ip: '127.0.10.1' }],
      ['prod/b', { ip: '127.0.10.1' }],
      ['prod/c', { ip: '10.1.1.1' }],
    ]);
    assert.deepEqual(rejected.map((r) => r.key), ['prod/b', 'prod/c']);
    assert.equal(a.ownerOf('127.0.10.1'), 'prod/a');
  });

  it('a sharing key puts Services with disjoint ports on one address; a collision or another key gets its own', () => {
    const a = new IpAllocator(parseLocalConfig('pools:\n- name: shared\n  ranges: [127.0.20.0-127.0.20.7]\n').pools);
    const req = (name: string, ports: string[], sharingKey?: string, requested?: string) => ({ key: `dev/${name}`, namespace: 'dev', ports, sharingKey, ...(requested !== undefined && { requested: [requested] }) });
    const web = a.allocate(req('web', ['TCP/80', 'TCP/443'], 'front'));
    assert.equal(a.allocate(req('dns', ['UDP/53', 'TCP/53'], 'front')).ip, web.ip, 'same key, disjoint ports: shared');
    assert.notEqual(a.allocate(req('web2', ['TCP/80'], 'front')).ip, web.ip, 'a port already used there: its own address');
    assert.notEqual(a.allocate(req('other', ['TCP/8080'], 'back')).ip, web.ip, 'another key: its own address');
    assert.notEqual(a.allocate(req('plain', ['TCP/9090'])).ip, web.ip, 'no key: never shared');
    assert.deepEqual(a.holdersOf(web.ip), ['dev/dns', 'dev/web']);
    assert.deepEqual(a.usage(), [{ pool: 'shared', size: 8, allocated: 4 }], 'a shared address counts once');
    // Asking for the shared address: fine with the key and free ports, refused by name otherwise.
    assert.equal(a.allocate(req('ntp', ['UDP/123'], 'front', web.ip)).ip, web.ip);
    assert.equal(code(() => a.allocate(req('web3', ['TCP/443'], 'front', web.ip))), `Conflict: requested load-balancer IP ${web.ip} (pool "shared") is shared with Service dev/web, which uses TCP/443 too`);
    assert.equal(code(() => a.allocate(req('stranger', ['TCP/1'], undefined, web.ip))), `Conflict: requested load-balancer IP ${web.ip} (pool "shared") is already allocated to Service dev/dns`);
    // A sharer whose ports come to collide keeps its address but is told why it cannot serve them.
    assert.equal(code(() => a.allocate(req('ntp', ['UDP/123', 'UDP/53'], 'front'))), `Conflict: load-balancer IP ${web.ip} (pool "shared") is shared with Service dev/dns, which uses UDP/53 too`);
    assert.equal(a.get('dev/ntp')?.ip, web.ip);
    // A sharer that loses its key keeps the address and is told how to move.
    assert.equal(
      code(() => a.allocate(req('ntp', ['UDP/123']))),
      `Conflict: load-balancer IP ${web.ip} (pool "shared") is shared with Service dev/dns under key "front", which this Service no longer carries (outrigger.io/allow-shared-ip): put the key back, or request another address (outrigger.io/load-balancer-ips)`,
    );
    const moved = a.allocate(req('ntp', ['UDP/123'], undefined, '127.0.20.7'));
    assert.equal(moved.ip, '127.0.20.7');
    assert.deepEqual(a.holdersOf(web.ip), ['dev/dns', 'dev/web']);
    assert.equal(a.allocate(req('ntp', ['UDP/123'], 'front', web.ip)).ip, web.ip);
    // Released one by one, the address stays with the others until the last lets go.
    a.release('dev/web');
    a.release('dev/dns');
    assert.deepEqual(a.holdersOf(web.ip), ['dev/ntp']);
    a.release('dev/ntp');
    assert.deepEqual(a.holdersOf(web.ip), []);
  });

  it('restore takes back a shared address for every sharer whose key and ports fit', () => {
    const a = new IpAllocator(POOLS);
    const rejected = a.restore([
      ['dev/a', { ip: '127.0.11.254', sharingKey: 'k', ports: ['TCP/80'] }],
      ['dev/b', { ip: '127.0.11.254', sharingKey: 'k', ports: ['TCP/81'] }],
      ['dev/c', { ip: '127.0.11.254', sharingKey: 'k', ports: ['TCP/80'] }],
      ['dev/d', { ip: '127.0.11.254' }],
      // A sharer without recorded ports (hand-edited): kept, but nothing may join beside it.
      ['dev/e', { ip: '127.0.12.1', sharingKey: 'k' }],
      ['dev/f', { ip: '127.0.12.1', sharingKey: 'k', ports: ['TCP/1'] }],
    ]);
    assert.deepEqual(rejected, [
      { key: 'dev/c', reason: '127.0.11.254 is shared with Service dev/a, which uses TCP/80 too' },
      { key: 'dev/d', reason: '127.0.11.254 is already allocated to Service dev/a' },
      { key: 'dev/f', reason: '127.0.12.1 is shared with Service dev/e, whose ports are not known' },
    ]);
    assert.deepEqual(a.holdersOf('127.0.11.254'), ['dev/a', 'dev/b']);
  });

  it('property: an address is held by several Services only under one sharing key with disjoint ports', () => {
    const portSets = [['TCP/80'], ['TCP/443'], ['TCP/80', 'UDP/53'], ['UDP/53'], []];
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('allocate' as const),
        svc: fc.nat(7),
        sharingKey: fc.constantFrom(undefined, 'k1', 'k2'),
        ports: fc.nat(portSets.length - 1),
        req: fc.option(fc.nat(3)),
        prev: fc.option(fc.nat(3)),
      }),
      fc.record({ kind: fc.constant('release' as const), svc: fc.nat(7) }),
    );
    const candidates = ['127.0.11.254', '127.0.12.1', '127.0.10.0', '10.9.9.9'];
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const a = new IpAllocator(POOLS);
        for (const o of ops) {
          const key = `dev/s${o.svc}`;
          if (o.kind === 'release') {
            a.release(key);
          } else {
            const requested = o.req === null ? undefined : candidates[o.req];
            const previous = o.prev === null ? undefined : candidates[o.prev];
            const before = a.entries();
            try {
              const got = a.allocate({ key, namespace: 'dev', sharingKey: o.sharingKey, ports: portSets[o.ports], requested: requested === undefined ? [] : [requested], previous: previous === undefined ? [] : [previous] });
              if (requested !== undefined) assert.equal(got.ip, requested);
            } catch (err) {
              assert.ok(err instanceof AllocationError);
              assert.deepEqual(a.entries(), before, 'a refusal changes nothing');
            }
          }
          const byIp = new Map<string, [string, { sharingKey?: string | undefined; ports?: readonly string[] | undefined }][]>();
          for (const [k, v] of a.entries()) byIp.set(v.ip, [...(byIp.get(v.ip) ?? []), [k, v]]);
          for (const [ip, holders] of byIp) {
            assert.deepEqual(a.holdersOf(ip), holders.map(([k]) => k));
            if (holders.length < 2) continue;
            const keys = new Set(holders.map(([, v]) => v.sharingKey));
            assert.ok(keys.size === 1 && !keys.has(undefined), `${ip} shared without one common key`);
            const ports = holders.flatMap(([, v]) => v.ports ?? []);
            assert.equal(new Set(ports).size, ports.length, `${ip} shared with colliding ports ${ports.join(',')}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: no address is ever held twice; requested addresses are honoured or refused', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('allocate' as const), svc: fc.nat(7), ns: fc.constantFrom('prod', 'dev'), req: fc.option(fc.nat(5)), prev: fc.option(fc.nat(5)) }),
      fc.record({ kind: fc.constant('release' as const), svc: fc.nat(7), ns: fc.constantFrom('prod', 'dev') }),
    );
    const candidates = ['127.0.10.0', '127.0.10.3', '127.0.11.254', '127.0.11.255', '127.0.12.0', '127.0.12.1'];
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const a = new IpAllocator(POOLS);
        for (const o of ops) {
          const key = `${o.ns}/s${o.svc}`;
          if (o.kind === 'release') {
            a.release(key);
          } else {
            const requested = o.req === null ? undefined : candidates[o.req];
            const previous = o.prev === null ? undefined : candidates[o.prev];
            const before = a.entries();
            try {
              const got = a.allocate({ key, namespace: o.ns, requested: requested === undefined ? [] : [requested], previous: previous === undefined ? [] : [previous] });
              if (requested !== undefined) assert.equal(got.ip, requested, 'a granted request gets exactly the requested address');
            } catch (err) {
              assert.ok(err instanceof AllocationError);
              assert.deepEqual(a.entries(), before, 'a refusal changes nothing');
            }
          }
          const ips = a.entries().map(([, v]) => v.ip);
          assert.equal(new Set(ips).size, ips.length, `an address is held twice: ${ips.join(',')}`);
          for (const [k, v] of a.entries()) assert.equal(a.ownerOf(v.ip), k);
        }
      }),
      { numRuns: 300 },
    );
  });
});
