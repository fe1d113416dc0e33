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
  ];
  for (const [name, argv, flag, message] of cases) {
    it(`rejects ${name} naming ${flag}`, () => {
      assert.throws(() => parseManagerOptions(argv), (err: unknown) => err instanceof FlagError && err.flag === flag && message.test(err.message));
    });
  }

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
