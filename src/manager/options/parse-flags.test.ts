import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FlagError } from './flag-error.js';
import { FLAGS, FLAGS_BY_NAME } from './flag-table.js';
import type { FlagSpec, FlagValue } from './flag-table.js';
import { formatFlagValue, formatHelp, parseFlags } from './parse-flags.js';

const S = 1000;
// Upstream defaults (cloud-provider options + controller-manager generic + apiserver serving).
const UPSTREAM_DEFAULTS: [string, FlagValue][] = [
  ['cloud-provider', ''],
  ['cloud-config', ''],
  ['controllers', ['*']],
  ['controller-start-interval', 0],
  ['min-resync-period', 12 * 3600 * S],
  ['kube-api-qps', 20],
  ['kube-api-burst', 30],
  ['kube-api-content-type', 'application/vnd.kubernetes.protobuf'],
  ['leader-elect', true],
  ['leader-elect-lease-duration', 15 * S],
  ['leader-elect-renew-deadline', 10 * S],
  ['leader-elect-retry-period', 2 * S],
  ['leader-elect-resource-lock', 'leases'],
  ['leader-elect-resource-name', 'cloud-controller-manager'],
  ['leader-elect-resource-namespace', 'kube-system'],
  ['use-service-account-credentials', false],
  ['cluster-name', 'kubernetes'],
  ['cluster-cidr', ''],
  ['allocate-node-cidrs', false],
  ['cidr-allocator-type', 'RangeAllocator'],
  ['configure-cloud-routes', true],
  ['route-reconciliation-period', 10 * S],
  ['node-monitor-period', 5 * S],
  ['external-cloud-volume-plugin', ''],
  ['allow-untagged-cloud', false],
  ['node-sync-period', 0],
  ['profiling', true],
  ['contention-profiling', false],
  ['enable-leader-migration', false],
  ['leader-migration-config', ''],
  ['concurrent-node-syncs', 1],
  ['concurrent-node-status-updates', 0],
  ['concurrent-service-syncs', 1],
  ['webhooks', []],
  ['webhook-bind-address', '0.0.0.0'],
  ['webhook-secure-port', 10260],
  ['bind-address', '0.0.0.0'],
  ['secure-port', 10258],
  ['tls-cert-file', ''],
  ['tls-private-key-file', ''],
  ['authentication-token-webhook-cache-ttl', 10 * S],
  ['requestheader-username-headers', ['x-remote-user']],
  ['requestheader-group-headers', ['x-remote-group']],
  ['requestheader-extra-headers-prefix', ['x-remote-extra-']],
  ['authorization-always-allow-paths', ['/healthz', '/readyz', '/livez']],
  ['authorization-webhook-cache-authorized-ttl', 10 * S],
  ['authorization-webhook-cache-unauthorized-ttl', 10 * S],
  ['master', ''],
  ['kubeconfig', ''],
  ['node-status-update-frequency', 5 * 60 * S],
  ['v', 0],
  ['logging-format', 'text'],
];

/** A sample value of the right type for each flag, as typed on a command line. */
function sample(spec: FlagSpec): [string, FlagValue] {
  switch (spec.type) {
    case 'bool':
      return ['false', false];
    case 'int':
      return ['7', 7];
    case 'float':
      return ['2.5', 2.5];
    case 'duration':
      return ['1m30s', 90 * S];
    case 'string':
      return ['abc', 'abc'];
    case 'ip':
      return ['10.0.0.1', '10.0.0.1'];
    case 'stringList':
      return ['a,b', ['a', 'b']];
  }
}

