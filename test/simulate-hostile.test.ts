/**
 * Issue #17 §2, hostile scenarios: whatever text a scenario file holds, `outrigger simulate`
 * ends in a report (exit 0 or 1) or in exit 2 with one line per problem (`file:line:column
 * path: what` or `outrigger simulate: …`) — never a stack trace, never a rejected promise, never
 * a run without end. Scenarios are generated from the format's own vocabulary (steps, manager
 * flags, objects, patches, cloud operations, replica steps, expectations), valid and not, then
 * mangled at the character level; steps and virtual time are bounded by construction (at most 6
 * steps of at most a few minutes each, manager periods of a second or more, the loader's 24h per
 * step). A fixed seed keeps the run repeatable; seeds 1-22 × 1,000 runs each passed when written.
 * What it found: a step's own request under an injected latency fault deadlocked the runner
 * (exit 13), a negative `setLatency` was a RangeError stack, zod's wording leaked into messages,
 * and a Lease release that retries an injected 409 without a delay spun for ever (now detected
 * as a livelock, see replica.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { simulateText } from './helpers/simulate-text.js';

/** Mostly `good`, now and then `bad`: most scenarios get far enough to run. */
function mostly<T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>): fc.Arbitrary<T | U> {
  return fc.oneof({ weight: 40, arbitrary: good }, { weight: 1, arbitrary: bad });
}

const name = mostly(fc.constantFrom('n1', 'n2', 'web'), fc.constantFrom('ghost', '', 'a'.repeat(70), 'UPPER', 'bad key!'));
const kind = mostly(fc.constantFrom('Node', 'Service', 'Lease', 'Event'), fc.constantFrom('Pod', 42));
const duration = mostly(fc.constantFrom('0s', '1s', '10s', '30s', '2m'), fc.constantFrom(0, 30, '-1s', '25h', '1.5s', 'soon', null));
const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -3, max: 70_000 }), fc.boolean(), fc.constant(null));
const loose = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'spec', 'status', 'metadata', '$patch'), scalar, { maxKeys: 3 }));
/** A mapping now and then of odd content, for patches, matches and status. */
const body = mostly(fc.dictionary(fc.constantFrom('metadata', 'spec', 'status'), fc.dictionary(fc.constantFrom('labels', 'providerID', 'conditions', 'a'), scalar, { maxKeys: 2 }), { maxKeys: 2 }), loose);

const API_VERSIONS: Readonly<Record<string, string>> = { Node: 'v1', Service: 'v1', Event: 'v1', Lease: 'coordination.k8s.io/v1' };
const manifest = kind.chain((k) =>
  fc.record(
    {
      apiVersion: mostly(fc.constant(typeof k === 'string' ? (API_VERSIONS[k] ?? 'v1') : 'v1'), fc.constantFrom('v1', 'coordination.k8s.io/v1', 'apps/v1')),
      kind: fc.constant(k),
      metadata: fc.record(
        {
          name,
          ...(k === 'Node' ? {} : { namespace: mostly(fc.constantFrom('default', 'kube-system'), fc.constant('')) }),
          labels: fc.dictionary(mostly(fc.constantFrom('a', 'x/y'), fc.constant('bad key!')), mostly(fc.constantFrom('b', ''), fc.constant('-x-'))),
        },
        { requiredKeys: ['name'] },
      ),
      spec: mostly<unknown, unknown>(
        k === 'Service'
          ? fc.record({ type: mostly(fc.constantFrom('LoadBalancer', 'ClusterIP'), fc.constant('Bogus')), ports: fc.array(fc.record({ port: mostly(fc.constantFrom(80, 443), fc.integer({ min: -1, max: 70_000 })), protocol: mostly(fc.constantFrom('TCP', 'UDP'), fc.constantFrom('SCTP', 'X')) }, { requiredKeys: ['port'] }), { minLength: 1, maxLength: 2 }) })
          : k === 'Lease'
            ? fc.record({ holderIdentity: fc.constantFrom('outrigger-simulator', 'outrigger-simulator-1', 'intruder', ''), leaseDurationSeconds: mostly(fc.constantFrom(15, 60), fc.integer({ min: -1, max: 100 })) }, { requiredKeys: [] })
            : fc.record({ providerID: fc.constantFrom('fake://n1', 'other://x'), taints: fc.array(fc.record({ key: fc.constantFrom('node.cloudprovider.kubernetes.io/uninitialized', 'k'), effect: mostly(fc.constant('NoSchedule'), fc.constant('Bad')) }), { maxLength: 2 }) }, { requiredKeys: [] }),
        loose,
      ),
      status: body,
    },
    { requiredKeys: ['apiVersion', 'kind', 'metadata'] },
  ),
);

