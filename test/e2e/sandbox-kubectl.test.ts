// `outrigger sandbox` driven by the real kubectl 1.35 (`npm run test:e2e` unpacks it), as a person
// would after `export KUBECONFIG=…`: nodes, a LoadBalancer Service applied from the example
// manifest with validation on and no nodePort, its EXTERNAL-IP, its events, a real HTTP request
// through the address to the echo backend on a simulated node, a server-side dry-run delete that
// deletes nothing, a delete that closes the listener, and the discovery/authorization commands.
//
// A step that needs simulated-API work still under way keeps its assertion as a `todo` test: it
// runs and reports, and becomes a plain test once it passes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { RealClock } from '../../src/kube/clock.js';
import { startSandbox, waitForObjects } from '../../src/sandbox/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { httpGet } from '../../src/simulation/local-demo/index.js';
import { REPO_ROOT } from '../helpers/ccm-process.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';
import { probeTcp } from '../helpers/probe-tcp.js';

// Addresses of this file alone (grep 127.0.172 / 127.0.173 before reusing them).
const NODE_SUBNET = '127.0.172';
const POOL = '127.0.173.0/24';
const EXAMPLE = join(REPO_ROOT, 'examples/sandbox/lb-service.yaml');
const clock = new RealClock();

describe('outrigger sandbox with the real kubectl', { timeout: 300_000 }, () => {
  let dir = '';
  let kc = '';
  let sandbox: Sandbox;
  let ip = '';
  let nodePort = 0;
  const k = (args: readonly string[]): ReturnType<typeof kubectl> => kubectl(kc, args, { timeoutMs: 60_000 });
  const kOk = (args: readonly string[]): Promise<string> => kubectlOk(kc, args, { timeoutMs: 60_000 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-kubectl-'));
    kc = join(dir, 'kubeconfig');
    sandbox = await startSandbox({ nodes: 2, nodeSubnet: NODE_SUBNET, pool: POOL, healthzPort: 0, kubeconfigOut: kc });
    // The cloud node controller initialises both Nodes (providerID set, taint removed).
    const initialised = await waitForObjects<Node>({
      client: sandbox.kube.nodes,
      clock,
      random: Math.random,
      timeoutMs: 60_000,
      done: (nodes) => nodes.length === 2 && nodes.every((n) => n.spec?.providerID !== undefined && (n.spec.taints ?? []).length === 0),
    });
    assert.ok(initialised !== undefined, 'the nodes were not initialised within 60 s');
  });

  after(async () => {
    await sandbox?.close();
    assert.equal(existsSync(kc), false, 'the kubeconfig is removed when the sandbox stops');
    await rm(dir, { recursive: true, force: true });
  });

  it('kubectl get nodes: both simulated nodes, initialised by the manager with the local provider', async () => {
    const names = await kOk(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.providerID} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}']);
    assert.deepEqual(names.trim().split('\n'), [`node-0 local://node-0 ${NODE_SUBNET}.1`, `node-1 local://node-1 ${NODE_SUBNET}.2`]);
    const leases = await kOk(['get', 'leases', '-n', 'kube-node-lease', '-o', 'name']);
    assert.deepEqual(leases.trim().split('\n'), ['lease.coordination.k8s.io/node-0', 'lease.coordination.k8s.io/node-1']);
  });

  it('kubectl get nodes -o wide: STATUS Ready, INTERNAL-IP and the kubelet VERSION in the table', async () => {
    const out = await kOk(['get', 'nodes', '-o', 'wide']);
    assert.match(out, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE/m);
    assert.match(out, new RegExp(`^node-0\\s+Ready\\s+<none>\\s+\\S+\\s+v1\\.35\\.0-outrigger-sandbox\\s+${NODE_SUBNET.replaceAll('.', '\\.')}\\.1\\s`, 'm'));
  });

  it('kubectl apply -f examples/sandbox/lb-service.yaml, validation on', async () => {
    const out = await kOk(['apply', '-f', EXAMPLE]);
    assert.match(out, /service\/hello (created|unchanged|configured)/);
  });

  it('the Service has a nodePort the API server allocated', async () => {
    nodePort = Number(await kOk(['get', 'service', 'hello', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.ok(nodePort >= 30000 && nodePort <= 32767, `nodePort ${nodePort}`);
  });

  it('kubectl wait --for=jsonpath={.status.loadBalancer.ingress}', async () => {
    const out = await kOk(['wait', '--for=jsonpath={.status.loadBalancer.ingress}', 'service/hello', '--timeout=60s']);
    assert.match(out, /service\/hello condition met/);
  });

  it('the Service gets an address from the pool', async () => {
    const done = await waitForObjects<Service>({
      client: sandbox.kube.services,
      namespace: 'default',
      clock,
      random: Math.random,
      timeoutMs: 60_000,
      done: (svcs) => svcs.some((s) => s.metadata?.name === 'hello' && (s.status?.loadBalancer?.ingress ?? []).length > 0),
    });
    assert.ok(done !== undefined, 'no address within 60 s');
    ip = await kOk(['get', 'service', 'hello', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']);
    assert.match(ip, /^127\.0\.173\.\d+$/);
  });

  it('kubectl get svc: TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S) in the table', async () => {
    const out = await kOk(['get', 'svc']);
    assert.match(out, new RegExp(`^hello\\s+LoadBalancer\\s+10\\.96\\.\\d+\\.\\d+\\s+${ip.replaceAll('.', '\\.')}\\s+8080:${nodePort}/TCP\\s`, 'm'));
  });

  it('kubectl describe service: the service controller\'s events', async () => {
    const out = await kOk(['describe', 'service', 'hello']);
    assert.match(out, /Normal\s+EnsuringLoadBalancer\s+.*service-controller\s+Ensuring load balancer/);
    assert.match(out, /Normal\s+EnsuredLoadBalancer\s+.*service-controller\s+Ensured load balancer/);
  });

  it('an HTTP request through the EXTERNAL-IP reaches the echo backend on a simulated node', async () => {
    const body = await httpGet(`http://${ip}:8080/`, 15_000);
    assert.match(body, /^hello from node-[01] via default\/hello\n$/);
  });

  it('kubectl delete --dry-run=server deletes nothing', async () => {
    assert.match(await kOk(['delete', '--dry-run=server', 'service', 'hello']), /deleted.*\(server dry run\)/);
    assert.equal((await kOk(['get', 'service', 'hello', '-o', 'name'])).trim(), 'service/hello');
    assert.equal(await probeTcp(ip, 8080), 'connected');
  });

  it('kubectl auth can-i', async () => {
    assert.equal((await kOk(['auth', 'can-i', 'delete', 'services'])).trim(), 'yes');
  });

  it('kubectl explain service.spec: the schema from OpenAPI', async () => {
    const out = await kOk(['explain', 'service.spec']);
    assert.match(out, /^FIELD: spec <ServiceSpec>$/m);
    assert.match(out, /^ {2}allocateLoadBalancerNodePorts\t<boolean>$/m);
  });

  it('kubectl get namespaces: the system namespaces', async () => {
    const out = await kOk(['get', 'namespaces', '-o', 'name']);
    assert.deepEqual(out.trim().split('\n'), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system']);
  });

  it('kubectl api-resources: the served kinds with their short names', async () => {
    const out = await kOk(['api-resources']);
    for (const line of [/^nodes\s+no\s+v1\s+false\s+Node$/m, /^services\s+svc\s+v1\s+true\s+Service$/m, /^events\s+ev\s+v1\s+true\s+Event$/m, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m]) {
      assert.match(out, line);
    }
  });

  it('kubectl get all: the Service, through the "all" category', async () => {
    // kubectl names the kind (service/hello) only when "all" expands to several served kinds; the
    // sandbox serves no workloads, so services may be the only one.
    assert.match(await kOk(['get', 'all']), /^(service\/)?hello\s+LoadBalancer\s+10\.96\.\d+\.\d+\s+127\.0\.173\.\d+\s+8080:\d+\/TCP\s/m);
  });

  it('kubectl events: the manager\'s events', async () => {
    const out = await kOk(['events']);
    assert.match(out, /EnsuredLoadBalancer/);
    assert.match(out, /Service\/hello/);
  });

  it('kubectl delete closes the load balancer\'s listener and the node ports', async () => {
    assert.match(await kOk(['delete', 'service', 'hello', '--timeout=60s']), /service "hello" deleted/);
    const gone = await k(['get', 'service', 'hello']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /Error from server \(NotFound\): services "hello" not found/);
    assert.equal(await probeTcp(ip, 8080), 'ECONNREFUSED');
    await sandbox.proxies.until((ports) => !ports.has(nodePort));
    assert.equal(await probeTcp(`${NODE_SUBNET}.1`, nodePort), 'ECONNREFUSED');
  });
});
