/**
 * Issue #17 §2: a scenario someone else wrote runs no code, reads and writes no files and opens
 * no ports unless the command line allows it. Each manager flag that would is refused with one
 * line naming the field (at its line) and the alternative; the command line's own --cloud-config
 * and --leader-migration-config work; the local provider needs --allow-local-provider, and paths
 * in its config resolve inside a folder the run owns and removes.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulateCommand } from '../src/cli/simulate.js';
import { simulateText } from './helpers/simulate-text.js';
import { runScenario } from '../src/simulation/runner/index.js';
import { REFUSED_SCENARIO_FLAGS } from '../src/simulation/runner/index.js';
import { loadScenario } from '../src/simulation/scenario/index.js';

const simulate = simulateText;

async function withFolder(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-sim-untrusted-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const TAINT = '{ key: node.cloudprovider.kubernetes.io/uninitialized, value: "true", effect: NoSchedule }';
const NODE_N1 = `{ apiVersion: v1, kind: Node, metadata: { name: n1 }, spec: { taints: [${TAINT}] } }`;
const scenario = (manager: string, provider = '{ name: fake, config: { capabilities: [instancesV2], instances: [{ nodeName: n1 }] } }'): string => `name: untrusted
provider: ${provider}
manager:
  controllers: [cloud-node]
${manager}objects: [${NODE_N1}]
steps:
  - settle: { within: 1m }
  - expect: [{ kind: Node, name: n1, match: { spec: { providerID: fake://n1 } } }]
`;

/** A value the flag's parser accepts, so a refusal is the policy's, not the parser's. */
function sampleValue(flag: string): string {
  if (flag.endsWith('port')) return '10258';
  if (flag.endsWith('address')) return '127.0.0.1';
  if (flag === 'master') return 'https://192.0.2.1:6443';
  if (flag === 'cloud-provider') return 'fake';
  return '/tmp/outrigger-untrusted-probe';
}

describe('a scenario may not set a flag that loads code or touches files, ports or an API server', () => {
  for (const [flag, refused] of REFUSED_SCENARIO_FLAGS) {
    it(`manager.${flag} is refused: exit 2, one line at its line naming the alternative`, async () => {
      const run = await simulate(scenario(`  ${flag}: ${JSON.stringify(sampleValue(flag))}\n`));
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.equal(run.stderr.split('\n').length, 2, run.stderr);
      const line = flag === 'provider-module' ? /the scenario asks to load .*--provider-module/ : new RegExp(`a scenario may not set this flag \\(it ${refused.does}\\); `);
      assert.match(run.stderr, new RegExp(`^outrigger simulate: s\\.yaml:5:${5 + flag.length} manager\\.${flag}: `));
      assert.match(run.stderr, line);
      assert.equal(run.stdout, '');
    });
  }

  it('before: manager.cert-dir made the manager create the folder; now nothing is created', async () => {
    await withFolder(async (dir) => {
      const target = join(dir, 'made-by-a-scenario');
      const run = await simulate(scenario(`  cert-dir: ${JSON.stringify(target)}\n  secure-port: 0\n`));
      assert.equal(run.code, 2);
      assert.equal(existsSync(target), false);
    });
  });

  it('the same provider config as a file on the command line (--cloud-config) runs', async () => {
    await withFolder(async (dir) => {
      const file = join(dir, 'fake.yaml');
      await writeFile(file, JSON.stringify({ capabilities: ['instancesV2'], instances: [{ nodeName: 'n1' }] }));
      const run = await simulate(scenario('', '{ name: fake }'), '--cloud-config', file);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const twice = await simulate(scenario(''), '--cloud-config', file);
      assert.equal(twice.code, 2);
      assert.match(twice.stderr, /^outrigger simulate: s\.yaml:2:\d+ provider\.config: the provider's config is given twice \(here and with --cloud-config\); keep one$/m);
    });
  });

  it('--leader-migration-config names the file on the command line, and the manager reads it', async () => {
    await withFolder(async (dir) => {
      const file = join(dir, 'lm.yaml');
      await writeFile(file, 'kind: LeaderMigrationConfiguration\napiVersion: controllermanager.config.k8s.io/v1\nleaderName: cloud-provider-extraction-migration\ncontrollerLeaders:\n  - { name: cloud-node-controller, component: "*" }\n');
      const run = await simulate(scenario('  enable-leader-migration: true\n'), '--leader-migration-config', file, '--output', 'json');
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const leases = (JSON.parse(run.stdout) as { objects: { leases: { metadata: { name: string } }[] } }).objects.leases.map((l) => l.metadata.name);
      assert.ok(leases.includes('cloud-provider-extraction-migration'), leases.join(', '));
      const missing = await simulate(scenario('  enable-leader-migration: true\n'), '--leader-migration-config', join(dir, 'absent.yaml'));
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /absent\.yaml/);
    });
  });

  it('--cloud-config and friends go with a scenario file only', async () => {
    const run = await simulate('', '--demo');
    assert.equal(run.code, 2);
    let stderr = '';
    const code = await runSimulateCommand(['--demo', '--cloud-config', 'x.yaml', '--allow-local-provider'], { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) } });
    assert.equal(code, 2);
    assert.match(stderr, /--cloud-config, --allow-local-provider go with a scenario file/);
  });
});