const jsonOp = mostly(
  fc.record({ op: fc.constantFrom('add', 'replace', 'test'), path: fc.constantFrom('/metadata/labels', '/metadata/labels/a', '/status', '/spec/taints/0', ''), value: loose }),
  fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'test', 'move', 'copy', 'merge'), path: fc.constantFrom('/metadata/labels', '/x', 'nope'), value: loose, from: fc.constantFrom('/metadata', '/x') }, { requiredKeys: ['op'] }),
);

const expectation = fc.oneof(
  fc.record({ kind, name, match: body, absent: fc.boolean(), listMode: fc.constantFrom('equal', 'contains', 'both') }, { requiredKeys: ['kind', 'name'] }),
  fc.record({
    manager: mostly(
      fc.oneof(fc.record({ replica: fc.nat(2), running: fc.boolean(), leading: fc.boolean(), deposedWrites: fc.nat(2) }, { requiredKeys: [] }), fc.record({ replica: fc.nat(2), stopped: fc.constantFrom('lease-lost', 'failed'), exitCode: fc.nat(2), messageContains: fc.string({ maxLength: 5 }) }, { requiredKeys: ['stopped'] })),
      fc.record({ replica: fc.integer({ min: -1, max: 4 }), running: fc.boolean(), stopped: fc.constantFrom('lease-lost', 'crashed'), exitCode: fc.integer({ min: -1, max: 300 }) }, { requiredKeys: [] }),
    ),
  }),
  fc.record({ cloud: loose, listMode: fc.constantFrom('contains', 'equal') }, { requiredKeys: ['cloud'] }),
  fc.record({ event: fc.record({ reason: fc.constantFrom('DeletingNode', 'LeaderElection', ''), minCount: fc.integer({ min: -1, max: 3 }), maxCount: fc.integer({ min: -1, max: 3 }) }, { requiredKeys: ['reason'] }) }),
);

const cloudOp = fc.oneof(
  fc.record({ setInstance: fc.oneof(fc.record({ nodeName: name, zone: fc.constantFrom('z', 3) }, { requiredKeys: [] }), loose) }),
  fc.record({ removeInstance: fc.oneof(name, fc.array(name, { maxLength: 2 })) }),
  fc.record({ failNext: fc.record({ method: fc.constantFrom('*', 'instanceMetadata', 'ensureLoadBalancer', 'initialize', 'nope'), times: fc.integer({ min: -1, max: 3 }), retryAfterMs: fc.integer({ min: -1, max: 5_000 }) }, { requiredKeys: [] }) }),
  fc.record({ failRate: fc.record({ method: fc.constantFrom('*', 'instanceExists'), rate: fc.double({ min: -1, max: 2, noNaN: true }) }) }),
  fc.record({ setLatency: fc.record({ method: fc.constantFrom('*', 'instanceMetadata', 'setInformers'), ms: fc.oneof(fc.integer({ min: -5, max: 60_000 }), fc.constant('1s')) }) }),
  fc.record({ clearFailures: fc.oneof(fc.boolean(), fc.constant('*')) }),
  fc.record({ explode: loose }),
);

