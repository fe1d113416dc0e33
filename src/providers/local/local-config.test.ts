import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
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
    { name: 'unknown fields are refused', text: 'stateFile: x\nhealthcheck: {}\n', line: 1, field: '', message: /unknown field "healthcheck"/ },
    { name: 'wrong types name the field', text: 'healthCheck:\n  intervalMs: fast\n', line: 2, field: 'healthCheck.intervalMs', message: /expected number/ },
    { name: 'duplicate pool names are refused', text: 'pools:\n- name: a\n  ranges: [127.0.1.0/24]\n- name: a\n  ranges: [127.0.2.0/24]\n', line: 4, field: 'pools[1].name', message: /also used by pools\[0\]/ },
    { name: 'inventory addresses must be IPs', text: 'inventory:\n- name: n1\n  addresses:\n  - type: InternalIP\n    address: nope\n', line: 5, field: 'inventory[0].addresses[0].address', message: /not an IP address/ },
    { name: 'YAML syntax errors carry a line', text: 'pools:\n  - name: a\n   ranges: [\n', line: 3, field: '', message: /YAML syntax error/ },
  ];
  for (const c of bad) {
    it(c.name, () => {
      const err = configError(c.text);
      assert.equal(err.line, c.line, err.message);
      assert.equal(err.field, c.field);
      assert.match(err.message, c.message);
      assert.match(err.message, new RegExp(`^invalid local cloud config cloud\\.yaml:${c.line}: `));
    });
  }

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
