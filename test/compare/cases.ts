/**
 * The parity cases: the initial state of the example scenarios, generated clusters, and a table
 * of cases ported from upstream's controller tests (k8s.io/cloud-provider controllers/{node,
 * nodelifecycle,service,route}/*_test.go), each written here in our own words as a cluster and a
 * cloud config rather than as calls on a fake.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event, Node, NodeAddress, Service, Taint } from 'kubernetes-types/core/v1.js';
import { parse } from 'yaml';
import { REPO_ROOT } from '../reference-ccm/start-reference-ccm.js';

/** One case: a cluster, a cloud, the controllers and flags both CCMs run with. */
export interface ParityCase {
  readonly name: string;
  /** Where it comes from: `scenario`, `generated`, or the upstream test file it is ported from. */
  readonly source: string;
  /** The fake provider's config (the same JSON for both clouds). */
  readonly cloud: Readonly<Record<string, unknown>>;
  readonly nodes: readonly Node[];
  readonly services: readonly Service[];
  /** `--controllers` (upstream's short names). */
  readonly controllers: readonly string[];
  /** More flags, the same for both. */
  readonly flags: readonly string[];
  /** Nodes that keep the uninitialized taint (the run does not wait for them). */
  readonly expectTainted?: readonly string[];
  /** Nodes the run waits to see deleted. */
  readonly expectDeleted?: readonly string[];
  /** LoadBalancer Services that get no address (the run does not wait for them). */
  readonly expectNoIngress?: readonly string[];
  /** Replaces the default condition for quiet (see run-case.ts `defaultSettled`). */
  readonly settled?: (c: ParityCase, nodes: readonly Node[], services: readonly Service[], events: readonly Event[]) => boolean;
}

const UNINITIALIZED: Taint = { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' };
const SHUTDOWN_TAINT: Taint = { key: 'node.cloudprovider.kubernetes.io/shutdown', effect: 'NoSchedule' };

interface NodeOptions {
  readonly tainted?: boolean;
  readonly ready?: 'True' | 'False' | 'Unknown';
  readonly providerID?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly taints?: Taint[];
  readonly addresses?: NodeAddress[];
  readonly podCIDRs?: string[];
}

/** A Node as a kubelet with `--cloud-provider=external` registers it. */
function node(name: string, o: NodeOptions = {}): Node {
  const taints = [...(o.tainted === false ? [] : [UNINITIALIZED]), ...(o.taints ?? [])];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels }, ...(o.annotations && { annotations: o.annotations }) },
    spec: {
      ...(taints.length > 0 && { taints }),
      ...(o.providerID !== undefined && { providerID: o.providerID }),
      ...(o.podCIDRs !== undefined && { podCIDR: o.podCIDRs[0], podCIDRs: o.podCIDRs }),
    },
    status: {
      conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: '2026-01-01T00:00:00Z', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      ...(o.addresses !== undefined && { addresses: o.addresses }),
    },
  };
}

interface ServiceOptions {
  readonly type?: 'LoadBalancer' | 'ClusterIP' | 'NodePort';
  readonly loadBalancerClass?: string;
  readonly finalizers?: string[];
  readonly ports?: { port: number; protocol?: 'TCP' | 'UDP' }[];
  readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  readonly namespace?: string;
}

function svc(name: string, o: ServiceOptions = {}): Service {
  const type = o.type ?? 'LoadBalancer';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace ?? 'default', ...(o.finalizers && { finalizers: o.finalizers }) },
    spec: {
      type,
      selector: { app: name },
      ports: (o.ports ?? [{ port: 80 }]).map((p, i) => ({ name: `p${i}`, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: 8080 })),
      ...(o.loadBalancerClass !== undefined && { loadBalancerClass: o.loadBalancerClass }),
      ...(o.externalTrafficPolicy !== undefined && { externalTrafficPolicy: o.externalTrafficPolicy }),
    },
  };
}

const ip = (address: string, type: NodeAddress['type'] = 'InternalIP'): NodeAddress => ({ type, address });
const inst = (nodeName: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  nodeName,
  instanceType: 'm5.large',
  zone: 'zone-a',
  region: 'region-1',
  addresses: [ip(`10.0.0.${nodeName.replace(/\D/g, '') || '9'}`)],
  ...extra,
});

