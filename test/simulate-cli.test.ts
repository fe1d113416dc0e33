/**
 * Black-box tests of `outrigger simulate`: the example scenarios through the CLI function (JSON
 * output), the demo, the generator mode, and bad input (exit 2 with file:line, no stack).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulateCommand } from '../src/cli/simulate.js';
import type { SimulationReport } from '../src/simulation/runner/index.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function simulate(argv: string[], files: Record<string, string> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runSimulateCommand(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    ...(Object.keys(files).length === 0
      ? {}
      : {
          readFile: (p: string) => {
            const text = files[p];
            return text === undefined ? Promise.reject(new Error('ENOENT')) : Promise.resolve(text);
          },
        }),
  });
  return { code, stdout, stderr };
}

const EXAMPLES = 'examples/scenarios';

/** One Node n1 as a kubelet registers it, then a settle: the body most scenarios here share. */
const TAINTED_N1_THEN_SETTLE = `objects:
  - apiVersion: v1
    kind: Node
    metadata: { name: n1 }
    spec: { taints: [{ key: node.cloudprovider.kubernetes.io/uninitialized, value: "true", effect: NoSchedule }] }
steps:
  - settle: { within: 1m }
`;
const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();

describe('outrigger simulate <example> --output json', () => {
  it('finds the example scenarios', () => {
    assert.ok(examples.length >= 3, `expected examples in ${EXAMPLES}, got ${examples.join(', ')}`);
  });
  for (const file of examples) {
    it(`${file} passes every expectation and reports traffic and state`, async () => {
      const run = await simulate([join(EXAMPLES, file), '--output', 'json']);
      const report = JSON.parse(run.stdout) as SimulationReport;
      assert.equal(run.code, 0, `${run.stderr}\n${JSON.stringify(report.expectations.filter((e) => !e.ok), null, 2)}`);
      assert.equal(report.passed, true);
      assert.ok(report.expectations.length > 0, 'an example should check something');
      assert.ok(report.expectations.every((e) => e.ok));
      assert.ok(report.apiRequests.some((c) => c.verb === 'list' && c.resource === 'nodes'), 'informers list nodes');
      assert.ok(report.cloudCalls.total > 0);
      assert.ok(report.objects !== undefined && report.events !== undefined && report.cloud !== undefined);
      assert.ok(report.virtualMs > 0);
    });
  }

  it('is deterministic given the seed: two runs report the same objects, events and calls', async () => {
    const file = join(EXAMPLES, examples.includes('flaky-cloud.yaml') ? 'flaky-cloud.yaml' : (examples[0] ?? ''));
    const strip = (r: SimulationReport): unknown => ({ ...r, wallMs: 0 });
    const a = JSON.parse((await simulate([file, '--output', 'json', '--seed', '3'])).stdout) as SimulationReport;
    const b = JSON.parse((await simulate([file, '--output', 'json', '--seed', '3'])).stdout) as SimulationReport;
    assert.equal(a.seed, 3);
    assert.deepEqual(strip(a), strip(b));
  });
});

describe('outrigger simulate: failing and bad scenarios', () => {
  const base = `name: t
provider: { name: fake, config: { capabilities: [instancesV2, loadBalancer], instances: [{ nodeName: n1 }] } }
${TAINTED_N1_THEN_SETTLE}`;
  it('exits 1 and names the failed expectation when a match fails', async () => {
    const run = await simulate(['s.yaml'], { 's.yaml': `${base}  - expect: [{ kind: Node, name: n1, match: { spec: { providerID: "fake://other" } } }]\n` });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /FAIL/);
    assert.match(run.stdout, /steps\[1\]\.expect\[0\] Node n1/);
    assert.match(run.stdout, /providerID/);
  });

  it('exits 0 on the same scenario with a true expectation', async () => {
    const run = await simulate(['s.yaml'], { 's.yaml': `${base}  - expect: [{ kind: Node, name: n1, match: { spec: { providerID: "fake://n1", taints: [] } } }]\n` });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS/);
  });

  const bad: [string, string, RegExp][] = [
    ['a bad duration', `${base}  - advance: "30"\n`, /s\.yaml:\d+:\d+.*steps\[1\]\.advance/],
    ['a typo\'d key', base.replace('steps:', 'stepz:'), /s\.yaml:\d+/],
    ['an unknown manager flag', base.replace('steps:', 'manager: { node-monitor-perod: 5s }\nsteps:'), /node-monitor-perod/],
    ['an unknown cloud operation', `${base}  - cloud: { explode: true }\n`, /steps\[1\]\.cloud\.explode/],
    [
      'an object the API refuses',
      base.replace('objects:\n', 'objects:\n  - { apiVersion: v1, kind: Node, metadata: { name: bad, labels: { "bad key!": x } } }\n'),
      /^outrigger simulate: s\.yaml:4:5 objects\[0\] \(Node bad\): the API refused it: 422 Invalid: Node "bad" is invalid: metadata\.labels/,
    ],
    ['a step the API refuses', `${base}  - delete: { kind: Node, name: ghost }\n`, /^outrigger simulate: s\.yaml:10:13 steps\[1\]\.delete: the API refused it: 404 NotFound: nodes "ghost" not found$/m],
  ];
  for (const [what, text, message] of bad) {
    it(`exits 2 with a one-line message and no stack on ${what}`, async () => {
      const run = await simulate(['s.yaml'], { 's.yaml': text });
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, message);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    });
  }

  it('exits 2 naming the flag when the manager refuses the scenario\'s flags', async () => {
    const run = await simulate(['s.yaml'], { 's.yaml': base.replace('capabilities: [instancesV2, loadBalancer], ', '') });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^outrigger simulate: the manager did not start: route controller: --cluster-cidr is empty/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  });

  it('exits 2 on a bad command line', async () => {
    const run = await simulate(['--output', 'yaml', '--demo']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--output: expected text or json/);
  });
});

