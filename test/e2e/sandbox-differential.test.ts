// The sandbox's fidelity as a differential test: one kubectl 1.35 script, run step by step against
// `outrigger sandbox` (the simulated API server) and against the same sandbox parts — simulated
// kubelets and kube-proxies, the real manager with the local provider — on a REAL kube-apiserver
// v1.37.2 + etcd (startKubeTestCluster). Each step's output, with what legitimately differs
// between two runs masked (ages, addresses, ports, uids), must be the same: same exit codes, same
// table columns, same describe text, same events.
//
// A step where the simulated API still differs keeps its comparison as a `todo` test naming the
// difference: it runs and reports, and becomes a plain test once the outputs match.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { RealClock } from '../../src/kube/clock.js';
import { createKubeClient } from '../../src/kube/client-node/index.js';
import type { ClientNodeKubeClient } from '../../src/kube/client-node/index.js';
import { startSandbox, waitForObjects } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { httpGet } from '../../src/simulation/local-demo/index.js';
import { startKubeTestCluster } from '../../src/testing.js';
import type { KubeTestCluster } from '../../src/testing.js';
import { REPO_ROOT } from '../helpers/ccm-process.js';
import { kubectl } from '../helpers/kubectl.js';
import { probeTcp } from '../helpers/probe-tcp.js';
import { withoutApiserverRepairEvents } from '../helpers/apiserver-repair-events.js';

// Addresses of this file alone (grep 127.0.194 … 127.0.197 before reusing them).
const SIDES = {
  simulated: { nodeSubnet: '127.0.194', pool: '127.0.195.0/24' },
  real: { nodeSubnet: '127.0.196', pool: '127.0.197.0/24' },
} as const;
type Side = keyof typeof SIDES;
const EXAMPLE = join(REPO_ROOT, 'examples/sandbox/lb-service.yaml');
const clock = new RealClock();

interface Run {
  sandbox: Sandbox;
  kubeconfig: string;
  /** Values to mask in this side's output: the load balancer's address, node addresses, … */
  masks: [RegExp, string][];
}

/** One side's output of a step with what differs between any two runs masked. */
function normalise(run: Run, text: string): string {
  let out = withoutApiserverRepairEvents(text);
  for (const [pattern, replacement] of run.masks) out = out.replace(pattern, replacement);
  return (
    out
      // Ages and timestamps: "5s", "2m3s", "<invalid>", RFC 3339 times.
      .replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\b/g, '<time>')
      .replace(/(?<=\s)(\d+[smhd])+(?=\s|$)|<invalid>/gm, '<age>')
      .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uid>')
      .replace(/\b10\.\d+\.\d+\.\d+\b/g, '<cluster-ip>')
      .replace(/\b3\d{4}\b/g, '<node-port>')
      // Column widths follow the masked values' lengths: compare cells, not spacing.
      .split('\n')
      .map((l) => l.replace(/ {2,}/g, '  ').trimEnd())
      .join('\n')
  );
}

