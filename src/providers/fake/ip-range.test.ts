import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp, IpRangeAllocator, parseIpRange } from './ip-range.js';

describe('parseIpRange', () => {
  const valid: [string, string, 4 | 6][] = [
    ['192.0.2.0/24', '192.0.2.0/24', 4],
    ['10.0.0.0/8', '10.0.0.0/8', 4],
    ['0.0.0.0/0', '0.0.0.0/0', 4],
    ['192.0.2.7/32', '192.0.2.7/32', 4],
    ['2001:DB8::/32', '2001:db8::/32', 6],
    ['2001:db8:0:0:0:0:0:0/64', '2001:db8::/64', 6],
    ['::/0', '::/0', 6],
  ];
  for (const [input, cidr, family] of valid) {
    it(`accepts ${input} as ${cidr}`, () => {
      const range = parseIpRange(input);
      assert.equal(range.cidr, cidr);
      assert.equal(range.family, family);
    });
  }

  const invalid: [string, RegExp][] = [
    ['192.0.2.0', /missing "\/<prefix length>"/],
    ['192.0.2/24', /"192\.0\.2" is not an IP address/],
    ['192.0.2.0/33', /prefix length must be an integer from 0 to 32/],
    ['2001:db8::/129', /from 0 to 128/],
    ['192.0.2.0/024', /prefix length/],
    ['192.0.2.0/', /prefix length/],
    ['192.0.2.5/24', /host bits are set \(did you mean 192\.0\.2\.0\/24\?\)/],
    ['2001:db8::1/64', /did you mean 2001:db8::\/64\?/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)} saying why`, () => {
      assert.throws(() => parseIpRange(input), (err: unknown) => err instanceof RangeError && message.test(err.message));
    });
  }
});

// formatIp is src/net's formatIp, tested there; these check that parseIpRange reads back what it writes.
describe('formatIp', () => {
  it('round-trips every IPv6 address through format and parse', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        assert.equal(parseIpRange(`${formatIp(value, 6)}/128`).base, value);
      }),
    );
  });

  it('round-trips every IPv4 address through format and parse', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), (value) => {
        assert.equal(parseIpRange(`${formatIp(value, 4)}/32`).base, value);
      }),
    );
  });
});

describe('IpRangeAllocator', () => {
  it('hands out addresses in order, skipping the network address', () => {
    const allocator = new IpRangeAllocator('192.0.2.0/24');
    assert.deepEqual([allocator.allocate(), allocator.allocate(), allocator.allocate()], ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    assert.equal(allocator.allocatedCount, 3);
  });

  it('skips the IPv4 broadcast address and reports exhaustion', () => {
    const allocator = new IpRangeAllocator('192.0.2.0/30');
    assert.deepEqual([allocator.allocate(), allocator.allocate()], ['192.0.2.1', '192.0.2.2']);
    assert.throws(() => allocator.allocate(), /load-balancer IP range 192\.0\.2\.0\/30 is exhausted \(2 addresses in use\)/);
  });

  it('uses every address of a /31 and a /32', () => {
    const pair = new IpRangeAllocator('192.0.2.0/31');
    assert.deepEqual([pair.allocate(), pair.allocate()], ['192.0.2.0', '192.0.2.1']);
    assert.equal(new IpRangeAllocator('192.0.2.9/32').allocate(), '192.0.2.9');
  });

  it('reuses a released address only after the rest of the range was handed out', () => {
    const allocator = new IpRangeAllocator('192.0.2.0/29'); // .1 – .6 usable
    const first = allocator.allocate();
    allocator.release(first);
    const next = Array.from({ length: 6 }, () => allocator.allocate());
    assert.deepEqual(next, ['192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6', '192.0.2.1']);
  });

  it('ignores the release of addresses it never handed out or of the other family', () => {
    const allocator = new IpRangeAllocator('192.0.2.0/30');
    allocator.allocate();
    allocator.release('198.51.100.1');
    allocator.release('2001:db8::1');
    allocator.release('not an ip');
    assert.equal(allocator.allocatedCount, 1);
  });

  it('allocates from IPv6 ranges in canonical form', () => {
    const allocator = new IpRangeAllocator('2001:db8::/120');
    assert.deepEqual([allocator.allocate(), allocator.allocate()], ['2001:db8::1', '2001:db8::2']);
  });

  it('never hands out the same address twice while it is in use', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant('allocate' as const), fc.nat({ max: 20 })), { maxLength: 60 }), (ops) => {
        const allocator = new IpRangeAllocator('192.0.2.0/28'); // 14 usable
        const inUse: string[] = [];
        for (const op of ops) {
          if (op === 'allocate') {
            if (inUse.length === 14) {
              assert.throws(() => allocator.allocate(), /exhausted/);
              continue;
            }
            const ip = allocator.allocate();
            assert.ok(!inUse.includes(ip), `${ip} handed out twice`);
            inUse.push(ip);
          } else if (inUse.length > 0) {
            const [ip] = inUse.splice(op % inUse.length, 1);
            allocator.release(ip as string);
          }
        }
        assert.equal(allocator.allocatedCount, inUse.length);
      }),
    );
  });
});
