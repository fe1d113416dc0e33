/**
 * Issue #17 §2 "the simulator never lies", the manager's end and its replicas: a manager that
 * stops on its own fails the run unless a `manager` expectation asks for that stop; several
 * replicas share the simulated API and cloud, steps kill, pause and resume them, and the report
 * says who led when and what each wrote after it lost the Lease.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simulateText } from './helpers/simulate-text.js';
import { runScenario } from '../src/simulation/runner/index.js';
import type { SimulationReport } from '../src/simulation/runner/index.js';
import { loadScenario } from '../src/simulation/scenario/index.js';

const simulate = simulateText;

async function report(text: string): Promise<SimulationReport> {
  return runScenario(loadScenario(text, 's.yaml'));
}

const TAINT = '{ key: node.cloudprovider.kubernetes.io/uninitialized, value: "true", effect: NoSchedule }';
const node = (name: string): string => `{ apiVersion: v1, kind: Node, metadata: { name: ${name} }, spec: { taints: [${TAINT}] } }`;

/** One replica whose Lease renewals the API refuses from the first step on. */
const LEASE_LOST = (expect: string): string => `name: lease lost
provider: { name: fake, config: { capabilities: [instancesV2], instances: [{ nodeName: n1 }] } }
manager: { controllers: [cloud-node] }
objects: [${node('n1')}]
steps:
  - settle: { within: 1m }
  - fault: { api: { verb: update, resource: leases, status: 503 } }
  - advance: 30s
${expect}`;

describe('a manager that stops on its own', () => {
  it('fails the run (exit 1) and the summary says why, when no expectation asks for the stop', async () => {
    const run = await simulate(LEASE_LOST('  - expect: [{ kind: Node, name: n1, match: { spec: { providerID: fake://n1 } } }]\n'));
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /result\s+FAIL/);
    assert.match(run.stdout, /✗ the manager stopped on its own with exit code 1: leaderelection lost: kube-system\/cloud-controller-manager \(failed to renew lease within the renew deadline\) \(no manager expectation asked for it\)/);
    const json = JSON.parse((await simulate(LEASE_LOST('  - expect: [{ kind: Node, name: n1 }]\n'), '--output', 'json')).stdout) as SimulationReport;
    assert.equal(json.managerExit, 1);
    assert.match(json.managerStopped ?? '', /^leaderelection lost/);
    assert.equal(json.replicas[0]?.stopped?.expected, false);
  });

  it('passes (exit 0) when a manager expectation asks for exactly that stop', async () => {
    const run = await simulate(LEASE_LOST('  - expect: [{ manager: { stopped: lease-lost, exitCode: 1, messageContains: renew deadline } }]\n'));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /✓ the manager stopped as expected with exit code 1: leaderelection lost/);
    const r = await report(LEASE_LOST('  - expect: [{ manager: { stopped: lease-lost } }]\n'));
    assert.equal(r.passed, true);
    assert.equal(r.managerExit, undefined);
    assert.deepEqual(
      r.replicas.map((p) => [p.identity, p.state, p.stopped?.kind, p.stopped?.exitCode, p.stopped?.expected]),
      [['outrigger-simulator', 'stopped', 'lease-lost', 1, true]],
    );
  });

  const wrong: [string, string, RegExp][] = [
    ['another reason', '{ manager: { stopped: failed } }', /expected it stopped \(failed\), it stopped: leaderelection lost/],
    ['another exit code', '{ manager: { stopped: lease-lost, exitCode: 2 } }', /expected exit code 2, got 1/],
    ['other words', '{ manager: { stopped: lease-lost, messageContains: initialize } }', /expected the reason to contain "initialize"/],
    ['a running manager', '{ manager: { running: true } }', /expected it running, it is stopped \(leaderelection lost/],
  ];
  for (const [what, expectation, mismatch] of wrong) {
    it(`fails when the expectation names ${what} (and the stop stays unexpected)`, async () => {
      const r = await report(LEASE_LOST(`  - expect: [${expectation}]\n`));
      assert.equal(r.passed, false);
      assert.match(r.expectations[0]?.mismatches.join('\n') ?? '', mismatch);
      assert.equal(r.managerExit, 1, 'a stop no passing expectation asked for');
    });
  }

  it('an expectation of a stop fails while the manager still runs', async () => {
    const r = await report(`name: t
provider: { name: fake, config: { capabilities: [instancesV2], instances: [{ nodeName: n1 }] } }
objects: [${node('n1')}]
steps:
  - settle: { within: 1m }
  - expect: [{ manager: { stopped: lease-lost } }, { manager: { running: true, leading: true } }]
`);
    assert.deepEqual(r.expectations.map((e) => e.ok), [false, true]);
    assert.match(r.expectations[0]?.mismatches[0] ?? '', /expected it stopped \(lease-lost\), it is running/);
  });

  it('a provider whose initialize fails: the steps still run and may expect the stop (before: exit 2, "did not start")', async () => {
    const text = `name: initialize fails
provider: { name: fake, config: { capabilities: [instancesV2], failures: [{ method: initialize, message: no credentials }] } }
steps:
  - expect: [{ manager: { stopped: failed, exitCode: 1, messageContains: no credentials } }]
`;
    const run = await simulate(text);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const unexpected = await simulate(text.replace(/ {2}- expect.*\n/, '  - advance: 1s\n'));
    assert.equal(unexpected.code, 1);
    assert.match(unexpected.stdout, /✗ the manager stopped on its own with exit code 1: initialize failed: .*no credentials/);
  });
});