describe('the local provider in a scenario file', () => {
  // No LoadBalancer Service: nothing binds. Pool on this file's own loopback range.
  const local = (stateFile: string): string => `name: local
provider: { name: local, config: { pools: [{ name: p, ranges: [127.0.97.0/29] }], stateFile: ${JSON.stringify(stateFile)}, healthCheck: { enabled: false } } }
manager: { controllers: [cloud-node, service], configure-cloud-routes: false }
objects: [{ apiVersion: v1, kind: Node, metadata: { name: n1 }, spec: { taints: [${TAINT}] }, status: { addresses: [{ type: InternalIP, address: 127.0.98.1 }] } }]
steps:
  - settle: { within: 1m }
  - expect: [{ kind: Node, name: n1, match: { spec: { providerID: local://n1 } } }]
`;

  it('runs only with --allow-local-provider', async () => {
    const refused = await simulate(local('state.json'));
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^outrigger simulate: s\.yaml:2:19 provider\.name: the local provider binds this host's addresses .* --allow-local-provider$/m);
    const allowed = await simulate(local('state.json'), '--allow-local-provider');
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
  });

  it('an absolute stateFile resolves inside the run\'s own folder, which is gone after the run', async () => {
    const outside = '/etc/outrigger-simulator-test/state.json';
    const loaded = loadScenario(local(outside).replace('  - expect:', '  - apply: [{ apiVersion: v1, kind: Service, metadata: { name: web, namespace: default }, spec: { type: LoadBalancer, ports: [{ port: 18080, targetPort: 8080, protocol: TCP }] } }]\n  - settle: { within: 1m }\n  - expect:'), 's.yaml');
    let folder: string | undefined;
    let during: string[] = [];
    const report = await runScenario(loaded, {
      whileRunning: async (live) => {
        folder = live.runFolder;
        if (folder === undefined) return;
        // The provider writes its state with real file I/O, which virtual time does not wait for:
        // yield to the event loop (no timer) until the file is there, or give up.
        const dir = join(folder, 'etc', 'outrigger-simulator-test');
        for (let i = 0; i < 10_000 && !during.includes('state.json'); i++) {
          await new Promise((resolve) => setImmediate(resolve));
          during = existsSync(dir) ? await readdir(dir) : [];
        }
      },
    });
    assert.equal(report.passed, true, JSON.stringify(report.expectations));
    assert.match(report.objects?.services[0]?.status?.loadBalancer?.ingress?.[0]?.ip ?? '', /^127\.0\.97\.\d$/);
    assert.ok(folder !== undefined && folder.startsWith(tmpdir()), String(folder));
    assert.ok(during.includes('state.json'), `the provider wrote its state inside the run's folder: ${during.join(', ')}`);
    assert.equal(existsSync(folder), false, 'removed after the run');
    assert.equal(existsSync(outside), false);
  });

  it('a stateFile that climbs out of the run\'s folder is refused at its line', async () => {
    const run = await simulate(local('../../../../tmp/escape.json'), '--allow-local-provider');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^outrigger simulate: s\.yaml:2:\d+ provider\.config\.stateFile: "\.\.\/\.\.\/\.\.\/\.\.\/tmp\/escape\.json" leaves the run's own folder/m);
  });

  it('and with replicas it is refused (one process owns those listeners)', async () => {
    const run = await simulate(local('s.json').replace('name: local\n', 'name: local\nreplicas: 2\n'), '--allow-local-provider');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^outrigger simulate: s\.yaml:2:11 replicas: the local provider's load balancers belong to one process/m);
  });
});
