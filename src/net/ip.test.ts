import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import fc from 'fast-check';
import type { IpAddress, ParseIpOptions } from './ip.js';
import { compareIp, formatIp, formatIpAddress, ipTo16Bytes, isIpv4Mapped, offsetIp, parseIp } from './ip.js';

const SLOPPY: ParseIpOptions = { syntax: 'sloppy' };

describe('parseIp', () => {
  const cases: readonly { readonly text: string; readonly options?: ParseIpOptions; readonly want: IpAddress | undefined }[] = [
    { text: '10.244.0.1', want: { family: 4, value: 0x0af40001n } },
    { text: '0.0.0.0', want: { family: 4, value: 0n } },
    { text: '255.255.255.255', want: { family: 4, value: 0xffffffffn } },
    { text: '256.0.0.1', want: undefined },
    { text: '1.2.3', want: undefined },
    { text: '1.2.3.4.5', want: undefined },
    { text: '1..2.3', want: undefined },
    { text: ' 1.2.3.4', want: undefined },
    { text: '1.2.3.4/32', want: undefined },
    { text: '', want: undefined },
    { text: 'node-1.example', want: undefined },
    // Leading zeros: rejected by node:net's syntax, decimal in Go's sloppy one (any count of digits, unless limited).
    { text: '010.001.000.001', want: undefined },
    { text: '010.001.000.001', options: SLOPPY, want: { family: 4, value: 0x0a010001n } },
    { text: '0010.0.0.1', options: SLOPPY, want: { family: 4, value: 0x0a000001n } },
    { text: '0010.0.0.1', options: { syntax: 'sloppy', maxDecimalDigits: 3 }, want: undefined },
    { text: '::', want: { family: 6, value: 0n } },
    { text: '::1', want: { family: 6, value: 1n } },
    { text: 'fd00::', want: { family: 6, value: 0xfd00n << 112n } },
    { text: 'FC01:0::1', want: { family: 6, value: (0xfc01n << 112n) | 1n } },
    { text: '1:2:3:4:5:6:7:8', want: { family: 6, value: 0x00010002000300040005000600070008n } },
    { text: '1:2:3:4:5:6:7::', want: { family: 6, value: 0x00010002000300040005000600070000n } },
    { text: '::ffff:10.0.0.1', want: { family: 6, value: (0xffffn << 32n) | 0x0a000001n } },
    { text: '1:2:3:4:5:6:1.2.3.4', want: { family: 6, value: 0x00010002000300040005000601020304n } },
    { text: '::ffff:010.0.0.1', want: undefined },
    { text: '::ffff:010.0.0.1', options: SLOPPY, want: { family: 6, value: (0xffffn << 32n) | 0x0a000001n } },
    { text: '1.2.3.4::', options: SLOPPY, want: undefined }, // an IPv4 part only at the end, as Go
    { text: '1:1.2.3.4::5', options: SLOPPY, want: undefined },
    { text: '1:2:3:4:5:6:7:8:9', want: undefined },
    { text: '1:2:3:4:5:6:7', want: undefined },
    { text: '1:2:3:4::5:6:7:8', want: undefined }, // `::` must stand for at least one group
    { text: '1::2::3', want: undefined },
    { text: ':::', want: undefined },
    { text: ':1::', want: undefined },
    { text: '12345::', want: undefined },
    { text: 'g::', want: undefined },
    { text: 'fe80::1%eth0', want: undefined },
    { text: 'fe80::1%eth0', options: { zone: 'strip' }, want: { family: 6, value: (0xfe80n << 112n) | 1n } },
    { text: 'fe80::1%', options: { zone: 'strip' }, want: undefined },
    { text: '1.2.3.4%eth0', options: { zone: 'strip' }, want: undefined },
  ];
  for (const { text, options, want } of cases) {
    it(`parses ${JSON.stringify(text)} ${options === undefined ? '' : JSON.stringify(options)} as ${want === undefined ? 'invalid' : `IPv${want.family}`}`, () => {
      assert.deepEqual(parseIp(text, options), want);
    });
  }

  it('accepts exactly what node:net isIP accepts, in strict syntax with zones stripped (property)', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF:.%-/zx '.split(''));
    const text = fc.oneof(
      fc.ipV4(),
      fc.ipV4Extended(),
      fc.ipV6(),
      fc.tuple(fc.ipV6(), fc.string({ unit: alphabet, maxLength: 4 })).map(([ip, zone]) => `${ip}%${zone}`),
      fc.string({ unit: alphabet, maxLength: 20 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        assert.equal(parseIp(t, { zone: 'strip' })?.family ?? 0, isIP(t), t);
      }),
      { numRuns: 2000 },
    );
  });

  it('sloppy syntax accepts everything strict syntax does, with the same value (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (t) => {
        assert.deepEqual(parseIp(t, SLOPPY), parseIp(t));
      }),
    );
  });
});