const step = fc.oneof(
  fc.record({ apply: fc.array(manifest, { maxLength: 2 }) }),
  fc.record({
    patch: mostly(fc.constantFrom('merge', 'strategic', 'json'), fc.constant('apply')).chain((type) =>
      fc.record({ kind, name, type: fc.constant(type), patch: type === 'json' ? mostly(fc.array(jsonOp, { maxLength: 2 }), body) : mostly(body, fc.array(jsonOp, { maxLength: 1 })) }),
    ),
  }),
  fc.record({ delete: fc.record({ kind, name }) }),
  fc.record({ cloud: cloudOp }),
  fc.record({ fault: fc.record({ api: fc.record({ verb: mostly(fc.constantFrom('get', 'update', 'patch', 'watch', 'list'), fc.constant('bogus')), resource: fc.constantFrom('nodes', 'leases', 'services/status', 'events'), times: mostly(fc.integer({ min: 1, max: 3 }), fc.constant(0)), status: mostly(fc.constantFrom(409, 500, 503), fc.constant(42)), latency: duration }, { requiredKeys: [] }), dropWatches: fc.boolean(), compactHistory: fc.boolean() }, { requiredKeys: [] }) }),
  fc.record({ advance: duration }),
  fc.record({ settle: fc.oneof(fc.constant(null), fc.record({ within: duration }, { requiredKeys: [] })) }),
  fc.record({ replica: mostly(fc.oneof(fc.record({ kill: fc.nat(2) }), fc.record({ pause: fc.nat(2) }), fc.record({ resume: fc.nat(2) })), fc.record({ kill: fc.integer({ min: -1, max: 3 }), pause: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] })) }),
  fc.record({ expect: fc.array(expectation, { maxLength: 3 }) }),
  fc.record({ settle: fc.constant({ within: '2m' }) }),
);
const steps = mostly(fc.array(step, { maxLength: 6 }), fc.array(loose, { maxLength: 2 }));

/** Manager flags: safe ones with values of their kind (now and then not), and ones a scenario may not set. Periods stay ≥ 1s. */
const FLAG_VALUES: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  controllers: fc.uniqueArray(fc.constantFrom('*', 'cloud-node', '-service', 'cloud-node-lifecycle'), { minLength: 1, maxLength: 2 }),
  'node-monitor-period': fc.constantFrom('1s', '5s'),
  'leader-elect': fc.boolean(),
  'leader-elect-lease-duration': fc.constantFrom('15s', '30s'),
  'concurrent-service-syncs': fc.integer({ min: 1, max: 3 }),
  'cluster-cidr': fc.constant('10.0.0.0/8'),
  'allocate-node-cidrs': fc.boolean(),
  'feature-gates': fc.constantFrom('CloudControllerManagerWebhook=true', 'ControllerManagerReleaseLeaderElectionLockOnExit=false'),
  v: fc.integer({ min: 0, max: 2 }),
};
const managerFlags = mostly(
  fc.uniqueArray(fc.constantFrom(...Object.keys(FLAG_VALUES)), { maxLength: 3 }).chain((names) =>
    // No routes unless the scenario names a cluster CIDR (the route controller refuses to start).
    fc.tuple(...names.map((n) => FLAG_VALUES[n] ?? fc.constant(''))).map((values) => ({ 'configure-cloud-routes': false, ...Object.fromEntries(names.map((n, i) => [n, values[i]])) })),
  ),
  fc.dictionary(
    fc.constantFrom('leader-elect', 'controllers', 'secure-port', 'cert-dir', 'provider-module', 'kubeconfig', 'cloud-provider', 'no-such-flag'),
    fc.oneof(fc.constantFrom('*', '1s', 'x', '-route'), fc.integer({ min: -1, max: 20_000 }), fc.array(fc.constantFrom('*', 'bogus'), { maxLength: 2 })),
    { maxKeys: 2 },
  ),
);