const NODE = ['cloud-node'];
const LIFECYCLE = ['cloud-node-lifecycle'];
const SERVICE = ['service'];
const ROUTE = ['route'];
const ROUTE_FLAGS = ['--allocate-node-cidrs=true', '--configure-cloud-routes=true', '--cluster-cidr=10.244.0.0/16', '--route-reconciliation-period=2s'];

/** Cases ported from upstream's controller tests, in our own words. */
function portedCases(): ParityCase[] {
  const base = { services: [] as Service[], flags: [] as string[] };
  const nodeTest = 'upstream controllers/node/node_controller_test.go';
  const lifeTest = 'upstream controllers/nodelifecycle/node_lifecycle_controller_test.go';
  const svcTest = 'upstream controllers/service/controller_test.go';
  const routeTest = 'upstream controllers/route/route_controller_test.go';
  const lbCloud = { capabilities: ['loadBalancer', 'instancesV2'], instances: [inst('n1'), inst('n2')] };
  const lbNodes = [node('n1', { tainted: false, addresses: [ip('10.0.0.1')] }), node('n2', { tainted: false, addresses: [ip('10.0.0.2')] })];
  return [
    // ---- cloud node controller ----
    { ...base, name: 'node: tainted node gets providerID, type and zone labels, loses the taint', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1')] }, nodes: [node('n1')] },
    { ...base, name: 'node: instance without zone or region gets no topology labels', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [{ nodeName: 'n1', instanceType: 'small', addresses: [ip('10.0.0.1')] }] }, nodes: [node('n1')] },
    { ...base, name: 'node: providerID already set by the kubelet is kept', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1', { providerID: 'fake://i-0001' })] }, nodes: [node('n1', { providerID: 'fake://i-0001' })] },
    { ...base, name: 'node: instance unknown to the cloud keeps the taint', source: nodeTest, controllers: NODE, expectTainted: ['n1'],
      cloud: { capabilities: ['instancesV2'], instances: [] }, nodes: [node('n1')] },
    { ...base, name: 'node: node without the taint gets its addresses refreshed', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1', { addresses: [ip('10.0.0.1'), ip('203.0.113.1', 'ExternalIP')] })] },
      nodes: [node('n1', { tainted: false, providerID: 'fake://n1', addresses: [ip('10.0.0.99')] })] },
    { ...base, name: 'node: provided node IP selects among the cloud addresses', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1', { addresses: [ip('10.0.0.1'), ip('10.0.0.2'), ip('203.0.113.2', 'ExternalIP')] })] },
      nodes: [node('n1', { annotations: { 'alpha.kubernetes.io/provided-node-ip': '10.0.0.2' } })] },
    { ...base, name: 'node: dual-stack provided node IPs', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1', { addresses: [ip('fd00::2'), ip('10.0.0.1'), ip('10.0.0.2')] })] },
      nodes: [node('n1', { annotations: { 'alpha.kubernetes.io/provided-node-ip': '10.0.0.2,fd00::2' } })] },
    { ...base, name: 'node: provided node IP the cloud does not report keeps the taint', source: nodeTest, controllers: NODE, expectTainted: ['n1'],
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1')] },
      nodes: [node('n1', { annotations: { 'alpha.kubernetes.io/provided-node-ip': '10.9.9.9' } })] },
    { ...base, name: 'node: additional labels from the cloud', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1', { additionalLabels: { 'example.com/rack': 'r7', 'example.com/pool': 'gpu' } })] }, nodes: [node('n1')] },
    { ...base, name: 'node: hostname address kept when the cloud reports none', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1')] }, nodes: [node('n1', { addresses: [ip('n1', 'Hostname')] })] },
    { ...base, name: 'node: only the uninitialized taint is removed', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1')] },
      nodes: [node('n1', { taints: [{ key: 'example.com/dedicated', value: 'db', effect: 'NoExecute' }] })] },
    { ...base, name: 'node: legacy Instances and Zones (no InstancesV2)', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instances', 'zones'], instances: [inst('n1')] }, nodes: [node('n1')] },
    { ...base, name: 'node: legacy Instances without Zones', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instances'], instances: [inst('n1')] }, nodes: [node('n1')] },
    { ...base, name: 'node: a failing instanceMetadata call is retried', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1')], failures: [{ method: 'instanceMetadata', times: 1 }] }, nodes: [node('n1')] },
    { ...base, name: 'node: several nodes, one unknown to the cloud', source: nodeTest, controllers: NODE, expectTainted: ['n3'],
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1'), inst('n2', { zone: 'zone-b' })] }, nodes: [node('n1'), node('n2'), node('n3')] },
    { ...base, name: 'node: labels the kubelet set are overwritten by the cloud', source: nodeTest, controllers: NODE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1')] },
      nodes: [node('n1', { labels: { 'node.kubernetes.io/instance-type': 'stale', 'topology.kubernetes.io/zone': 'old-zone' } })] },
    // ---- cloud node lifecycle controller ----
    { ...base, name: 'lifecycle: not-ready node whose instance is gone is deleted', source: lifeTest, controllers: LIFECYCLE, expectDeleted: ['n1'],
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1', { exists: false })] }, nodes: [node('n1', { tainted: false, ready: 'False', providerID: 'fake://n1' })] },
    { ...base, name: 'lifecycle: not-ready node whose instance is shut down gets the shutdown taint', source: lifeTest, controllers: LIFECYCLE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1', { shutdown: true })] }, nodes: [node('n1', { tainted: false, ready: 'False', providerID: 'fake://n1' })],
      settled: (_c, nodes) => nodes.some((n) => (n.spec?.taints ?? []).some((t) => t.key === SHUTDOWN_TAINT.key)) },
    { ...base, name: 'lifecycle: ready node whose instance is shut down is left alone', source: lifeTest, controllers: LIFECYCLE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1', { shutdown: true })] }, nodes: [node('n1', { tainted: false, providerID: 'fake://n1' })] },
    { ...base, name: 'lifecycle: not-ready node with a running instance is left alone', source: lifeTest, controllers: LIFECYCLE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1')] }, nodes: [node('n1', { tainted: false, ready: 'False', providerID: 'fake://n1' })] },
    { ...base, name: 'lifecycle: ready node loses a stale shutdown taint', source: lifeTest, controllers: LIFECYCLE,
      cloud: { capabilities: ['instancesV2'], instances: [inst('n1')] }, nodes: [node('n1', { tainted: false, providerID: 'fake://n1', taints: [SHUTDOWN_TAINT] })],
      settled: (_c, nodes) => nodes.every((n) => !(n.spec?.taints ?? []).some((t) => t.key === SHUTDOWN_TAINT.key)) },
    { ...base, name: 'lifecycle: node with Unknown readiness and no instance is deleted', source: lifeTest, controllers: LIFECYCLE, expectDeleted: ['n1'],
      cloud: { capabilities: ['instancesV2'], instances: [] }, nodes: [node('n1', { tainted: false, ready: 'Unknown', providerID: 'fake://n1' })] },
    { ...base, name: 'lifecycle: an instanceExists error deletes nothing', source: lifeTest, controllers: LIFECYCLE,
      cloud: { capabilities: ['instancesV2'], instances: [], failures: [{ method: 'instanceExists' }] }, nodes: [node('n1', { tainted: false, ready: 'False', providerID: 'fake://n1' })] },
    { ...base, name: 'lifecycle: legacy Instances, gone by providerID, is deleted', source: lifeTest, controllers: LIFECYCLE, expectDeleted: ['n1'],
      cloud: { capabilities: ['instances'], instances: [] }, nodes: [node('n1', { tainted: false, ready: 'False', providerID: 'fake://n1' })] },
    // ---- service controller ----
    { ...base, name: 'service: a LoadBalancer Service gets an address and the cleanup finalizer', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: lbNodes, services: [svc('web')] },
    { ...base, name: 'service: a ClusterIP Service is ignored', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: lbNodes, services: [svc('internal', { type: 'ClusterIP' })] },
    { ...base, name: 'service: a Service with a loadBalancerClass is left to its controller', source: svcTest, controllers: SERVICE, expectNoIngress: ['classy'],
      cloud: lbCloud, nodes: lbNodes, services: [svc('classy', { loadBalancerClass: 'example.com/other' })] },
    { ...base, name: 'service: an explicit hostname status from the cloud', source: svcTest, controllers: SERVICE,
      cloud: { ...lbCloud, loadBalancerStatuses: { 'default/web': { ingress: [{ hostname: 'lb.example.com' }] } } }, nodes: lbNodes, services: [svc('web')] },
    { ...base, name: 'service: ipMode Proxy', source: svcTest, controllers: SERVICE,
      cloud: { ...lbCloud, loadBalancerIPMode: 'Proxy' }, nodes: lbNodes, services: [svc('web')] },
    { ...base, name: 'service: two Services get two addresses', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: lbNodes, services: [svc('a'), svc('b', { ports: [{ port: 53, protocol: 'UDP' }] })] },
    { ...base, name: 'service: a failing ensureLoadBalancer is retried', source: svcTest, controllers: SERVICE,
      cloud: { ...lbCloud, failures: [{ method: 'ensureLoadBalancer', times: 1, message: 'quota exceeded' }] }, nodes: lbNodes, services: [svc('web')] },
    { ...base, name: 'service: a RetryError is retried after its delay', source: svcTest, controllers: SERVICE,
      cloud: { ...lbCloud, failures: [{ method: 'ensureLoadBalancer', kind: 'Retry', retryAfterMs: 500, times: 1, message: 'provisioning' }] }, nodes: lbNodes, services: [svc('web')] },
    { ...base, name: 'service: a node labelled exclude-from-external-load-balancers is left out', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: [lbNodes[0]!, node('n2', { tainted: false, labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' }, addresses: [ip('10.0.0.2')] })], services: [svc('web')] },
    { ...base, name: 'service: not-ready nodes', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: [lbNodes[0]!, node('n2', { tainted: false, ready: 'False', addresses: [ip('10.0.0.2')] })], services: [svc('web')] },
    { ...base, name: 'service: a ClusterIP Service with the finalizer is cleaned up', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: lbNodes, services: [svc('was-lb', { type: 'ClusterIP', finalizers: ['service.kubernetes.io/load-balancer-cleanup'] })],
      settled: (_c, _n, services) => services.every((s) => (s.metadata?.finalizers ?? []).length === 0) },
    { ...base, name: 'service: no nodes at all', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: [], services: [svc('web')] },
    { ...base, name: 'service: ImplementedElsewhere from ensureLoadBalancer', source: svcTest, controllers: SERVICE, expectNoIngress: ['web'],
      cloud: { ...lbCloud, failures: [{ method: 'ensureLoadBalancer', kind: 'ImplementedElsewhere' }] }, nodes: lbNodes, services: [svc('web')] },
    { ...base, name: 'service: externalTrafficPolicy Local', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: lbNodes, services: [svc('web', { externalTrafficPolicy: 'Local' })] },
    { ...base, name: 'service: Services in two namespaces with one name', source: svcTest, controllers: SERVICE,
      cloud: lbCloud, nodes: lbNodes, services: [svc('web'), svc('web', { namespace: 'kube-system' })] },
    // ---- route controller ----
    { ...base, name: 'route: one route per node with a pod CIDR, NetworkUnavailable cleared', source: routeTest, controllers: ROUTE, flags: ROUTE_FLAGS,
      cloud: { capabilities: ['routes', 'instancesV2'], instances: [inst('n1'), inst('n2')] },
      nodes: [node('n1', { tainted: false, podCIDRs: ['10.244.1.0/24'], addresses: [ip('10.0.0.1')] }), node('n2', { tainted: false, podCIDRs: ['10.244.2.0/24'], addresses: [ip('10.0.0.2')] })],
      settled: routesSettled },
    { ...base, name: 'route: a node without a pod CIDR gets no route', source: routeTest, controllers: ROUTE, flags: ROUTE_FLAGS,
      cloud: { capabilities: ['routes'], instances: [] },
      nodes: [node('n1', { tainted: false, podCIDRs: ['10.244.1.0/24'], addresses: [ip('10.0.0.1')] }), node('n2', { tainted: false, addresses: [ip('10.0.0.2')] })],
      settled: routesSettled },
    { ...base, name: 'route: dual-stack pod CIDRs give two routes', source: routeTest, controllers: ROUTE, flags: ['--allocate-node-cidrs=true', '--configure-cloud-routes=true', '--cluster-cidr=10.244.0.0/16,fd00:10:244::/56', '--route-reconciliation-period=2s'],
      cloud: { capabilities: ['routes'], instances: [] },
      nodes: [node('n1', { tainted: false, podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'], addresses: [ip('10.0.0.1'), ip('fd00::1')] })],
      settled: routesSettled },
    { ...base, name: 'route: a failing createRoute is retried', source: routeTest, controllers: ROUTE, flags: ROUTE_FLAGS,
      cloud: { capabilities: ['routes'], instances: [], failures: [{ method: 'createRoute', times: 1 }] },
      nodes: [node('n1', { tainted: false, podCIDRs: ['10.244.1.0/24'], addresses: [ip('10.0.0.1')] })],
      settled: routesSettled },
    { ...base, name: 'route: routes with node addresses', source: routeTest, controllers: ROUTE, flags: ROUTE_FLAGS,
      cloud: { capabilities: ['routes'], instances: [], routeNodeAddresses: true },
      nodes: [node('n1', { tainted: false, podCIDRs: ['10.244.1.0/24'], addresses: [ip('10.0.0.1')] })],
      settled: routesSettled },
  ];
}

/** Every Node with a pod CIDR has NetworkUnavailable=False. */
function routesSettled(_c: ParityCase, nodes: readonly Node[]): boolean {
  return nodes.every((n) => (n.spec?.podCIDRs ?? []).length === 0 || (n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'False'));
}

/** A small deterministic PRNG (mulberry32), so generated clusters are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Generated clusters: nodes (some unknown to the cloud, some with provided IPs) and LB Services. */
function generatedCases(): ParityCase[] {
  const out: ParityCase[] = [];
  for (const seed of [1, 2, 3, 4, 5]) {
    const rnd = prng(seed);
    const nodeCount = 3 + Math.floor(rnd() * 6);
    const instances: Record<string, unknown>[] = [];
    const nodes: Node[] = [];
    const tainted: string[] = [];
    for (let i = 0; i < nodeCount; i++) {
      const name = `g${seed}-n${i}`;
      const known = rnd() > 0.15;
      const zone = ['zone-a', 'zone-b', 'zone-c'][Math.floor(rnd() * 3)]!;
      const addr = `10.${seed}.0.${i + 1}`;
      if (known) instances.push({ nodeName: name, instanceType: rnd() > 0.5 ? 'm5.large' : 'c5.xlarge', zone, region: 'region-1', addresses: [ip(addr), ip(`203.0.113.${seed * 10 + i}`, 'ExternalIP')] });
      else tainted.push(name);
      nodes.push(node(name, { tainted: rnd() > 0.2, ...(rnd() > 0.7 && { annotations: { 'alpha.kubernetes.io/provided-node-ip': addr } }) }));
    }
    // A Node that is not tainted is not waited for, so only tainted unknown ones stay tainted.
    const expectTainted = tainted.filter((n) => (nodes.find((x) => x.metadata?.name === n)?.spec?.taints ?? []).length > 0);
    const services = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, i) => svc(`g${seed}-svc${i}`, { ports: [{ port: 80 + i }] }));
    out.push({
      name: `generated: seed ${seed}, ${nodeCount} nodes, ${services.length} LoadBalancer Services`,
      source: 'generated',
      cloud: { capabilities: ['instancesV2', 'loadBalancer'], instances },
      nodes,
      services,
      controllers: ['cloud-node', 'service'],
      flags: [],
      expectTainted,
    });
  }
  return out;
}

const SCENARIO_DIR = join(REPO_ROOT, 'examples', 'scenarios');
/** Manager settings that are not flags of both CCMs, or that the runner sets itself. */
const NOT_FLAGS = new Set(['controllers', 'node-monitor-period', 'replicas']);

/** The initial state of each example scenario (config, objects, manager flags), without its steps. */
function scenarioCases(): ParityCase[] {
  const out: ParityCase[] = [];
  for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const doc = parse(readFileSync(join(SCENARIO_DIR, file), 'utf8')) as {
      provider?: { name?: string; config?: Record<string, unknown> };
      manager?: Record<string, unknown>;
      objects?: (Node | Service)[];
    };
    // Scenarios whose objects all come from later steps have no initial state to compare.
    if (doc.provider?.name !== 'fake' || (doc.objects ?? []).length === 0) continue;
    const manager = doc.manager ?? {};
    const controllers = (manager['controllers'] as string[] | undefined) ?? ['*'];
    const flags = Object.entries(manager)
      .filter(([k]) => !NOT_FLAGS.has(k))
      .map(([k, v]) => `--${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
    const objects = doc.objects ?? [];
    out.push({
      name: `scenario: ${file} (initial state)`,
      source: `examples/scenarios/${file}`,
      cloud: doc.provider.config ?? {},
      nodes: objects.filter((o): o is Node => o.kind === 'Node'),
      services: objects.filter((o): o is Service => o.kind === 'Service'),
      controllers: controllers.map((c) => (c === '*' ? '*' : c)),
      flags,
    });
  }
  return out;
}

/** Every case, in a stable order. */
export function allCases(): ParityCase[] {
  return [...scenarioCases(), ...generatedCases(), ...portedCases()];
}
