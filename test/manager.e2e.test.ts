import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { ApiFixture, CcmProcess } from './helpers/ccm-process.js';
import { freePort, httpsGet, startApi, startCcm, waitForObject } from './helpers/ccm-process.js';

const UNINITIALIZED = 'node.cloudprovider.kubernetes.io/uninitialized';
// Short leases so a takeover happens within a few seconds (validated ordering: 3s > 2s > 1.2 × 500ms).
const FAST_LEASE = ['--leader-elect-lease-duration=3s', '--leader-elect-renew-deadline=2s', '--leader-elect-retry-period=500ms'];
const FAKE_CONFIG = JSON.stringify({
  capabilities: ['instancesV2', 'loadBalancer'],
  instances: [{ nodeName: 'n1', providerID: 'fake://n1', instanceType: 'small', zone: 'z1', region: 'r1', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] }],
});

function taintedNode(name: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: { taints: [{ key: UNINITIALIZED, value: 'true', effect: 'NoSchedule' }] },
    status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  };
}

const lbService: Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }], selector: { app: 'web' } },
};

describe('outrigger run as a process against the simulated API over HTTP', () => {
  let fx: ApiFixture;
  let cloudConfig: string;
  const procs: CcmProcess[] = [];
  const start = (args: string[]): CcmProcess => {
    const p = startCcm(args);
    procs.push(p);
    return p;
  };

  before(async () => {
    fx = await startApi();
    cloudConfig = await fx.file('cloud.json', FAKE_CONFIG);
  });
  after(async () => {
    for (const p of procs) p.kill();
    await Promise.all(procs.map((p) => p.exited));
    await fx.close();
  });

  it('rejects bad input with exit 2 and one line naming the flag or file', async () => {
    const badMigration = await fx.file('migration.yaml', 'apiVersion: controllermanager.config.k8s.io/v1\nkind: LeaderMigrationConfiguration\nleaderName: x\ncontrollerLeaders:\n  - name: route\n    bogus: 1\n');
    const routesConfig = await fx.file('routes.json', JSON.stringify({ capabilities: ['routes'] }));
    const cases: [string, string[], RegExp][] = [
      ['unknown flag', ['--cloud-provider=fake', '--bogus=1'], /^Error: unknown flag: --bogus$/m],
      ['missing --cloud-provider', [], /^Error: --cloud-provider cannot be empty$/m],
      ['bad duration', ['--cloud-provider=fake', '--node-monitor-period=5x'], /"--node-monitor-period" flag: unknown unit "x"/],
      ['unknown controller', ['--cloud-provider=fake', '--controllers=*,-nope'], /"nope" is not in the list of known controllers/],
      ['unreadable --cloud-config', ['--cloud-provider=fake', `--cloud-config=${fx.dir}/missing.json`], /cannot read cloud provider configuration ".*missing\.json"/],
      ['route controller without --cluster-cidr', ['--cloud-provider=fake', `--cloud-config=${routesConfig}`, `--kubeconfig=${fx.kubeconfig}`, '--secure-port=0', '--leader-elect=false'], /--cluster-cidr is required/],
      ['bad migration config', ['--cloud-provider=fake', `--kubeconfig=${fx.kubeconfig}`, '--enable-leader-migration', `--leader-migration-config=${badMigration}`], /migration\.yaml/],
    ];
    await Promise.all(
      cases.map(async ([name, args, message]) => {
        const p = start(args);
        const code = await p.exited;
        assert.equal(code, 2, `${name}: ${p.stderr()}`);
        assert.match(p.stderr(), message, name);
        assert.doesNotMatch(p.stderr(), /\n\s+at /, `${name}: no stack trace by default`);
      }),
    );
  });

  it('initialises a tainted Node, gives a LoadBalancer Service an ingress, serves health and metrics, and exits 0 on SIGTERM', async () => {
    const kube = fx.api.client();
    await kube.nodes.create(taintedNode('n1'));
    await kube.services.create(lbService);
    const port = await freePort();
    const p = start([
      '--cloud-provider=fake',
      `--cloud-config=${cloudConfig}`,
      `--kubeconfig=${fx.kubeconfig}`,
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      '--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics,/configz',
      '--controllers=*,-route',
      ...FAST_LEASE,
    ]);
    const node = await waitForObject(kube.nodes, (n) => n.metadata?.name === 'n1' && !(n.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED), 'node n1 initialised');
    assert.equal(node.spec?.providerID, 'fake://n1');
    assert.equal(node.metadata?.labels?.['node.kubernetes.io/instance-type'], 'small');
    const svc = await waitForObject(kube.services, (s) => (s.status?.loadBalancer?.ingress ?? []).length > 0, 'service ingress');
    assert.ok(svc.status?.loadBalancer?.ingress?.[0]?.ip !== undefined);

    await p.waitForLog('Caches are synced');
    const healthz = await httpsGet(port, '/healthz?verbose');
    assert.equal(healthz.status, 200, healthz.body);
    assert.match(healthz.body, /\[\+\]leaderElection ok/);
    assert.match(healthz.body, /\[\+\]service-lb-controller ok/);
    const readyz = await httpsGet(port, '/readyz');
    assert.equal(readyz.status, 200, readyz.body);
    const livez = await httpsGet(port, '/livez');
    assert.equal(livez.status, 200, livez.body);
    const metrics = await httpsGet(port, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /running_managed_controllers\{name="service-lb-controller",manager="cloud-controller-manager"\} 1/);
    assert.match(metrics.body, /leader_election_master_status\{name="cloud-controller-manager"\} 1/);
    assert.match(metrics.body, /workqueue_adds_total/);
    const configz = await httpsGet(port, '/configz');
    assert.equal(configz.status, 200, configz.body);
    const published = (JSON.parse(configz.body) as Record<string, { kind: string; Generic: { Controllers: string[] }; KubeCloudShared: { CloudProvider: { Name: string } } }>)['cloudcontrollermanager.config.k8s.io'];
    assert.equal(published?.kind, 'CloudControllerManagerConfiguration');
    assert.deepEqual(published.Generic.Controllers, ['*', '-node-route-controller'], 'aliases rewritten to canonical names, as upstream');
    assert.equal(published.KubeCloudShared.CloudProvider.Name, 'fake');

    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.stderr());
    assert.match(p.stderr(), /Shutting down/);
  });

  it('with no controller enabled and no leader election, names each disabled controller and stays up until SIGTERM (it used to exit 13 with no message)', async () => {
    const p = start(['--cloud-provider=fake', `--kubeconfig=${fx.kubeconfig}`, '--controllers=', '--leader-elect=false', '--secure-port=0', '--configure-cloud-routes=false']);
    await p.waitForLog('Caches are synced');
    assert.match(p.stderr(), /"\\"service-lb-controller\\" is disabled"/);
    // Still running after its start-up: the exit code is read only after our SIGTERM.
    await p.waitForLog('"cloud-node-lifecycle-controller\\" is disabled');
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.stderr());
    assert.match(p.stderr(), /Shutting down/);
  });

  it('runs exactly one leader of two processes and hands over when the leader is killed', async () => {
    const kube = fx.api.client();
    const ns = 'kube-system';
    const lease = 'ha-ccm';
    const common = ['--cloud-provider=fake', `--cloud-config=${cloudConfig}`, `--kubeconfig=${fx.kubeconfig}`, `--leader-elect-resource-name=${lease}`, ...FAST_LEASE];
    const portA = await freePort();
    const a = start([...common, `--secure-port=${portA}`, '--bind-address=127.0.0.1']);
    const portB = await freePort();
    const b = start([...common, `--secure-port=${portB}`, '--bind-address=127.0.0.1']);
    const held = await waitForObject(kube.leases, (l) => l.metadata?.name === lease && l.metadata.namespace === ns && (l.spec?.holderIdentity ?? '') !== '', 'a lease holder');
    const first = held.spec?.holderIdentity ?? '';
    // The leader logs its controllers starting; the follower observes the leader but starts none.
    const leaderIsA = await Promise.race([a.waitForLog('Started controller').then(() => true), b.waitForLog('Started controller').then(() => false)]);
    const [leader, follower] = leaderIsA ? [a, b] : [b, a];
    await follower.waitForLog('New leader elected');
    assert.doesNotMatch(follower.stderr(), /Started controller/);

    // /metrics is not in the always-allow list here: an anonymous request is refused.
    await leader.waitForLog('Serving securely');
    const unauth = await httpsGet(leaderIsA ? portA : portB, '/metrics');
    assert.ok(unauth.status === 401 || unauth.status === 403, `status ${unauth.status}: ${unauth.body}\n${leader.stderr().slice(-3000)}`);

    leader.child.kill('SIGKILL');
    const taken = await waitForObject(kube.leases, (l) => l.metadata?.name === lease && (l.spec?.holderIdentity ?? '') !== '' && l.spec?.holderIdentity !== first, 'a new lease holder', 20_000);
    assert.notEqual(taken.spec?.holderIdentity, first);
    await follower.waitForLog('Started controller');
    assert.ok((taken.spec?.leaseTransitions ?? 0) >= 1);
    follower.child.kill('SIGTERM');
    assert.equal(await follower.exited, 0, follower.stderr());
  });

  it('hands migrated controllers over with their migration lease when the leader of both locks is killed', async () => {
    const kube = fx.api.client();
    const mainLease = 'mig-ccm';
    const migrationLease = 'cloud-provider-extraction-migration';
    // The built-in migration config: route, service and lifecycle controllers migrate; the cloud node controller does not.
    const common = ['--cloud-provider=fake', `--cloud-config=${cloudConfig}`, `--kubeconfig=${fx.kubeconfig}`, `--leader-elect-resource-name=${mainLease}`, '--enable-leader-migration', '--secure-port=0', ...FAST_LEASE];
    const a = start(common);
    const b = start(common);
    const leaderIsA = await Promise.race([
      a.waitForLog('controller="service-lb-controller"').then(() => true),
      b.waitForLog('controller="service-lb-controller"').then(() => false),
    ]);
    const [leader, follower] = leaderIsA ? [a, b] : [b, a];
    const held = await waitForObject(kube.leases, (l) => l.metadata?.name === migrationLease && (l.spec?.holderIdentity ?? '') !== '', 'the migration lease held');
    const main = await kube.leases.get({ namespace: 'kube-system', name: mainLease });
    // One process holds both locks; the non-migrated controller ran before the migration lease was taken.
    assert.equal(held.spec?.holderIdentity, main.spec?.holderIdentity);
    assert.ok(leader.stderr().indexOf('controller="cloud-node-controller"') < leader.stderr().indexOf(`lease="kube-system/${migrationLease}"`), leader.stderr());
    assert.doesNotMatch(follower.stderr(), /Started controller/);

    leader.child.kill('SIGKILL');
    const taken = await waitForObject(kube.leases, (l) => l.metadata?.name === migrationLease && (l.spec?.holderIdentity ?? '') !== '' && l.spec?.holderIdentity !== held.spec?.holderIdentity, 'the migration lease taken over', 20_000);
    assert.notEqual(taken.spec?.holderIdentity, held.spec?.holderIdentity);
    await follower.waitForLog('"Started controller" controller="service-lb-controller"');
    follower.child.kill('SIGTERM');
    assert.equal(await follower.exited, 0, follower.stderr());
  });
});

