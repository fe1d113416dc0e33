import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp } from './ip-address.js';
import { LocalConfigError, parseLocalConfig } from './local-config.js';

const EXAMPLE = `pools:
  - name: web
    ranges: [127.0.10.0/24]
    namespaces: [prod]
    serviceSelector:
      matchLabels: { tier: web }
  - name: rest
    ranges:
      - 127.0.11.10-127.0.11.20
    avoidBuggyIPs: true
stateFile: /tmp/state.json
healthCheck:
  intervalMs: 2000
  kubeProxyPort: 20256
balancing: least-connections
inventory:
  - name: n1
    zone: z1
    addresses: [{ type: InternalIP, address: 127.0.20.1 }]
`;

function configError(text: string): LocalConfigError {
  try {
    parseLocalConfig(text, 'cloud.yaml');
  } catch (err) {
    assert.ok(err instanceof LocalConfigError, `expected LocalConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the config to be rejected');
}

describe('parseLocalConfig', () => {
  it('parses every section of a full example and fills defaults', () => {
    const cfg = parseLocalConfig(EXAMPLE, 'cloud.yaml');
    assert.deepEqual(cfg.pools.map((p) => [p.name, p.ranges.map((r) => r.text), p.avoidBuggyIPs, p.namespaces]), [
      ['web', ['127.0.10.0/24'], false, ['prod']],
      ['rest', ['127.0.11.10-127.0.11.20'], true, []],
    ]);
    assert.equal(cfg.pools[0]?.serviceSelector.matches({ tier: 'web' }), true);
    assert.equal(cfg.pools[0]?.serviceSelector.matches({ tier: 'db' }), false);
    assert.equal(cfg.pools[1]?.serviceSelector.matches(undefined), true);
    assert.equal(cfg.stateFile, '/tmp/state.json');
    assert.equal(cfg.healthCheck.intervalMs, 2000);
    assert.equal(cfg.healthCheck.kubeProxyPort, 20256);
    assert.equal(cfg.healthCheck.timeoutMs, 1000);
    assert.equal(cfg.balancing, 'least-connections');
    assert.deepEqual(cfg.inventory?.[0], {
      nodeName: 'n1',
      providerID: 'local://n1',
      addresses: [{ type: 'InternalIP', address: '127.0.20.1' }],
      zone: 'z1',
      region: undefined,
      instanceType: undefined,
      shutdown: false,
    });
  });

  it('an empty config gives one default loopback pool and no inventory', () => {
    const cfg = parseLocalConfig(undefined);
    assert.deepEqual(cfg.pools.map((p) => p.name), ['default']);
    assert.equal(cfg.inventory, undefined);
    assert.equal(cfg.stateFile, undefined);
  });

  const bad: { name: string; text: string; line: number; field: string; message: RegExp }[] = [
    {
      name: 'overlapping pools name both pools and the line of the second range',
      text: 'pools:\n  - name: a\n    ranges: [127.0.10.0/24]\n  - name: b\n    ranges:\n      - 127.0.9.0/24\n      - 127.0.10.200-127.0.11.5\n',
      line: 7,
      field: 'pools[1].ranges[1]',
      message: /pool "b": range 127\.0\.10\.200-127\.0\.11\.5 overlaps range 127\.0\.10\.0\/24 of pool "a"/,
    },
    {
      name: 'a range that is not an address names the pool',
      text: 'pools:\n  - name: a\n    ranges: [ "nonsense/24" ]\n',
      line: 3,
      field: 'pools[0].ranges[0]',
      message: /pool "a": "nonsense\/24": "nonsense" is not an IP address/,
    },
    {
      name: 'host bits set in a CIDR suggest the network',
      text: 'pools:\n  - name: a\n    ranges: [127.0.10.1/24]\n',
      line: 3,
      field: 'pools[0].ranges[0]',
      message: /did you mean 127\.0\.10\.0\/24/,
    },
    { name: 'a reversed a-b range is refused', text: 'pools:\n- name: a\n  ranges: [127.0.0.9-127.0.0.1]\n', line: 3, field: 'pools[0].ranges[0]', message: /first address is after the last/ },
    { name: 'unknown fields are refused at their own line', text: 'stateFile: x\nhealthcheck: {}\n', line: 2, field: 'healthcheck', message: /: healthcheck: unknown field$/ },
    { name: 'wrong types name the field and the value', text: 'healthCheck:\n  intervalMs: fast\n', line: 2, field: 'healthCheck.intervalMs', message: /: healthCheck\.intervalMs: expected a number, got "fast"$/ },
    { name: 'a document that is not a mapping is refused', text: '- pools\n', line: 1, field: '', message: /: expected a mapping, got a list$/ },
    { name: 'duplicate keys are refused at the second', text: 'stateFile: a\nstateFile: b\n', line: 2, field: '', message: /YAML syntax error: Map keys must be unique/ },
    { name: 'duplicate pool names are refused', text: 'pools:\n- name: a\n  ranges: [127.0.1.0/24]\n- name: a\n  ranges: [127.0.2.0/24]\n', line: 4, field: 'pools[1].name', message: /also used by pools\[0\]/ },
    { name: 'inventory addresses must be IPs', text: 'inventory:\n- name: n1\n  addresses:\n  - type: InternalIP\n    address: nope\n', line: 5, field: 'inventory[0].addresses[0].address', message: /not an IP address/ },
    { name: 'YAML syntax errors carry a line', text: 'pools:\n  - name: a\n   ranges: [\n', line: 3, field: '', message: /YAML syntax error/ },
    // Ranges a load balancer must not listen on: every one is an input error naming the pool entry.
    ...(
      [
        ['0.0.0.0/32', /range 0\.0\.0\.0\/32 contains 0\.0\.0\.0, the unspecified \(wildcard\) address/],
        ['0.0.0.0-0.0.0.3', /range 0\.0\.0\.0-0\.0\.0\.3 contains 0\.0\.0\.0, the unspecified \(wildcard\) address/],
        ['0.0.0.0/0', /range 0\.0\.0\.0\/0 contains addresses of 0\.0\.0\.0\/8/],
        ['0.0.0.1-0.0.0.9', /contains addresses of 0\.0\.0\.0\/8 \("this network"\)/],
        ['224.0.0.251/32', /range 224\.0\.0\.251\/32 contains multicast addresses \(224\.0\.0\.0\/4\)/],
        ['223.255.255.250-224.0.0.1', /contains multicast addresses/],
        ['255.255.255.255', /range 255\.255\.255\.255 contains 255\.255\.255\.255, the limited broadcast address/],
        ['"::/0"', /range ::\/0 contains ::, the unspecified \(wildcard\) address/],
        ['"::/128"', /contains ::, the unspecified/],
        ['"ff02::1/128"', /range ff02::1\/128 contains multicast addresses \(ff00::\/8\)/],
        ['"::ffff:127.0.0.0/120"', /range ::ffff:7f00:0\/120 contains IPv4-mapped addresses \(::ffff:0:0\/96\).*write them as an IPv4 range/],
        ['"::fffe:ffff:ffff-::ffff:0:1"', /contains IPv4-mapped addresses/],
      ] as const
    ).map(([range, message]) => ({
      name: `pool range ${range} is refused`,
      text: `pools:\n- name: ok\n  ranges: [127.0.3.0/24]\n- name: bad\n  ranges:\n  - 127.0.4.0/24\n  - ${range}\n`,
      line: 7,
      field: 'pools[1].ranges[1]',
      message: new RegExp(`pool "bad": .*${message.source}`),
    })),
  ];
  for (const c of bad) {
    it(c.name, () => {
      const err = configError(c.text);
      assert.equal(err.line, c.line, err.message);
      assert.equal(err.field, c.field);
      assert.match(err.message, c.message);
      assert.match(err.message, new RegExp(`^invalid local cloud config cloud\\.yaml:${c.line}: `));
      assert.equal(err.isInputError, true, 'the manager exits 2');
    });
  }

  it('an empty document or a bare null means every default', () => {
    for (const text of ['', '# nothing\n', '~\n']) assert.deepEqual(parseLocalConfig(text).pools.map((p) => p.name), ['default'], JSON.stringify(text));
  });

  // Before: an alias bomb ended in a bare ReferenceError from the yaml package (exit 1, a stack).
  const limits: [string, string, RegExp][] = [
    [
      'an alias bomb is refused with one line',
      ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n'),
      /^invalid local cloud config cloud\.yaml: YAML aliases expand to too many nodes/,
    ],
    ['nesting too deep to parse is refused', `pools: ${'['.repeat(100_000)}`, /^invalid local cloud config cloud\.yaml(:\d+)?: nested too deeply$/],
    ['a config over 4 MiB is refused', `# ${'x'.repeat(4 * 1024 * 1024)}\n`, /^invalid local cloud config cloud\.yaml: larger than the 4 MiB limit/],
    [
      'a line break in a label key stays on one line, escaped',
      'pools:\n- name: a\n  ranges: [127.0.9.0/24]\n  serviceSelector:\n    matchLabels: { "a\\nb": x }\n',
      /^invalid local cloud config cloud\.yaml:4: pools\[0\]\.serviceSelector: pool "a": invalid label selector \(matchLabels\[a\\nb\]\)/,
    ],
  ];
  for (const [name, text, message] of limits) {
    it(name, () => {
      const err = configError(text);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('\n'), `one line: ${JSON.stringify(err.message)}`);
      assert.equal(err.isInputError, true);
    });
  }

  it('an IPv4 CIDR pool leaves out its network and broadcast addresses; a /31, a /32, a first-last range and IPv6 keep every address', () => {
    const cfg = parseLocalConfig(
      'pools:\n- name: a\n  ranges: [127.0.3.0/24, 127.0.4.0/30, 127.0.5.0/31, 127.0.6.7/32, 127.0.7.0-127.0.7.255, "fd00::/126"]\n',
    );
    const ranges = cfg.pools[0]?.ranges.map((r) => [r.text, formatIp(r.first, r.family), formatIp(r.last, r.family)]);
    assert.deepEqual(ranges, [
      ['127.0.3.0/24', '127.0.3.1', '127.0.3.254'],
      ['127.0.4.0/30', '127.0.4.1', '127.0.4.2'],
      ['127.0.5.0/31', '127.0.5.0', '127.0.5.1'],
      ['127.0.6.7/32', '127.0.6.7', '127.0.6.7'],
      ['127.0.7.0-127.0.7.255', '127.0.7.0', '127.0.7.255'],
      ['fd00::/126', 'fd00::', 'fd00::3'],
    ]);
    // The broadcast address of one pool's CIDR is not in it, so another pool may hold it.
    assert.doesNotThrow(() => parseLocalConfig('pools:\n- name: a\n  ranges: [127.0.3.0/24]\n- name: b\n  ranges: [127.0.3.255]\n'));
  });

  it('property: two pools are accepted exactly when their ranges do not overlap', () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), (a1, a2, b1, b2) => {
        const [aLo, aHi] = a1 <= a2 ? [a1, a2] : [a2, a1];
        const [bLo, bHi] = b1 <= b2 ? [b1, b2] : [b2, b1];
        const text = `pools:\n- name: a\n  ranges: [127.0.5.${aLo}-127.0.5.${aHi}]\n- name: b\n  ranges: [127.0.5.${bLo}-127.0.5.${bHi}]\n`;
        const overlap = aLo <= bHi && bLo <= aHi;
        let accepted = true;
        try {
          parseLocalConfig(text);
        } catch {
          accepted = false;
        }
        assert.equal(accepted, !overlap);
      }),
      { numRuns: 200 },
    );
  });
});
