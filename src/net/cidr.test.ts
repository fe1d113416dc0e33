import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import fc from 'fast-check';
import type { Cidr, CidrParseResult, ParseCidrOptions } from './cidr.js';
import { cidrContains, cidrOf, cidrSize, formatCidr, lastAddress, parseCidr, prefixMask } from './cidr.js';
import { parseIp } from './ip.js';

function cidr(text: string, options?: ParseCidrOptions): Cidr {
  const result = parseCidr(text, options);
  assert.ok(result.ok, text);
  return result.cidr;
}

describe('parseCidr', () => {
  const valid: readonly [string, ParseCidrOptions | undefined, string, boolean][] = [
    ['10.244.0.0/16', undefined, '10.244.0.0/16', false],
    ['10.244.1.7/16', undefined, '10.244.0.0/16', true],
    ['0.0.0.0/0', undefined, '0.0.0.0/0', false],
    ['192.0.2.7/32', undefined, '192.0.2.7/32', false],
    ['2001:DB8::/32', undefined, '2001:db8::/32', false],
    ['2001:db8:0:0:0:0:0:1/64', undefined, '2001:db8::/64', true],
    ['::/0', undefined, '::/0', false],
    ['fe80::1%eth0/64', { zone: 'strip' }, 'fe80::/64', true],
    ['010.0.0.0/08', { syntax: 'sloppy' }, '10.0.0.0/8', false],
    ['10.0.0.0/0008', { syntax: 'sloppy' }, '10.0.0.0/8', false],
    ['10.0.0.0/024', { prefixLeadingZeros: true }, '10.0.0.0/24', false],
  ];
  for (const [text, options, want, hostBitsSet] of valid) {
    it(`reads ${text} as ${want}${hostBitsSet ? ' (host bits set)' : ''}`, () => {
      const result = parseCidr(text, options);
      assert.ok(result.ok);
      assert.equal(formatCidr(result.cidr), want);
      assert.equal(result.hostBitsSet, hostBitsSet);
      assert.deepEqual(result.address, parseIp(text.slice(0, text.indexOf('/')), options));
    });
  }

  const invalid: readonly [string, ParseCidrOptions | undefined, CidrParseResult][] = [
    ['10.0.0.0', undefined, { ok: false, problem: 'missing-prefix' }],
    ['10.0.0/8', undefined, { ok: false, problem: 'invalid-address', addressText: '10.0.0' }],
    ['/8', undefined, { ok: false, problem: 'invalid-address', addressText: '' }],
    ['fe80::%eth0/64', undefined, { ok: false, problem: 'invalid-address', addressText: 'fe80::%eth0' }],
    ['10.0.0.0/33', undefined, { ok: false, problem: 'invalid-prefix', bits: 32 }],
    ['::/129', undefined, { ok: false, problem: 'invalid-prefix', bits: 128 }],
    ['10.0.0.0/', undefined, { ok: false, problem: 'invalid-prefix', bits: 32 }],
    ['10.0.0.0/024', undefined, { ok: false, problem: 'invalid-prefix', bits: 32 }],
    ['10.0.0.0/-1', { syntax: 'sloppy' }, { ok: false, problem: 'invalid-prefix', bits: 32 }],
    ['10.0.0.0/8/8', { syntax: 'sloppy' }, { ok: false, problem: 'invalid-prefix', bits: 32 }],
    ['10.0.0.0/0008', { syntax: 'sloppy', maxDecimalDigits: 3 }, { ok: false, problem: 'invalid-prefix', bits: 32 }],
  ];
  for (const [text, options, want] of invalid) {
    it(`rejects ${JSON.stringify(text)} ${options === undefined ? '' : JSON.stringify(options)}: ${want.ok ? '' : want.problem}`, () => {
      assert.deepEqual(parseCidr(text, options), want);
    });
  }

  it('round-trips: parse(format(c)) === c (property)', () => {
    const anyCidr = fc.oneof(
      fc.tuple(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.integer({ min: 0, max: 32 })).map(([v, p]) => cidrOf({ family: 4, value: v }, p)),
      fc.tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 })).map(([v, p]) => cidrOf({ family: 6, value: v }, p)),
    );
    fc.assert(
      fc.property(anyCidr, (c) => {
        const result = parseCidr(formatCidr(c));
        assert.ok(result.ok);
        assert.deepEqual(result.cidr, c);
        assert.equal(result.hostBitsSet, false);
      }),
    );
  });
});

describe('range arithmetic', () => {
  it('computes masks, last addresses and sizes', () => {
    assert.equal(prefixMask(4, 0), 0n);
    assert.equal(prefixMask(4, 24), 0xffffff00n);
    assert.equal(prefixMask(6, 128), (1n << 128n) - 1n);
    assert.equal(lastAddress(cidr('10.244.0.0/16')), 0x0af4ffffn);
    assert.equal(lastAddress(cidr('10.0.0.1/32')), 0x0a000001n);
    assert.equal(lastAddress(cidr('fd00::/8')), (0xfdn << 120n) | ((1n << 120n) - 1n));
    assert.equal(cidrSize(cidr('192.0.2.0/24')), 256n);
    assert.equal(cidrSize(cidr('192.0.2.0/31')), 2n);
    assert.equal(cidrSize(cidr('::/0')), 1n << 128n);
  });

  it('contains only addresses of its own family and range', () => {
    const c = cidr('10.244.0.0/16');
    assert.equal(cidrContains(c, parseIp('10.244.255.255')!), true);
    assert.equal(cidrContains(c, parseIp('10.245.0.0')!), false);
    assert.equal(cidrContains(c, parseIp('::af4:0')!), false);
    assert.equal(cidrContains(cidr('::/0'), parseIp('10.0.0.1')!), false);
  });

  for (const family of [4, 6] as const) {
    it(`agrees with node:net BlockList on IPv${family} containment (property)`, () => {
      const ip = family === 4 ? fc.ipV4() : fc.ipV6();
      fc.assert(
        fc.property(ip, fc.integer({ min: 0, max: family === 4 ? 32 : 128 }), ip, (net, prefix, addr) => {
          const c = cidrOf(parseIp(net)!, prefix);
          const list = new BlockList();
          list.addSubnet(formatCidr(c).split('/')[0] ?? '', prefix, family === 4 ? 'ipv4' : 'ipv6');
          assert.equal(cidrContains(c, parseIp(addr)!), list.check(addr, family === 4 ? 'ipv4' : 'ipv6'));
        }),
      );
    });
  }
});
