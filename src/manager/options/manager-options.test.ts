import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError } from './flag-error.js';
import { optionsFromFlags, parseManagerOptions, validateOptions } from './manager-options.js';
import { parseFlags } from './parse-flags.js';

const base = ['--cloud-provider=fake'];

describe('validateOptions', () => {
  it('accepts the defaults plus --cloud-provider', () => {
    assert.deepEqual(validateOptions(optionsFromFlags(parseFlags(base))), []);
  });

  const cases: [string, string[], string, RegExp][] = [
    ['missing --cloud-provider', [], '--cloud-provider', /--cloud-provider cannot be empty/],
    ['zero node workers', [...base, '--concurrent-node-syncs=0'], '--concurrent-node-syncs', /must be greater than 0, got 0/],
    ['negative status workers', [...base, '--concurrent-node-status-updates=-1'], '--concurrent-node-status-updates', /must not be negative/],
    ['zero service workers', [...base, '--concurrent-service-syncs=0'], '--concurrent-service-syncs', /greater than 0/],
    ['lease not longer than renew deadline', [...base, '--leader-elect-lease-duration=10s'], '--leader-elect-lease-duration', /greater than --leader-elect-renew-deadline/],
    ['renew deadline too close to retry period', [...base, '--leader-elect-retry-period=9s'], '--leader-elect-renew-deadline', /1\.2 × --leader-elect-retry-period/],
    ['lock other than leases', [...base, '--leader-elect-resource-lock=endpoints'], '--leader-elect-resource-lock', /only "leases"/],
    ['port out of range', [...base, '--secure-port=70000'], '--secure-port', /between 0 and 65535/],
    ['webhook port equal to the secure port', [...base, '--secure-port=10300', '--webhook-secure-port=10300'], '--webhook-secure-port', /^--webhook-secure-port cannot be the same value as --secure-port$/],
    ['cert without key', [...base, '--tls-cert-file=/c.pem'], '--tls-private-key-file', /must be given together/],
    ['migration config without migration', [...base, '--leader-migration-config=/m.yaml'], '--leader-migration-config', /--enable-leader-migration is false/],
    // Before: the process started and failed at every Lease write (0 s) or could not store it.
    ['a lease shorter than the Lease can store', [...base, '--leader-elect-lease-duration=900ms', '--leader-elect-renew-deadline=500ms', '--leader-elect-retry-period=100ms'], '--leader-elect-lease-duration', /between 1s and 2147483647s .*got 900ms$/],
    ['a lease longer than the Lease can store', [...base, '--leader-elect-lease-duration=600000h'], '--leader-elect-lease-duration', /between 1s and 2147483647s/],
    // The elector would refuse it at start (after serving began): a flag error up front instead.
    ['a lease whose stored whole seconds do not exceed the renew deadline', [...base, '--leader-elect-lease-duration=10500ms', '--leader-elect-renew-deadline=10s'], '--leader-elect-lease-duration', /stored in the Lease as 10s, which must be greater than --leader-elect-renew-deadline 10s/],
    // Bounded, validated input (issue #17): each refused at parse time, with the flag and the bound.
    // Before: 100000000 workers ran out of memory after 17 s.
    ['a hundred million service workers', [...base, '--concurrent-service-syncs=100000000'], '--concurrent-service-syncs', /^invalid argument "100000000" for "--concurrent-service-syncs" flag: value out of range: at most 10000$/],
    ['too many node workers', [...base, '--concurrent-node-syncs=10001'], '--concurrent-node-syncs', /at most 10000/],
    ['too many status workers', [...base, '--concurrent-node-status-updates=10001'], '--concurrent-node-status-updates', /at most 10000/],
    ['a verbosity beyond klog\'s int32', [...base, '-v=2147483648'], '--v', /at most 2147483647/],
    // Before: a DNS lookup at bind time, exit 1, no flag named.
    ['a --bind-address that is not an IP', [...base, '--bind-address=not-an-ip'], '--bind-address', /^invalid argument "not-an-ip" for "--bind-address" flag: failed to parse IP: "not-an-ip"$/],
    ['a host name as --webhook-bind-address', [...base, '--webhook-bind-address=localhost'], '--webhook-bind-address', /failed to parse IP: "localhost"/],
    ['an empty --bind-address', [...base, '--bind-address='], '--bind-address', /failed to parse IP: ""/],
    ['an IPv6 zone', [...base, '--bind-address=fe80::1%eth0'], '--bind-address', /failed to parse IP/],
    // Go's time.Duration is int64 nanoseconds: pflag refuses more than about 292 years.
    ['a duration over int64 nanoseconds', [...base, '--node-monitor-period=2562048h'], '--node-monitor-period', /out of range: a Go duration is at most 2562047h47m16\.854775807s/],
  ];
  for (const [name, argv, flag, message] of cases) {
    it(`rejects ${name} naming ${flag}`, () => {
      assert.throws(() => parseManagerOptions(argv), (err: unknown) => err instanceof FlagError && err.flag === flag && message.test(err.message));
    });
  }

  it('accepts the bounds themselves', () => {
    const o = parseManagerOptions([...base, '--concurrent-service-syncs=10000', '--bind-address=::1', '--webhook-bind-address=127.0.0.1', '--min-resync-period=2562047h47m16s', '--leader-elect-lease-duration=1s', '--leader-elect-renew-deadline=800ms', '--leader-elect-retry-period=100ms']);
    assert.equal(o.concurrentServiceSyncs, 10000);
    assert.equal(o.bindAddress, '::1');
  });

  it('ignores leader-election timings when --leader-elect=false', () => {
    assert.doesNotThrow(() => parseManagerOptions([...base, '--leader-elect=false', '--leader-elect-lease-duration=1s']));
  });

  it('skips validation for --help and --version', () => {
    assert.equal(parseManagerOptions(['--version']).version, true);
  });

  it('parses feature gates and rejects unknown ones', () => {
    const o = parseManagerOptions([...base, '--feature-gates=CloudControllerManagerWebhook=true']);
    assert.equal(o.featureGates.get('CloudControllerManagerWebhook'), true);
    assert.throws(() => parseManagerOptions([...base, '--feature-gates=Nope=true']), /unrecognized feature gate: Nope/);
  });

  it('rejects an unknown --logging-format', () => {
    assert.throws(() => parseManagerOptions([...base, '--logging-format=xml']), (err: unknown) => err instanceof FlagError && err.flag === '--logging-format');
  });
});
