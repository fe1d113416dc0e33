import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ipEqual, isUnspecified, NodeIPParseError, parseIPSloppy, parseNodeIPAnnotation } from './node-ips.js';

describe('parseIPSloppy', () => {
  const cases: ReadonlyArray<{ name: string; text: string; valid: boolean; v4?: boolean }> = [
    { name: 'plain IPv4', text: '10.1.1.1', valid: true, v4: true },
    { name: 'IPv4 with leading zeros is read as decimal', text: '010.001.1.01', valid: true, v4: true },
    { name: 'IPv4 part above 255 is rejected', text: '10.1.1.256', valid: false },
    { name: 'IPv4 with three parts is rejected', text: '10.1.1', valid: false },
    { name: 'compressed IPv6', text: 'fc01:1234::5678', valid: true, v4: false },
    { name: 'full IPv6', text: '2600:1f14:1d4:d101:0:0:0:ba3d', valid: true, v4: false },
    { name: 'IPv6 unspecified', text: '::', valid: true, v4: false },
    { name: 'IPv4-mapped IPv6 counts as IPv4', text: '::ffff:10.1.1.1', valid: true, v4: true },
    { name: 'two :: are rejected', text: '1::2::3', valid: false },
    { name: 'IPv6 zone is rejected', text: 'fe80::1%eth0', valid: false },
    { name: 'a group of five hex digits is rejected', text: '12345::1', valid: false },
    { name: 'nine groups are rejected', text: '1:2:3:4:5:6:7:8:9', valid: false },
    { name: 'surrounding spaces are rejected', text: ' 10.1.1.1', valid: false },
    { name: 'CIDR is rejected', text: '10.1.1.1/32', valid: false },
    { name: 'a hostname is rejected', text: 'node-1.example', valid: false },
    { name: 'empty is rejected', text: '', valid: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const ip = parseIPSloppy(c.text);
      assert.equal(ip !== undefined, c.valid);
      if (ip !== undefined) assert.equal(ip.isIPv4, c.v4);
    });
  }

  it('differently written forms of one address are equal', () => {
    const pairs: ReadonlyArray<readonly [string, string]> = [
      ['2600:1f14:1d4:d101::ba3d', '2600:1f14:1d4:d101:0:0:0:ba3d'],
      ['10.1.1.1', '010.1.1.001'],
      ['10.1.1.1', '::ffff:10.1.1.1'],
      ['FC01::1', 'fc01:0::1'],
    ];
    for (const [a, b] of pairs) {
      const x = parseIPSloppy(a);
      const y = parseIPSloppy(b);
      assert.ok(x !== undefined && y !== undefined && ipEqual(x, y), `${a} == ${b}`);
    }
    const x = parseIPSloppy('10.1.1.1');
    const y = parseIPSloppy('10.1.1.2');
    assert.ok(x !== undefined && y !== undefined && !ipEqual(x, y));
  });

  it('parses every IPv4 and IPv6 address node:net formats (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        assert.notEqual(parseIPSloppy(text), undefined, text);
      }),
    );
  });

  it('recognises the unspecified addresses only', () => {
    assert.equal(isUnspecified(parseIPSloppy('0.0.0.0')!), true);
    assert.equal(isUnspecified(parseIPSloppy('::')!), true);
    assert.equal(isUnspecified(parseIPSloppy('::1')!), false);
    assert.equal(isUnspecified(parseIPSloppy('10.0.0.0')!), false);
  });
});

describe('parseNodeIPAnnotation', () => {
  const cases: ReadonlyArray<{ name: string; value: string; ips?: readonly string[]; error?: RegExp }> = [
    { name: 'a single IPv4', value: '10.1.1.1', ips: ['10.1.1.1'] },
    { name: 'a single IPv6', value: 'fc01:1234::5678', ips: ['fc01:1234::5678'] },
    { name: 'a single unspecified IP is allowed', value: '0.0.0.0', ips: ['0.0.0.0'] },
    { name: 'a dual-stack pair, IPv4 first', value: '10.1.1.1,fc01:1234::5678', ips: ['10.1.1.1', 'fc01:1234::5678'] },
    { name: 'a dual-stack pair, IPv6 first', value: 'fc01:1234::5678,10.1.1.1', ips: ['fc01:1234::5678', '10.1.1.1'] },
    { name: 'not an IP', value: 'not-an-ip', error: /could not parse "not-an-ip"/ },
    { name: 'empty', value: '', error: /could not parse ""/ },
    { name: 'a space after the comma', value: '10.1.1.1, fc01::1', error: /could not parse " fc01::1"/ },
    { name: 'three IPs', value: '10.1.1.1,fc01::1,10.1.1.2', error: /single IP or a dual-stack pair/ },
    { name: 'two IPv4', value: '10.1.1.1,10.1.1.2', error: /single IP or a dual-stack pair/ },
    { name: 'two IPv6', value: 'fc01::1,fc01::2', error: /single IP or a dual-stack pair/ },
    { name: 'a dual-stack pair with 0.0.0.0', value: '0.0.0.0,fc01::1', error: /cannot include '0.0.0.0' or '::'/ },
    { name: 'a dual-stack pair with ::', value: '10.1.1.1,::', error: /cannot include '0.0.0.0' or '::'/ },
  ];
  for (const c of cases) {
    it(c.error === undefined ? `accepts ${c.name}` : `rejects ${c.name}`, () => {
      if (c.error !== undefined) {
        assert.throws(() => parseNodeIPAnnotation(c.value), (err: unknown) => err instanceof NodeIPParseError && c.error!.test(err.message) && err.value === c.value);
      } else {
        assert.deepEqual(
          parseNodeIPAnnotation(c.value).map((ip) => ip.text),
          c.ips,
        );
      }
    });
  }
});