describe('one kubectl script, the sandbox vs a real kube-apiserver', { timeout: 600_000 }, () => {
  let cluster: KubeTestCluster | undefined;
  let admin: ClientNodeKubeClient | undefined;
  let dir = '';
  const runs: Partial<Record<Side, Run>> = {};
  const run = (side: Side): Run => {
    const r = runs[side];
    if (r === undefined) throw new Error(`the ${side} sandbox did not start`);
    return r;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-differential-'));
    cluster = await startKubeTestCluster();
    admin = await createKubeClient({ kubeconfig: cluster.adminKubeconfig, qps: -1, userAgent: 'outrigger-sandbox', env: {} });
    const starts: Record<Side, () => Promise<Sandbox>> = {
      simulated: () => startSandbox({ nodes: 2, ...SIDES.simulated, healthzPort: 0, kubeconfigOut: join(dir, 'simulated.kubeconfig') }),
      real: () => startSandbox({ nodes: 2, ...SIDES.real, healthzPort: 0, cluster: { url: cluster?.url ?? '', kubeconfig: cluster?.adminKubeconfig ?? '', kube: admin as ClientNodeKubeClient } }),
    };
    // One after the other, each recorded at once so that `after` closes what did start.
    for (const side of ['simulated', 'real'] as const) {
      const sandbox = await starts[side]();
      const masks: [RegExp, string][] = sandbox.nodes.map((n, i) => [new RegExp(n.address.replaceAll('.', '\\.'), 'g'), `<node-ip-${i}>`]);
      masks.push([new RegExp(SIDES[side].pool.replace(/\.0\/24$/, '').replaceAll('.', '\\.') + '\\.\\d+', 'g'), '<lb-ip>']);
      runs[side] = { sandbox, kubeconfig: sandbox.kubeconfigPath, masks };
    }
  });

  after(async () => {
    for (const r of Object.values(runs)) await r?.sandbox.close();
    admin?.close();
    await cluster?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `args` on both sides; resolves with each side's normalised "exit code + output". */
  async function both(args: readonly string[], pick: (out: string) => string = (o) => o, input?: (side: Side) => Promise<string>): Promise<Record<Side, string>> {
    const out = {} as Record<Side, string>;
    for (const side of ['simulated', 'real'] as const) {
      const ran = run(side);
      const r = await kubectl(ran.kubeconfig, args, { timeoutMs: 60_000, ...(input === undefined ? {} : { input: await input(side) }) });
      out[side] = `exit ${r.code}\n${normalise(ran, pick(r.stdout))}${r.stderr === '' ? '' : `\nstderr: ${normalise(ran, r.stderr)}`}`;
    }
    return out;
  }

  /** The header line and the lines mentioning `what` (a real cluster also has `service/kubernetes`). */
  const rowsOf = (what: RegExp) => (out: string): string => out.split('\n').filter((l, i) => i === 0 || what.test(l)).join('\n');

  const step = (name: string, args: readonly string[], pick?: (out: string) => string, todo?: string): void => {
    it(name, todo === undefined ? {} : { todo }, async () => {
      const out = await both(args, pick);
      assert.equal(out.simulated, out.real);
    });
  };

  it('both sides initialise their nodes', async () => {
    const initialised = (n: Node): boolean => n.spec?.providerID !== undefined && !(n.spec.taints ?? []).some((t) => t.key === 'node.cloudprovider.kubernetes.io/uninitialized');
    for (const side of ['simulated', 'real'] as const) {
      const done = await waitForObjects<Node>({ client: run(side).sandbox.kube.nodes, clock, random: Math.random, timeoutMs: 60_000, done: (ns) => ns.length === 2 && ns.every(initialised) });
      assert.ok(done !== undefined, `${side}: nodes not initialised within 60 s`);
    }
    // The real apiserver's TaintNodesByCondition admission adds node.kubernetes.io/not-ready at
    // registration, and kube-controller-manager's node lifecycle controller removes it once the
    // node is Ready. The test cluster runs no kube-controller-manager: the test does its part.
    for (const name of ['node-0', 'node-1']) {
      const node = await run('real').sandbox.kube.nodes.get({ name });
      assert.deepEqual(node.spec?.taints, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]);
      await run('real').sandbox.kube.nodes.patch({ name }, { type: 'json', body: [{ op: 'test', path: '/spec/taints', value: node.spec?.taints ?? [] }, { op: 'replace', path: '/spec/taints', value: [] }] });
    }
  });

  step('get nodes -o wide', ['get', 'nodes', '-o', 'wide']);
  step('get node node-0 -o yaml: the initialised Node', ['get', 'node', 'node-0', '-o', 'jsonpath={.spec}{"\\n"}{.status.addresses}{"\\n"}{.metadata.labels}']);
  step('apply -f examples/sandbox/lb-service.yaml', ['apply', '-f', EXAMPLE]);
  step("wait --for=jsonpath='{.status.loadBalancer.ingress}'", ['wait', '--for=jsonpath={.status.loadBalancer.ingress}', 'service/hello', '--timeout=60s']);

  it('both load balancers answer through their EXTERNAL-IP', async () => {
    for (const side of ['simulated', 'real'] as const) {
      const svcs = await waitForObjects<Service>({ client: run(side).sandbox.kube.services, namespace: 'default', clock, random: Math.random, timeoutMs: 60_000, done: (s) => s.some((x) => x.metadata?.name === 'hello' && (x.status?.loadBalancer?.ingress ?? []).length > 0) });
      const ip = svcs?.find((x) => x.metadata?.name === 'hello')?.status?.loadBalancer?.ingress?.[0]?.ip ?? '';
      assert.match(await httpGet(`http://${ip}:8080/`, 15_000), /^hello from node-[01] via default\/hello\n$/, side);
    }
  });

  step('get svc', ['get', 'svc'], rowsOf(/^hello\s/));
  step('get svc hello -o yaml: the Service as stored', ['get', 'svc', 'hello', '-o', 'jsonpath={.spec}{"\\n"}{.status}{"\\n"}{.metadata.finalizers}']);
  step('describe svc hello', ['describe', 'svc', 'hello']);
  step('delete --dry-run=server', ['delete', '--dry-run=server', 'svc', 'hello']);

  // Bad input: what the Service strategy refuses, with the field named.
  const manifest = (spec: Record<string, unknown>): string => JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'refused', namespace: 'default' }, spec: { type: 'LoadBalancer', selector: { app: 'refused' }, ...spec } });
  const refused = (name: string, spec: (side: Side) => Promise<Record<string, unknown>>, todo?: string): void => {
    it(name, todo === undefined ? {} : { todo }, async () => {
      const out = await both(['apply', '-f', '-'], undefined, async (side) => manifest(await spec(side)));
      assert.match(out.real, /^exit 1\n/);
      assert.equal(out.simulated, out.real);
    });
  };
  refused('apply: a nodePort another Service holds', async (side) => {
    const hello = await run(side).sandbox.kube.services.get({ namespace: 'default', name: 'hello' });
    return { ports: [{ port: 9090, nodePort: hello.spec?.ports?.[0]?.nodePort }] };
  });
  refused('apply: an IP family the cluster does not serve', async () => ({ ipFamilies: ['IPv6'], ports: [{ port: 9090 }] }));
  refused('apply: a port out of range', async () => ({ ports: [{ port: 70000 }] }));
  refused('apply: a target port name that is no IANA service name', async () => ({ ports: [{ port: 9090, targetPort: 'Web--Port' }] }));
  // A body whose kind is not the URL's: kube-apiserver decodes the body's kind and refuses it.
  it('create --raw: a body of another kind (served, unknown, another group) is refused as kube-apiserver refuses it, and nothing is stored', async () => {
    const bodies = [
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { kind: 'Node' },
      { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
      { apiVersion: 'apps/v1', kind: 'Service' },
      { apiVersion: 'v1', kind: 'Foo' },
    ];
    for (const typeMeta of bodies) {
      const body = JSON.stringify({ ...typeMeta, metadata: { name: 'mismatched' }, spec: { ports: [{ port: 80 }] } });
      const out = await both(['create', '--raw', '/api/v1/namespaces/default/services', '-f', '-'], undefined, async () => body);
      assert.match(out.real, /^exit 1\n.*BadRequest/s, JSON.stringify(typeMeta));
      assert.equal(out.simulated, out.real, JSON.stringify(typeMeta));
    }
    const stored = await both(['get', 'svc,cm', 'mismatched', '--ignore-not-found', '-o', 'name']);
    assert.equal(stored.simulated, stored.real);
  });
  // No credentials at all: kube-apiserver's anonymous user may read health and version
  // (system:public-info-viewer) and is refused everything else with 403, not 401. (kubectl
  // would prompt for a password without credentials: plain HTTPS requests here.)
  it('without credentials: health and version answer, everything else is 403 for system:anonymous', async () => {
    const anonymousGet = async (side: Side, path: string, method = 'GET'): Promise<string> => {
      type ClusterEntry = { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string };
      const config = parseYaml(await readFile(run(side).kubeconfig, 'utf8')) as { clusters: { cluster: ClusterEntry }[] };
      const cluster = config.clusters[0]?.cluster;
      if (cluster === undefined) throw new Error('no cluster in the kubeconfig');
      const url = new URL(path, cluster.server);
      const caFile = cluster['certificate-authority'];
      const ca = caFile !== undefined ? await readFile(caFile) : Buffer.from(cluster['certificate-authority-data'] ?? '', 'base64');
      return await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(url, { method, ca, headers: { Accept: 'application/json' } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(`${res.statusCode ?? 0} ${body.trim()}`));
        });
        req.on('error', reject);
        req.end(method === 'POST' ? JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'anon' } }) : undefined);
      });
    };
    const steps: [string, string?][] = [
      ['/healthz'],
      ['/livez'],
      ['/readyz'],
      ['/version'],
      ['/api'],
      ['/apis'],
      ['/api/v1/nodes'],
      ['/api/v1/nodes/node-0'],
      ['/api/v1/namespaces/default/services/hello'],
      ['/api/v1/namespaces/default/configmaps', 'POST'],
      ['/no/such/path'],
    ];
    const differences: string[] = [];
    for (const [path, method] of steps) {
      const real = await anonymousGet('real', path, method);
      const simulated = await anonymousGet('simulated', path, method);
      const shown = (answer: string): string => (path === '/version' ? answer.replace(/\{.*"gitVersion".*\}/s, '<version info>') : answer);
      if (shown(simulated) !== shown(real)) differences.push(`${method ?? 'GET'} ${path}\n  real:      ${shown(real)}\n  simulated: ${shown(simulated)}`);
    }
    assert.deepEqual(differences, []);
  });

  step('get svc hello after the dry run', ['get', 'svc', 'hello', '-o', 'name']);
  step('auth can-i delete services', ['auth', 'can-i', 'delete', 'services']);
  step('auth can-i, as anonymous', ['auth', 'can-i', 'list', 'nodes', '--as=system:anonymous'], undefined, 'waiting on request authorization in the simulated API: it honours --as (the review is system:anonymous\'s, "no") but does not authorize the review\'s own create, which kube-apiserver forbids for system:anonymous (docs/deviations.md)');
  step('api-resources: the kinds the sandbox serves', ['api-resources'], rowsOf(/^(nodes|services|events|namespaces|leases|configmaps|secrets|serviceaccounts|endpoints)\s/));
  step('get all', ['get', 'all'], rowsOf(/hello\s/), 'waiting on the simulated API\'s "all" category: on kube-apiserver it spans several kinds (pods, deployments, …), so kubectl names the kind (service/hello)');
  // Sorted: events of the same second (the nodes' Synced) come in either order on either side.
  step('events', ['events'], (out) => {
    const [header = '', ...rows] = rowsOf(/hello|node-[01]/)(out).split('\n');
    return [header, ...rows.sort()].join('\n');
  });
  step('explain service.spec', ['explain', 'service.spec'], undefined, 'waiting on the simulated API\'s OpenAPI: kube-apiserver describes the field itself ("Spec defines the behavior of a service.") before its type\'s description');
  step('get namespaces', ['get', 'namespaces']);
  step('delete svc hello', ['delete', 'svc', 'hello', '--timeout=60s']);

  it('after delete, neither load balancer listens', async () => {
    for (const side of ['simulated', 'real'] as const) {
      const pool = SIDES[side].pool.replace(/\.0\/24$/, '');
      // The first pool address (.1) was the only one handed out on each side.
      assert.equal(await probeTcp(`${pool}.1`, 8080), 'ECONNREFUSED', side);
    }
  });
});