describe('outrigger run with --cloud-provider=local, as a process against the simulated API over HTTP', () => {
  // Addresses used only here: LB pool 127.0.97.0/28, the node 127.0.96.1.
  const NODE_IP = '127.0.96.1';
  let fx: ApiFixture;
  let backend: Server;
  let nodePort: number;
  before(async () => {
    fx = await startApi();
    // The node's "kube-proxy": its NodePort answers every connection with the node's name.
    backend = createServer((s) => {
      s.on('error', () => undefined);
      s.end('n1');
    });
    nodePort = await new Promise<number>((resolve) => backend.listen(0, NODE_IP, () => resolve((backend.address() as AddressInfo).port)));
  });
  after(async () => {
    backend.close();
    await fx.close();
  });

  it('initialises the Node as local://n1, serves traffic on the allocated address, and shows it on /metrics', async () => {
    const kube = fx.api.client();
    await kube.nodes.create({ ...taintedNode('n1'), status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: NODE_IP }] } });
    await kube.services.create({ ...lbService, spec: { ...lbService.spec, ports: [{ name: 'http', port: 8080, protocol: 'TCP', nodePort }] } });
    const cloudConfig = await fx.file('local.yaml', 'pools:\n- name: e2e\n  ranges: [127.0.97.0/28]\n  avoidBuggyIPs: true\nhealthCheck:\n  enabled: false\n');
    const port = await freePort();
    const p = startCcm([
      '--cloud-provider=local',
      `--cloud-config=${cloudConfig}`,
      `--kubeconfig=${fx.kubeconfig}`,
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      '--authorization-always-allow-paths=/healthz,/metrics',
      '--controllers=*,-route',
      '--leader-elect=false',
    ]);
    try {
      const node = await waitForObject(kube.nodes, (n) => !(n.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED), 'node n1 initialised');
      assert.equal(node.spec?.providerID, 'local://n1');
      const svc = await waitForObject(kube.services, (s) => (s.status?.loadBalancer?.ingress ?? []).length > 0, 'service ingress');
      assert.deepEqual(svc.status?.loadBalancer?.ingress, [{ ip: '127.0.97.1', ipMode: 'Proxy', ports: [{ port: 8080, protocol: 'TCP' }] }]);
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        const c = connect({ host: '127.0.97.1', port: 8080 });
        c.setEncoding('utf8');
        c.on('data', (d: string) => (text += d));
        c.once('end', () => resolve(text));
        c.once('error', reject);
      });
      assert.equal(answer, 'n1');
      const metrics = await httpsGet(port, '/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /outrigger_local_pool_allocated_addresses\{pool="e2e"\} 1/);
      assert.match(metrics.body, /outrigger_local_pool_addresses\{pool="e2e"\} 14/);
      p.child.kill('SIGTERM');
      assert.equal(await p.exited, 0, p.stderr());
    } finally {
      p.kill();
      await p.exited;
    }
  });
});