describe('outrigger simulate --demo and generators', () => {
  it('the demo initialises nodes, ensures LoadBalancers and deletes the vanished node', async () => {
    const run = await simulate(['--demo']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /nodes initialised\s+2\/2/);
    assert.match(run.stdout, /load balancers ensured\s+2\/2/);
    assert.match(run.stdout, /PASS/);
  });

  it('--nodes/--services converges a generated cluster and reports per-figure JSON', async () => {
    const run = await simulate(['--nodes', '40', '--services', '10', '--output', 'json']);
    assert.equal(run.code, 0, run.stderr);
    const r = JSON.parse(run.stdout) as SimulationReport;
    assert.deepEqual(r.nodes, { total: 40, initialised: 40 });
    assert.deepEqual(r.loadBalancers, { services: 10, ensured: 10 });
    assert.equal(r.cloudCalls.byMethod['ensureLoadBalancer'], 10);
    assert.equal(r.cloudCalls.byMethod['createRoute'], 40);
    assert.equal(r.objects, undefined, 'generated runs omit the object dump');
    // And the fake cloud's state: 10k load balancers × 10k backend names do not fit in one JSON text.
    assert.equal(r.cloud, undefined, 'generated runs omit the cloud state');
    assert.equal(r.cloudCallLog, undefined);
  });

  it('plain progress lines go to a non-terminal stdout in generator mode', async () => {
    const run = await simulate(['--nodes', '5', '--services', '1']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^t=\d+s {2}nodes initialised \d+\/5 {2}LBs ensured \d+\/1$/m);
    assert.doesNotMatch(run.stdout, /\r/);
  });

  it('the outrigger binary exits 2 on a bad scenario file (process level)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', 'does-not-exist.yaml'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot read "does-not-exist\.yaml"/);
  });
});

describe('outrigger simulate --provider-module', () => {
  const scenario = (extra = ''): string => `name: custom provider
provider: { name: acme-sim }
${extra}${TAINTED_N1_THEN_SETTLE}  - expect: [{ kind: Node, name: n1, match: { spec: { providerID: "acme-sim://n1", taints: [] } } }]
`;
  const moduleSource = `export const provider = {
  name: 'acme-sim',
  factory: () => ({
    name: 'acme-sim',
    instancesV2: () => ({
      instanceExists: async () => true,
      instanceShutdown: async () => false,
      instanceMetadata: async (node) => ({ providerID: 'acme-sim://' + node.metadata.name, instanceType: 'small', zone: 'z1', region: 'r1' }),
    }),
  }),
};
`;
  const withModule = async (fn: (path: string) => Promise<void>): Promise<void> => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-sim-module-'));
    try {
      const path = join(dir, 'acme-sim.js');
      await writeFile(path, moduleSource);
      await fn(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('loads the module before the run, and the scenario runs the provider it registers', async () => {
    await withModule(async (path) => {
      const run = await simulate(['s.yaml', '--provider-module', path, '--output', 'json'], { 's.yaml': scenario() });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const report = JSON.parse(run.stdout) as SimulationReport & { cloudCalls?: { total?: number } };
      assert.equal(report.passed, true);
    });
  });

  it('refuses a provider-module named only inside the scenario (a scenario runs no code of its own)', async () => {
    await withModule(async (path) => {
      const run = await simulate(['s.yaml'], { 's.yaml': scenario(`manager: { provider-module: ${JSON.stringify(path)} }\n`) });
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, /^outrigger simulate: s\.yaml:3:29 manager\.provider-module: the scenario asks to load ".*acme-sim\.js"; a scenario runs no code of its own — load it yourself with --provider-module/);
      const allowed = await simulate(['s.yaml', '--provider-module', path], { 's.yaml': scenario(`manager: { provider-module: ${JSON.stringify(path)} }\n`) });
      assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
    });
  });

  it('a module that cannot be loaded is exit 2 with one line', async () => {
    const run = await simulate(['s.yaml', '--provider-module', './no-such-module.js'], { 's.yaml': scenario() });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^outrigger simulate: --provider-module: cannot load cloud provider module "\.\/no-such-module\.js": module not found/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  });
});