describe('formatIp', () => {
  const cases: readonly [bigint, 4 | 6, string][] = [
    [0xc0000201n, 4, '192.0.2.1'],
    [0n, 4, '0.0.0.0'],
    [0n, 6, '::'],
    [1n, 6, '::1'],
    [0x20010db8000000000000000000000001n, 6, '2001:db8::1'],
    // The longest zero run is compressed, the first one on a tie, and a single zero group never.
    [0x20010db8000000010000000000000001n, 6, '2001:db8:0:1::1'],
    [0x20010db8000000000001000000000001n, 6, '2001:db8::1:0:0:1'],
    [0x20010db8000100010001000100010001n, 6, '2001:db8:1:1:1:1:1:1'],
    [0x2001000000010001000100010001000an, 6, '2001:0:1:1:1:1:1:a'],
    [0x00010002000300040005000600070000n, 6, '1:2:3:4:5:6:7:0'],
    [(0xffffn << 32n) | 0x0a000001n, 6, '::ffff:a00:1'],
  ];
  for (const [value, family, text] of cases) {
    it(`formats ${text} canonically`, () => {
      assert.equal(formatIp(value, family), text);
      assert.equal(formatIpAddress({ family, value }), text);
    });
  }

  const address = fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((value): IpAddress => ({ family: 4, value })),
    fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((value): IpAddress => ({ family: 6, value })),
  );

  it('round-trips: parse(format(x)) === x, in both syntaxes (property)', () => {
    fc.assert(
      fc.property(address, (ip) => {
        assert.deepEqual(parseIp(formatIpAddress(ip)), ip);
        assert.deepEqual(parseIp(formatIpAddress(ip), SLOPPY), ip);
      }),
    );
  });

  it('formats as node:net does, so its output is what isIP accepts (property)', () => {
    fc.assert(
      fc.property(address, (ip) => {
        assert.equal(isIP(formatIpAddress(ip)), ip.family);
      }),
    );
  });

  it('canonicalises: format(parse(s)) is a fixed point (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (t) => {
        const once = formatIpAddress(parseIp(t)!);
        assert.equal(formatIpAddress(parseIp(once)!), once);
      }),
    );
  });
});

describe('compareIp and offsetIp', () => {
  it('orders IPv4 before IPv6, then by value', () => {
    const sorted = ['::1', '10.0.0.2', '::', '10.0.0.1'].map((t) => parseIp(t)!).sort(compareIp).map(formatIpAddress);
    assert.deepEqual(sorted, ['10.0.0.1', '10.0.0.2', '::', '::1']);
    assert.equal(compareIp(parseIp('10.0.0.1')!, parseIp('10.0.0.1')!), 0);
  });

  it('offsets within the family and refuses to leave it', () => {
    assert.deepEqual(offsetIp(parseIp('10.0.0.255')!, 1n), parseIp('10.0.1.0'));
    assert.deepEqual(offsetIp(parseIp('::1')!, -1n), parseIp('::'));
    assert.equal(offsetIp(parseIp('255.255.255.255')!, 1n), undefined);
    assert.equal(offsetIp(parseIp('0.0.0.0')!, -1n), undefined);
    assert.equal(offsetIp(parseIp('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')!, 1n), undefined);
  });
});

describe('ipTo16Bytes and isIpv4Mapped', () => {
  it('stores IPv4 IPv4-mapped, as Go net.IP', () => {
    const v4 = ipTo16Bytes(parseIp('10.1.2.3')!);
    assert.deepEqual([...v4], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
    assert.deepEqual(ipTo16Bytes(parseIp('::ffff:10.1.2.3')!), v4);
    assert.deepEqual([...ipTo16Bytes(parseIp('2001:db8::1')!)], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('recognises IPv4-mapped IPv6 only', () => {
    assert.equal(isIpv4Mapped(parseIp('::ffff:10.1.2.3')!), true);
    assert.equal(isIpv4Mapped(parseIp('::10.1.2.3')!), false);
    assert.equal(isIpv4Mapped(parseIp('10.1.2.3')!), false);
  });
});
