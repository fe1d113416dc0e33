/**
 * Issue #17 §2: whatever a scenario asks that the API refuses, or that cannot be a request at
 * all, ends in exit 2 with one line: `file:line:column path:` and the API's answer (or what is
 * wrong), never a stack trace.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simulateText } from './helpers/simulate-text.js';
import { runScenario, SimulationSetupError } from '../src/simulation/runner/index.js';
import { loadScenario } from '../src/simulation/scenario/index.js';

const simulate = simulateText;

/** Lines 1-7; the steps under test start on line 8. */
const BASE = `name: bad input
provider: { name: fake, config: { capabilities: [instancesV2], instances: [{ nodeName: n1 }] } }
manager: { controllers: [cloud-node] }
objects:
  - { apiVersion: v1, kind: Node, metadata: { name: n1 } }
steps:
  - settle: { within: 1m }
`;

const cases: [string, string, string][] = [
  [
    'a manifest the API refuses in an apply step',
    '  - apply: [{ apiVersion: v1, kind: Service, metadata: { name: web, labels: { "bad key!": x } }, spec: { type: LoadBalancer, ports: [{ port: 80 }] } }]\n',
    's.yaml:8:13 steps[1].apply[0] (Service web): the API refused it: 422 Invalid: Service "web" is invalid: metadata.labels',
  ],
  ['a patch of a missing object', '  - patch: { kind: Node, name: ghost, type: merge, patch: { metadata: { labels: { a: b } } } }\n', 's.yaml:8:12 steps[1].patch: the API refused it: 404 NotFound: nodes "ghost" not found'],
  ['a delete of a missing object', '  - delete: { kind: Service, name: ghost }\n', 's.yaml:8:13 steps[1].delete: the API refused it: 404 NotFound: services "ghost" not found'],
  ['a patch the API refuses', '  - patch: { kind: Node, name: n1, type: merge, patch: { metadata: { labels: { "bad key!": x } } } }\n', 's.yaml:8:12 steps[1].patch: the API refused it: 422 Invalid: Node "n1" is invalid: metadata.labels'],
  ['a JSON patch whose test fails', '  - patch: { kind: Node, name: n1, type: json, patch: [{ op: test, path: /metadata/name, value: other }] }\n', 's.yaml:8:12 steps[1].patch: the API refused it: '],
  ['a merge patch that is a list', '  - patch: { kind: Node, name: n1, type: merge, patch: [{ op: add }] }\n', 's.yaml:8:56 steps[1].patch.patch: a merge patch is a mapping, got a list'],
  ['a JSON patch that is a mapping', '  - patch: { kind: Node, name: n1, type: json, patch: { metadata: {} } }\n', 's.yaml:8:55 steps[1].patch.patch: a json patch is a list of operations ({ op, path, value }), got a mapping'],
  ['a JSON patch operation without a value', '  - patch: { kind: Node, name: n1, type: json, patch: [{ op: add, path: /metadata/labels }] }\n', 's.yaml:8:56 steps[1].patch.patch[0].value: a add operation needs a value'],
  ['an unknown JSON patch operation', '  - patch: { kind: Node, name: n1, type: json, patch: [{ op: merge, path: /x }] }\n', 's.yaml:8:62 steps[1].patch.patch[0].op: expected one of "add", "remove", "replace", "move", "copy", "test", got "merge"'],
  ['a JSON pointer without a slash', '  - patch: { kind: Node, name: n1, type: json, patch: [{ op: remove, path: metadata }] }\n', 's.yaml:8:76 steps[1].patch.patch[0].path: a JSON pointer ("" or starting with "/") is needed, got "metadata"'],
  ['a cloud step the fake cannot apply', '  - cloud: { removeInstance: ghost }\n', 's.yaml:8:12 steps[1].cloud.removeInstance: '],
  ['an advance of more than a day', '  - advance: 25h\n', 's.yaml:8:14 steps[1].advance: "25h" is not a duration (at most 24h of virtual time per step)'],
  ['an alias bomb', `  - expect: &a [{ event: { reason: x, minCount: 0 } }]\nx: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\ny: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nz: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\nw: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n`, 's.yaml YAML aliases expand to too many nodes'],
  ['nesting deep enough to overflow the parser', `  - expect: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, 's.yaml'],
];

describe('a scenario the API refuses, or that is no request at all', () => {
  for (const [what, step, message] of cases) {
    it(`${what}: exit 2, one line at its place, no stack`, async () => {
      const run = await simulate(`${BASE}${step}`);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      const line = run.stderr.replace(/^outrigger simulate: /, '');
      assert.ok(line.startsWith(message), `${line}\ndoes not start with\n${message}`);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
      assert.equal(run.stdout, '');
    });
  }
});

describe("a step's own request under an injected fault", () => {
  // Before: the request waited on virtual time that only the runner moves, which was waiting for
  // the request; the event loop ran dry and the process ended with exit 13 mid-run.
  const faulted = (fault: string): string => `${BASE}  - fault: { api: { verb: create, resource: nodes, ${fault} } }
  - apply: [{ apiVersion: v1, kind: Node, metadata: { name: n2 } }]
  - expect: [{ kind: Node, name: n2 }]
`;
  it('waits out an injected latency in virtual time, while the controllers run on', async () => {
    const run = await simulate(faulted('latency: 90s'));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /virtual time\s+1\.5m/);
  });

  it('an injected error is the API refusing the step: exit 2 at its line', async () => {
    const run = await simulate(faulted('status: 409, latency: 1s'));
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(run.stderr, 'outrigger simulate: s.yaml:9:13 steps[2].apply[0] (Node n2): the API refused it: 409 Conflict: injected by the simulator\n');
  });
});

describe('virtual work is bounded', () => {
  it('a scenario whose periods are tiny and durations long is refused at the step that ran out, with the run stopped', async () => {
    // 1 ms node monitor passes for 10 s are 10,000 instants; the bound here is 1,000 (1,000,000 by
    // default: a day of 1 ms periods would otherwise run for hours).
    const text = `name: busy
provider: { name: fake, config: { capabilities: [instancesV2], instances: [{ nodeName: n1 }] } }
manager: { controllers: [cloud-node-lifecycle], node-monitor-period: 1ms }
objects: [{ apiVersion: v1, kind: Node, metadata: { name: n1 } }]
steps:
  - advance: 10s
`;
    await assert.rejects(runScenario(loadScenario(text, 's.yaml'), { maxTimerInstants: 1_000 }), (err: unknown) => {
      assert.ok(err instanceof SimulationSetupError);
      assert.equal(err.message, 's.yaml:6:14 steps[0].advance: the run needs more than 1,000 instants of virtual work (timers firing at distinct times); shorten the advance or settle steps, or lengthen the manager\'s periods');
      return true;
    });
  });
});