describe('parseFlags', () => {
  it('defaults match upstream', () => {
    const parsed = parseFlags([]);
    for (const [name, want] of UPSTREAM_DEFAULTS) assert.deepEqual(parsed.values.get(name), want, `--${name}`);
    assert.equal(parsed.explicit.size, 0);
  });

  for (const spec of FLAGS) {
    it(`accepts --${spec.name} in both --flag=value and --flag value forms`, () => {
      const [text, want] = sample(spec);
      assert.deepEqual(parseFlags([`--${spec.name}=${text}`]).values.get(spec.name), want);
      assert.deepEqual(parseFlags([`--${spec.name}`, text]).values.get(spec.name), want);
    });
  }

  const forms: [string, string[], string, FlagValue][] = [
    ['klog -v=4', ['-v=4'], 'v', 4],
    ['klog -v 3', ['-v', '3'], 'v', 3],
    ['--v=5', ['--v=5'], 'v', 5],
    ['a bare boolean means true', ['--allocate-node-cidrs'], 'allocate-node-cidrs', true],
    ['a bare boolean before another flag', ['--allocate-node-cidrs', '--v=2'], 'allocate-node-cidrs', true],
    ['Go spellings of false', ['--leader-elect=F'], 'leader-elect', false],
    ['the last scalar wins', ['--cluster-name=a', '--cluster-name=b'], 'cluster-name', 'b'],
    ['repeated list flags append', ['--provider-module=a', '--provider-module', 'b,c'], 'provider-module', ['a', 'b', 'c']],
    ['controllers with star and dashes', ['--controllers=*,-route'], 'controllers', ['*', '-route']],
    ['an empty list', ['--controllers='], 'controllers', []],
  ];
  for (const [name, argv, flag, want] of forms) {
    it(`parses ${name}`, () => assert.deepEqual(parseFlags(argv).values.get(flag), want));
  }

  const errors: [string, string[], string, RegExp][] = [
    ['unknown flag', ['--bogus=1'], '--bogus', /unknown flag: --bogus/],
    ['pflag has no --no- negation', ['--no-leader-elect'], '--no-leader-elect', /unknown flag/],
    ['camelCase is not a flag', ['--leaderElect=false'], '--leaderElect', /unknown flag/],
    ['bad boolean', ['--leader-elect=maybe'], '--leader-elect', /invalid argument "maybe" for "--leader-elect" flag/],
    ['bad duration', ['--node-monitor-period=5'], '--node-monitor-period', /missing unit/],
    ['bad duration unit', ['--route-reconciliation-period=10x'], '--route-reconciliation-period', /unknown unit "x"/],
    ['bad integer', ['--concurrent-node-syncs=1.5'], '--concurrent-node-syncs', /expected an integer/],
    ['bad float', ['--kube-api-qps=fast'], '--kube-api-qps', /expected a number/],
    ['stray positional', ['stray'], '', /unexpected argument "stray"/],
  ];
  for (const [name, argv, flag, message] of errors) {
    it(`rejects ${name} with a FlagError naming ${flag || 'the argument'}`, () => {
      assert.throws(() => parseFlags(argv), (err: unknown) => err instanceof FlagError && err.flag === flag && message.test(err.message));
    });
  }

  it('warns in pflag words about deprecated flags and accepts them', () => {
    const parsed = parseFlags(['--node-sync-period=1m', '--allow-untagged-cloud']);
    assert.deepEqual(parsed.warnings, [
      'Flag --allow-untagged-cloud has been deprecated, running without a cluster ID is a legacy mode and will go away.',
      'Flag --node-sync-period has been deprecated, it does nothing and will be removed.',
    ]);
  });

  it('round-trips generated values through format then parse for every flag type', () => {
    const specOf = (name: string): FlagSpec => {
      const spec = FLAGS_BY_NAME.get(name);
      assert.ok(spec);
      return spec;
    };
    const word = fc.stringMatching(/^[a-z0-9/._*=-]{1,12}$/).filter((s) => !s.startsWith('-'));
    const arb = fc.oneof(
      fc.tuple(fc.constant(specOf('leader-elect')), fc.boolean()),
      fc.tuple(fc.constant(specOf('concurrent-service-syncs')), fc.integer({ min: -1e9, max: 10_000 })),
      fc.tuple(fc.constant(specOf('bind-address')), fc.oneof(fc.ipV4(), fc.ipV6())),
      fc.tuple(fc.constant(specOf('kube-api-qps')), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })),
      fc.tuple(fc.constant(specOf('node-monitor-period')), fc.integer({ min: 0, max: 1e10 })),
      fc.tuple(fc.constant(specOf('cluster-name')), word),
      fc.tuple(fc.constant(specOf('controllers')), fc.array(word, { maxLength: 5 })),
    );
    fc.assert(
      fc.property(arb, ([spec, value]) => {
        const parsed = parseFlags([`--${spec.name}=${formatFlagValue(spec, value)}`]).values.get(spec.name);
        assert.deepEqual(parsed, Object.is(value, -0) ? 0 : value);
      }),
    );
  });

  it('lists every flag in --help under its upstream section', () => {
    const help = formatHelp('cloud-controller-manager');
    for (const spec of FLAGS) assert.match(help, new RegExp(`--${spec.name}\\b`));
    assert.match(help, /Secure serving flags:/);
    assert.match(help, /--secure-port int +Port for authenticated and authorized HTTPS; 0 turns HTTPS serving off\. \(default 10258\)/);
  });
});

describe('formatHelp layout', () => {
  it('names the command it was invoked as and keeps at least two spaces between every flag and its usage', () => {
    const help = formatHelp('outrigger run');
    assert.match(help, /^outrigger run is Outrigger's cloud-controller-manager/);
    assert.match(help, /\n {2}outrigger run \[flags\]\n/);
    const flagLines = help.split('\n').filter((l) => /^\s+(-\w, )?--/.test(l));
    assert.equal(flagLines.length, FLAGS.length);
    for (const line of flagLines) assert.match(line, /^\s+(-\w, )?--[\w-]+( \w+)? {2,}\S/, line);
    const columns = new Set(flagLines.map((l) => /^(\s+(-\w, )?--[\w-]+( \w+)? +)\S/.exec(l)?.[1]?.length));
    assert.equal(columns.size, 1, 'one usage column');
  });
});