const scenario = fc.record(
  {
    name: mostly(fc.constant('hostile'), scalar),
    seed: mostly(fc.integer({ min: 0, max: 5 }), fc.constantFrom(-1, 1.5)),
    replicas: mostly(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, 6)),
    provider: fc.record({
      name: mostly(fc.constant('fake'), fc.constantFrom('local', 'acme', '')),
      config: mostly(
        fc.record({ capabilities: fc.uniqueArray(mostly(fc.constantFrom('instancesV2', 'loadBalancer', 'zones'), fc.constantFrom('routes', 'nope')), { maxLength: 3 }), instances: fc.uniqueArray(fc.record({ nodeName: name }), { maxLength: 2, selector: (i) => i.nodeName }), failures: mostly(fc.constant([]), fc.array(fc.record({ method: fc.constantFrom('initialize', 'instanceMetadata') }), { maxLength: 1 })) }, { requiredKeys: ['capabilities'] }),
        loose,
      ),
    }, { requiredKeys: ['name'] }),
    manager: managerFlags,
    objects: fc.array(manifest, { maxLength: 3 }),
    steps,
  },
  { requiredKeys: ['name', 'provider'] },
);

/** Character-level damage: cut, repeat, or splice a YAML token in. */
const damage = mostly(fc.constant([]), fc.array(
  fc.record({ at: fc.nat(), what: fc.constantFrom('cut', 'repeat-line', 'insert'), token: fc.constantFrom(':', '- ', '[', '{', '}', ']', '&a ', '*a', '!!binary ', '\t', '"', "'", '\n', '? ', '---\n', '<<: *a', '%YAML 1.1\n', '0x', '1e999', '~') }),
  { maxLength: 3 },
));

function mangle(text: string, edits: readonly { at: number; what: string; token: string }[]): string {
  let out = text;
  for (const e of edits) {
    const i = out.length === 0 ? 0 : e.at % out.length;
    if (e.what === 'cut') out = out.slice(0, i) + out.slice(i + 1 + (e.at % 7));
    else if (e.what === 'insert') out = out.slice(0, i) + e.token + out.slice(i);
    else {
      const lines = out.split('\n');
      const j = lines.length === 0 ? 0 : e.at % lines.length;
      lines.splice(j, 0, lines[j] ?? '');
      out = lines.join('\n');
    }
  }
  return out;
}

/** A valid head, then aliases that expand `width`^`depth` times, or brackets nested `depth` deep. */
const bomb = fc.record({ width: fc.integer({ min: 2, max: 12 }), depth: fc.integer({ min: 1, max: 9 }), nest: fc.boolean() }).map(({ width, depth, nest }) => {
  const head = 'name: bomb\nprovider: { name: fake }\nsteps: []\n';
  if (nest) return `${head}x: ${'['.repeat(depth * 2_000)}${']'.repeat(depth * 2_000)}\n`;
  const lines = ['a0: &a0 [x]'];
  for (let d = 1; d <= depth; d++) lines.push(`a${d}: &a${d} [${Array.from({ length: width }, () => `*a${d - 1}`).join(', ')}]`);
  return `${head}${lines.join('\n')}\n`;
});

const scenarioText = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(scenario, damage).map(([s, edits]) => mangle(stringify(s), edits)) },
  { weight: 1, arbitrary: bomb },
  { weight: 1, arbitrary: scenario.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

describe('hostile scenario text', () => {
  it('ends in a report (exit 0 or 1) or one line per problem with exit 2; never a stack or a throw', { timeout: 600_000 }, async () => {
    const outcomes = { report: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(scenarioText, async (text) => {
        const { code, stdout, stderr } = await simulateText(text);
        assert.doesNotMatch(stderr + stdout, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
        if (code === 0 || code === 1) {
          outcomes.report++;
          assert.match(stdout, /^ {2}result {18}(PASS|FAIL)$/m);
          assert.equal(stdout.includes('PASS'), code === 0);
          assert.equal(stderr, '');
          return;
        }
        outcomes.refused++;
        assert.equal(code, 2, `exit ${code}`);
        assert.equal(stdout, '');
        const lines = stderr.replace(/\n$/, '').split('\n');
        for (const line of lines) assert.match(line, /^(s\.yaml[ :]|outrigger simulate: )/, `a problem per line: ${JSON.stringify(line)}`);
      }),
      { numRuns: 300, seed: 17, endOnFailure: true },
    );
    // The generator reaches both ends: some scenarios run, some are refused.
    assert.ok(outcomes.report > 0 && outcomes.refused > 0, JSON.stringify(outcomes));
  });
});
