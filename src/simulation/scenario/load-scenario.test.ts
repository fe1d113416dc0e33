import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadScenario } from './load-scenario.js';
import { ScenarioError } from './scenario-error.js';

/** A valid scenario; bad cases below append or swap lines. */
const HEADER = ['name: test', 'provider:', '  name: fake', 'steps:'];

function lines(...extra: string[]): string {
  return [...HEADER, ...extra].join('\n');
}

function errorOf(text: string): ScenarioError {
  try {
    loadScenario(text, 'x.yaml');
  } catch (err) {
    assert.ok(err instanceof ScenarioError, `expected a ScenarioError, got ${String(err)}`);
    return err;
  }
  assert.fail('the scenario loaded');
}

describe('loadScenario', () => {
  it('applies defaults and converts durations to milliseconds', () => {
    const scenario = loadScenario(
      lines(
        '  - advance: 1h30m',
        '  - settle: { within: 2m }',
        '  - settle:',
        '  - fault: { api: { verb: patch, resource: nodes, times: 2, status: 500, latency: 250ms } }',
        '  - expect:',
        '      - { kind: Node, name: n1, match: { spec: { providerID: "fake://n1" } } }',
        '      - { cloud: { loadBalancers: [] }, listMode: contains }',
        '      - event: { reason: Synced, type: Normal, object: { kind: Node, name: n1 } }',
      ),
      'x.yaml',
    );
    assert.equal(scenario.seed, 1);
    assert.deepEqual(scenario.manager, {});
    assert.deepEqual(scenario.objects, []);
    assert.deepEqual(scenario.steps, [
      { advance: 5_400_000 },
      { settle: { within: 120_000 } },
      { settle: { within: 600_000 } },
      { fault: { api: { verb: 'patch', resource: 'nodes', times: 2, status: 500, latency: 250 } } },
      {
        expect: [
          { kind: 'Node', name: 'n1', match: { spec: { providerID: 'fake://n1' } } },
          { cloud: { loadBalancers: [] }, listMode: 'contains' },
          { event: { reason: 'Synced', type: 'Normal', object: { kind: 'Node', name: 'n1' } } },
        ],
      },
    ]);
  });

  it('keeps manifests whole and manager flags as written', () => {
    const scenario = loadScenario(
      [
        'name: t',
        'seed: 7',
        'provider: { name: fake, config: { instances: [{ nodeName: n1 }] } }',
        'manager: { controllers: ["*", "-route"], node-monitor-period: 5s, concurrent-service-syncs: 2, allocate-node-cidrs: true }',
        'objects:',
        '  - apiVersion: v1',
        '    kind: Service',
        '    metadata: { name: web, namespace: default, annotations: { a: b } }',
        '    spec: { type: LoadBalancer, ports: [{ port: 80 }] }',
      ].join('\n'),
      'x.yaml',
    );
    assert.equal(scenario.seed, 7);
    assert.deepEqual(scenario.provider, { name: 'fake', config: { instances: [{ nodeName: 'n1' }] } });
    assert.deepEqual(scenario.manager, { controllers: ['*', '-route'], 'node-monitor-period': '5s', 'concurrent-service-syncs': 2, 'allocate-node-cidrs': true });
    assert.deepEqual(scenario.objects[0], {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', annotations: { a: 'b' } },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    });
  });

  // Each case: the file text and the exact first line of the error message.
  const bad: { name: string; text: string; message: string }[] = [
    { name: 'a bare number as a duration names the step', text: lines('  - advance: 30s', '  - advance: 30s', '  - settle: {}', '  - advance: "30"'), message: 'x.yaml:8:14 steps[3].advance: "30" is not a duration (give a unit: "30s", "30ms")' },
    { name: 'an unquoted number as a duration is refused too', text: lines('  - advance: 30'), message: 'x.yaml:5:14 steps[0].advance: "30" is not a duration (give a unit: "30s", "30ms")' },
    { name: 'a typo in a top-level key', text: 'name: t\nprovider: { name: fake }\nstep: []', message: 'x.yaml:3:1 step: unknown field' },
    { name: 'a typo in a step name', text: lines('  - advanse: 3s'), message: 'x.yaml:5:5 steps[0].advanse: unknown step "advanse" (expected one of apply, patch, delete, cloud, fault, advance, settle, replica, expect)' },
    { name: 'a typo inside a step', text: lines('  - settle: { withn: 3m }'), message: 'x.yaml:5:15 steps[0].settle.withn: unknown field' },
    { name: 'a typo in an expectation', text: lines('  - expect:', '      - kind: Node', '        name: n1', '        mtch: {}'), message: 'x.yaml:8:9 steps[0].expect[0].mtch: unknown field' },
    { name: 'two keys in one step', text: lines('  - advance: 1s', '    settle: {}'), message: 'x.yaml:5:5 steps[0]: a step has exactly one key, this one has advance, settle: split it into 2 steps' },
    { name: 'a wrong type', text: lines('  - apply: 3'), message: 'x.yaml:5:12 steps[0].apply: expected a list, got 3' },
    { name: 'a wrong scalar type', text: 'name: t\nseed: one\nprovider: { name: fake }', message: 'x.yaml:2:7 seed: expected a number, got "one"' },
    { name: 'a missing required field', text: 'name: t\nsteps: []', message: 'x.yaml:1:1 provider: required field is missing' },
    { name: 'an unknown kind in objects', text: 'name: t\nprovider: { name: fake }\nobjects:\n  - apiVersion: v1\n    kind: Pod\n    metadata: { name: p }', message: 'x.yaml:5:11 objects[0].kind: unknown kind "Pod" (the simulator knows Node v1, Service v1, Event v1, Lease coordination.k8s.io/v1)' },
    { name: 'an unknown kind in a patch', text: lines('  - patch: { kind: Pod, name: p, type: merge, patch: {} }'), message: 'x.yaml:5:20 steps[0].patch.kind: unknown kind "Pod" (the simulator knows Node v1, Service v1, Event v1, Lease coordination.k8s.io/v1)' },
    { name: 'a manifest at the wrong apiVersion', text: lines('  - apply:', '      - apiVersion: coordination.k8s.io/v1', '        kind: Node', '        metadata: { name: n1 }'), message: 'x.yaml:6:21 steps[0].apply[0].apiVersion: Node is served at apiVersion "v1", not "coordination.k8s.io/v1"' },
    { name: 'a manifest without a name', text: lines('  - apply:', '      - apiVersion: v1', '        kind: Node', '        metadata: { labels: { a: b } }'), message: 'x.yaml:8:9 steps[0].apply[0].metadata.name: required field is missing' },
    { name: 'a manifest without metadata', text: lines('  - apply:', '      - { apiVersion: v1, kind: Node }'), message: 'x.yaml:6:9 steps[0].apply[0].metadata: required field is missing' },
    { name: 'a namespaced Node', text: 'name: t\nprovider: { name: fake }\nobjects:\n  - { apiVersion: v1, kind: Node, metadata: { name: n1, namespace: default } }', message: 'x.yaml:4:68 objects[0].metadata.namespace: Nodes are cluster-scoped and have no namespace' },
    { name: 'a bad enum value', text: lines('  - patch: { kind: Node, name: n1, type: bogus, patch: {} }'), message: 'x.yaml:5:42 steps[0].patch.type: expected one of "merge", "strategic", "json", got "bogus"' },
    { name: 'a number out of range', text: lines('  - fault: { api: { times: 0 } }'), message: 'x.yaml:5:28 steps[0].fault.api.times: must be at least 1, got 0' },
    { name: 'inconsistent event counts', text: lines('  - expect: [ { event: { reason: X, minCount: 3, maxCount: 1 } } ]'), message: 'x.yaml:5:60 steps[0].expect[0].event.maxCount: must not be less than minCount (3)' },
    { name: 'absent and match together', text: lines('  - expect: [ { kind: Node, name: n1, absent: true, match: {} } ]'), message: 'x.yaml:5:47 steps[0].expect[0].absent: an absent object cannot also match fields; drop one of absent and match' },
    { name: 'a YAML syntax error', text: 'name: t\nprovider: { name: fake\n', message: 'x.yaml:3:1 YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }' },
    { name: 'a duplicate key', text: 'name: t\nname: u\nprovider: { name: fake }', message: 'x.yaml:2:1 YAML syntax error: Map keys must be unique' },
    { name: 'an empty file', text: '', message: 'x.yaml empty scenario: expected a mapping with name, provider and steps' },
    { name: 'a list at the top', text: '- a\n- b', message: 'x.yaml:1:1 expected a mapping (a scenario with name, provider and steps)' },
  ];
  for (const c of bad) {
    it(`reports ${c.name} with file:line:col and path`, () => {
      const err = errorOf(c.text);
      assert.equal(err.message.split('\n')[0], c.message);
    });
  }

  it('reports every problem, in file order, with structured issues', () => {
    const err = errorOf(lines('  - advance: "30"', '  - settle: { withn: 3m }', '  - apply: 3'));
    assert.deepEqual(
      err.issues.map((i) => [i.line, i.path]),
      [
        [5, 'steps[0].advance'],
        [6, 'steps[1].settle.withn'],
        [7, 'steps[2].apply'],
      ],
    );
    assert.equal(err.issues[0]?.file, 'x.yaml');
    assert.equal(err.issues[0]?.column, 14);
    assert.equal(err.message.split('\n').length, 3);
  });
});

describe('loadScenario wording (found by the hostile scenario test)', () => {
  const cases: { name: string; text: string; message: string }[] = [
    { name: 'a step that is no mapping', text: lines('  - 3'), message: 'x.yaml:5:5 steps[0]: expected a mapping, got 3 (a step is a mapping with one of apply, patch, delete, cloud, fault, advance, settle, replica, expect)' },
    { name: 'an empty string where text is needed', text: lines('  - expect: [{ event: { reason: "" } }]'), message: 'x.yaml:5:33 steps[0].expect[0].event.reason: must not be empty' },
  ];
  for (const c of cases) {
    it(`says what is wrong, not zod's words: ${c.name}`, () => {
      assert.equal(errorOf(c.text).message.split('\n')[0], c.message);
    });
  }
});
