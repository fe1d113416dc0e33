import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { CidrParseError, cidrContains, formatCidr, lastAddress, parseCidr, parseClusterCidrs, parseIp, tryParseCidr } from './cidr.js';

describe('parseIp', () => {
  const cases: readonly { readonly text: string; readonly want: { family: 4 | 6; value: bigint } | undefined }[] = [
    { text: '10.244.0.1', want: { family: 4, value: 0x0af40001n } },
    { text: '0.0.0.0', want: { family: 4, value: 0n } },
    { text: '255.255.255.255', want: { family: 4, value: 0xffffffffn } },
    { text: '010.001.000.001', want: { family: 4, value: 0x0a010001n } }, // sloppy: leading zeros are decimal
    { text: '::', want: { family: 6, value: 0n } },
    { text: '::1', want: { family: 6, value: 1n } },
    { text: 'fd00::', want: { family: 6, value: 0xfd00n << 112n } },
    { text: 'a00:100::', want: { family: 6, value: (0x0a00n << 112n) | (0x0100n << 96n) } },
    { text: '1:2:3:4:5:6:7:8', want: { family: 6, value: 0x00010002000300040005000600070008n } },
    { text: '::ffff:10.0.0.1', want: { family: 6, value: (0xffffn << 32n) | 0x0a000001n } },
    { text: '1:2:3:4:5:6:1.2.3.4', want: { family: 6, value: 0x00010002000300040005000601020304n } },
    { text: '256.0.0.1', want: undefined },
    { text: '1.2.3', want: undefined },
    { text: '1.2.3.4.5', want: undefined },
    { text: '1..2.3', want: undefined },
    { text: '1:2:3:4:5:6:7:8:9', want: undefined },
    { text: '1::2::3', want: undefined },
    { text: '12345::', want: undefined },
    { text: 'g::', want: undefined },
    { text: '1:2:3:4:5:6:7', want: undefined },
    { text: '', want: undefined },
  ];
  for (const { text, want } of cases) {
    it(`parses ${JSON.stringify(text)} as ${want === undefined ? 'invalid' : `IPv${want.family}`}`, () => {
      assert.deepEqual(parseIp(text), want);
    });
  }
});

describe('parseCidr', () => {
  it('masks host bits away, as Go ParseCIDR', () => {
    assert.equal(formatCidr(parseCidr('10.244.7.9/16')), '10.244.0.0/16');
    assert.equal(formatCidr(parseCidr('fd00:10:244::1/56')), 'fd00:10:244::/56');
  });

  const invalid = ['', '10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', 'fd00::/129', 'x/8', '10.0.0.0/8/8'];
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)} with a CidrParseError`, () => {
      assert.throws(() => parseCidr(text), CidrParseError);
      assert.equal(tryParseCidr(text), undefined);
    });
  }

  it('computes the last address of a range', () => {
    assert.equal(lastAddress(parseCidr('10.244.0.0/14')), 0x0af7ffffn);
    assert.equal(lastAddress(parseCidr('0.0.0.0/0')), 0xffffffffn);
    assert.equal(lastAddress(parseCidr('10.1.2.3/32')), 0x0a010203n);
    assert.equal(lastAddress(parseCidr('a00:100::/24')), (0x0a0001n << 104n) | ((1n << 104n) - 1n));
  });

  it('prints IPv6 with the longest zero run compressed', () => {
    assert.equal(formatCidr(parseCidr('1:0:0:2:0:0:0:3/128')), '1:0:0:2::3/128');
    assert.equal(formatCidr(parseCidr('::/0')), '::/0');
    assert.equal(formatCidr(parseCidr('1:2:3:4:5:6:7:8/128')), '1:2:3:4:5:6:7:8/128');
  });

  it('agrees with node:net BlockList on IPv4 containment (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4(), (net, prefix, addr) => {
        const cidr = parseCidr(`${net}/${prefix}`);
        const list = new BlockList();
        list.addSubnet(formatCidr(cidr).split('/')[0] ?? '', prefix, 'ipv4');
        const ip = parseIp(addr);
        assert.ok(ip !== undefined);
        assert.equal(cidrContains(cidr, ip.family, ip.value), list.check(addr, 'ipv4'));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with node:net BlockList on IPv6 containment (property)', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6(), (net, prefix, addr) => {
        const cidr = parseCidr(`${net}/${prefix}`);
        const list = new BlockList();
        list.addSubnet(formatCidr(cidr).split('/')[0] ?? '', prefix, 'ipv6');
        const ip = parseIp(addr);
        assert.ok(ip !== undefined, addr);
        assert.equal(cidrContains(cidr, ip.family, ip.value), list.check(addr, 'ipv6'));
      }),
      { numRuns: 300 },
    );
  });

  it('never contains an address of the other family', () => {
    const v4 = parseCidr('0.0.0.0/0');
    const v6 = parseCidr('::/0');
    assert.equal(cidrContains(v4, 6, 1n), false);
    assert.equal(cidrContains(v6, 4, 1n), false);
  });
});

describe('parseClusterCidrs (--cluster-cidr)', () => {
  const valid: readonly { readonly value: string; readonly want: readonly string[] }[] = [
    { value: '10.244.0.0/16', want: ['10.244.0.0/16'] },
    { value: ' 10.244.0.0/16 ', want: ['10.244.0.0/16'] },
    { value: '10.244.0.0/16,fd00:10:244::/56', want: ['10.244.0.0/16', 'fd00:10:244::/56'] },
    { value: 'fd00:10:244::/56,10.244.0.0/16', want: ['fd00:10:244::/56', '10.244.0.0/16'] },
    { value: '10.244.0.0/16, fd00::/8', want: ['10.244.0.0/16', 'fd00::/8'] },
  ];
  for (const { value, want } of valid) {
    it(`accepts ${JSON.stringify(value)}`, () => {
      assert.deepEqual(parseClusterCidrs(value).map(formatCidr), want);
    });
  }

  const invalid: readonly { readonly value: string; readonly message: RegExp }[] = [
    { value: '', message: /--cluster-cidr is empty/ },
    { value: '   ', message: /--cluster-cidr is empty/ },
    { value: 'nonsense', message: /entry 1 of 1: failed to parse cidr value "nonsense"/ },
    { value: '10.244.0.0/16,', message: /entry 2 of 2: failed to parse cidr value ""/ },
    { value: '10.244.0.0/16,10.245.0.0/16', message: /must be dual-stack.*two IPv4/ },
    { value: 'fd00::/8,fd01::/8', message: /must be dual-stack.*two IPv6/ },
    { value: '10.244.0.0/16,fd00::/8,10.1.0.0/16', message: /3 CIDRs given, at most 2/ },
  ];
  for (const { value, message } of invalid) {
    it(`rejects ${JSON.stringify(value)} saying why`, () => {
      assert.throws(() => parseClusterCidrs(value), (err: unknown) => err instanceof CidrParseError && message.test(err.message));
    });
  }
});