describe('replicas: failover, kill, pause and resume', () => {
  it('the failover example: the leader is killed, the standby takes the Lease and keeps reconciling', async () => {
    const run = await simulate(await readExample('leader-failover.yaml'), '--output', 'json');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const r = JSON.parse(run.stdout) as SimulationReport;
    const [first, second] = r.replicas;
    assert.equal(first?.identity, 'outrigger-simulator-0');
    assert.equal(first?.state, 'killed');
    assert.equal(second?.identity, 'outrigger-simulator-1');
    assert.equal(second?.state, 'running');
    // Replica 0 led from the start until replica 1 took over, at least a lease duration after the kill.
    assert.equal(first?.led.length, 1);
    assert.equal(first?.led[0]?.from, 0);
    const takeover = first?.led[0]?.to ?? 0;
    assert.ok(takeover >= (first?.killedAt ?? 0) + 15_000, `took over at ${takeover}, killed at ${first?.killedAt ?? 0}`);
    assert.deepEqual(second?.led, [{ from: takeover }]);
    // The work after the kill was done by replica 1: its calls carry its index.
    const after = (r.cloudCallLog ?? []).filter((c) => c.at > (first?.killedAt ?? 0));
    assert.ok(after.some((c) => c.method === 'ensureLoadBalancer'));
    assert.ok(after.every((c) => c.replica === 1), JSON.stringify(after));
    assert.equal(first?.deposedWrites, 0);
    assert.equal(second?.deposedWrites, 0);
  });

  it('the pause example: the deposed leader sends nothing after the new leader took the Lease, then stops as expected', async () => {
    const run = await simulate(await readExample('paused-leader.yaml'), '--output', 'json');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const r = JSON.parse(run.stdout) as SimulationReport;
    const [first, second] = r.replicas;
    assert.equal(first?.state, 'stopped');
    assert.deepEqual([first?.stopped?.kind, first?.stopped?.exitCode, first?.stopped?.expected], ['lease-lost', 1, true]);
    assert.equal(first?.deposedWrites, 0);
    // It did try: the held cloud answer reached it on resume and its write was fenced off, so no
    // Node write of replica 0 followed replica 1's takeover; replica 1 initialised n2 itself.
    const takeover = second?.led[0]?.from ?? Infinity;
    const n2 = (r.cloudCallLog ?? []).filter((c) => c.target === 'n2' && c.method === 'instanceMetadata');
    assert.deepEqual(n2.map((c) => c.replica), [0, 1]);
    assert.ok((n2[1]?.at ?? 0) >= takeover);
    assert.equal(r.objects?.nodes.find((n) => n.metadata?.name === 'n2')?.spec?.providerID, 'fake://n2');
  });

  it('without the expectation, the resumed leader\'s own stop fails the run and is named', async () => {
    const text = (await readExample('paused-leader.yaml')).replace(/ {6}- manager: \{ replica: 0, stopped: lease-lost.*\n/, '');
    const run = await simulate(text, '--output', 'json');
    assert.equal(run.code, 1, run.stderr);
    const r = JSON.parse(run.stdout) as SimulationReport;
    assert.equal(r.managerExit, 1);
    assert.match(r.managerStopped ?? '', /^replica 0 \(outrigger-simulator-0\): leaderelection lost/);
  });

  it('counts writes accepted while the Lease names another holder: a stolen Lease makes deposedWrites fail', async () => {
    // The Lease is rewritten to name someone else while replica 0 leads; until its renew deadline
    // passes, replica 0 still holds it by its clock and writes — as any leader would whose Lease
    // was taken behind its back. The counter must see those writes.
    const text = `name: stolen lease
replicas: 2
provider: { name: fake, config: { capabilities: [instancesV2], instances: [{ nodeName: n1 }, { nodeName: n2 }] } }
manager: { controllers: [cloud-node] }
objects: [${node('n1')}]
steps:
  - settle: { within: 1m }
  - apply:
      - { apiVersion: coordination.k8s.io/v1, kind: Lease, metadata: { name: cloud-controller-manager, namespace: kube-system }, spec: { holderIdentity: intruder, leaseDurationSeconds: 15, renewTime: "2026-01-01T00:00:00.000000Z", acquireTime: "2026-01-01T00:00:00.000000Z" } }
  - apply: [${node('n2')}]
  - advance: 1s
  - expect: [{ manager: { replica: 0, deposedWrites: 0 } }]
`;
    const r = await report(text);
    assert.equal(r.passed, false);
    assert.ok((r.replicas[0]?.deposedWrites ?? 0) > 0, JSON.stringify(r.replicas));
    assert.match(r.expectations[0]?.mismatches[0] ?? '', /expected 0 write\(s\) accepted while the Lease named another holder, got [1-9]/);
    assert.equal(r.replicas[1]?.deposedWrites, 0);
  });

  it('killing the only replica: nothing reconciles any more, and the run does not count it as a stop of its own', async () => {
    const r = await report(`name: t
provider: { name: fake, config: { capabilities: [instancesV2], instances: [{ nodeName: n1 }, { nodeName: n2 }] } }
objects: [${node('n1')}]
steps:
  - settle: { within: 1m }
  - replica: { kill: 0 }
  - apply: [${node('n2')}]
  - settle: { within: 1m }
  - advance: 1m
  - expect:
      - manager: { running: false, leading: false }
      - { kind: Node, name: n2, match: { spec: { taints: [{ key: node.cloudprovider.kubernetes.io/uninitialized }] } } }
`);
    assert.equal(r.passed, true, JSON.stringify(r.expectations));
    assert.equal(r.replicas[0]?.state, 'killed');
    assert.equal(r.replicas[0]?.stopped, undefined);
  });

  it('a replica index beyond replicas is refused at load with its line', async () => {
    const run = await simulate(`name: t
replicas: 2
provider: { name: fake }
steps:
  - replica: { kill: 2 }
`);
    assert.equal(run.code, 2);
    assert.equal(run.stderr, 's.yaml:5:22 steps[0].replica.kill: no replica 2: the scenario runs 2 (replicas: 2, indices from 0)\n');
  });

  const misuse: [string, string, RegExp][] = [
    ['resuming a running replica', '  - replica: { resume: 0 }\n', /^outrigger simulate: s\.yaml:7:24 steps\[1\]\.replica\.resume: cannot resume replica 0: it is running$/m],
    ['pausing a paused replica', '  - replica: { pause: 1 }\n  - replica: { pause: 1 }\n', /^outrigger simulate: s\.yaml:8:23 steps\[2\]\.replica\.pause: cannot pause replica 1: it is paused since 0s$/m],
    ['killing a killed replica', '  - replica: { kill: 0 }\n  - replica: { kill: 0 }\n', /^outrigger simulate: s\.yaml:8:22 steps\[2\]\.replica\.kill: cannot kill replica 0: it is killed at 0s already$/m],
  ];
  for (const [what, steps, message] of misuse) {
    it(`${what} is a bad scenario: exit 2, one line at the step`, async () => {
      const run = await simulate(`name: t
replicas: 2
provider: { name: fake, config: { capabilities: [instancesV2] } }
manager: { controllers: [cloud-node] }
steps:
  - settle: { within: 1m }
${steps}`);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.split('\n').length, 2);
    });
  }
});

async function readExample(file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(`examples/scenarios/${file}`, 'utf8');
}
