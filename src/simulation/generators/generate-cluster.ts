/**
 * Scenario generators: clusters of any size for scale runs (`outrigger simulate --nodes N
 * --services M`) and the small `npm start` demonstration.
 *
 * @module
 */
import type { KubeObject } from '../../kube/resources.js';
import type { ScenarioFile } from '../scenario/scenario-types.js';

/** Options of {@link generateCluster}. */
export interface GenerateClusterOptions {
  readonly nodes: number;
  readonly services: number;
  /** Default 1. */
  readonly seed?: number;
  /** Bound of the convergence `settle` (default 1 h of virtual time). */
  readonly withinMs?: number;
  /** Program routes for the nodes' pod CIDRs (default true). */
  readonly routes?: boolean;
  /**
   * Default true. False leaves the scenario's `objects` empty: the caller creates them from
   * {@link generateClusterObjects} as they are made (`runScenario`'s `initialObjects`), so a
   * 10,000-Node cluster is not held twice — once as input, once in the simulated API — all run.
   */
  readonly objects?: boolean;
}

const UNINITIALIZED_TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
const ZONES = ['zone-a', 'zone-b', 'zone-c'];

/** The i-th node's InternalIP in 172.16.0.0/12 (room for a million nodes). */
function nodeIP(i: number): string {
  return `172.${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

/** The i-th node's pod CIDR: a /24 of 10.0.0.0/8. */
function podCIDR(i: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.0/24`;
}

/** A Node as a kubelet started with `--cloud-provider=external` registers it: tainted, InternalIP, pod CIDR. */
export function kubeletNode(name: string, i: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { podCIDR: podCIDR(i), podCIDRs: [podCIDR(i)], taints: [{ key: UNINITIALIZED_TAINT, value: 'true', effect: 'NoSchedule' }] },
    status: {
      addresses: [{ type: 'InternalIP', address: nodeIP(i) }, { type: 'Hostname', address: name }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    },
  } as KubeObject;
}

/** A LoadBalancer Service with one TCP port. */
export function loadBalancerService(name: string, namespace = 'default', o: { nodePorts?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      type: 'LoadBalancer',
      selector: { app: name },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      ...(o.nodePorts === false ? { allocateLoadBalancerNodePorts: false } : {}),
    },
  } as KubeObject;
}

/**
 * Node ports in the apiserver's default `--service-node-port-range` (30000-32767): more
 * LoadBalancer Services than this need `allocateLoadBalancerNodePorts: false`, as a real cluster
 * of that size does (the API refuses the 2,769th otherwise).
 */
export const DEFAULT_NODE_PORT_COUNT = 32767 - 30000 + 1;

function pad(i: number, n: number): string {
  return String(i).padStart(String(Math.max(1, n - 1)).length, '0');
}

/** The objects of {@link generateCluster}, made one at a time: its Nodes, then its Services. */
export function* generateClusterObjects(o: Pick<GenerateClusterOptions, 'nodes' | 'services'>): Generator<KubeObject, void, undefined> {
  for (let i = 0; i < o.nodes; i++) yield kubeletNode(nodeName(i, o.nodes), i);
  const nodePorts = o.services <= DEFAULT_NODE_PORT_COUNT;
  for (let i = 0; i < o.services; i++) yield loadBalancerService(`svc-${pad(i, o.services)}`, 'default', { nodePorts });
}

function nodeName(i: number, nodes: number): string {
  return `node-${pad(i, nodes)}`;
}

/**
 * A scenario of `nodes` kubelet-registered tainted nodes and `services` LoadBalancer Services,
 * with the fake provider knowing an instance for every node, that settles to convergence.
 */
export function generateCluster(o: GenerateClusterOptions): ScenarioFile {
  const instances = Array.from({ length: o.nodes }, (_, i) => ({
    nodeName: nodeName(i, o.nodes),
    zone: ZONES[i % ZONES.length] ?? 'zone-a',
    instanceType: 'standard-2',
    addresses: [{ type: 'InternalIP', address: nodeIP(i) }],
  }));
  // A /16 of TEST-NET-like space: the fake's default range holds only a /24 of addresses.
  const config = { instances, loadBalancerIPRange: '198.18.0.0/15' };
  const routes = o.routes ?? true;
  return {
    name: `generated: ${o.nodes} nodes, ${o.services} LoadBalancer services`,
    seed: o.seed ?? 1,
    // Without the objects (a scale run), the config is its text: the scenario lives as long as
    // the run beside the copy the provider parses for itself, and 10,000 instances kept as
    // objects were 2.3 MB of it; as JSON text they are half that.
    provider: { name: 'fake', config: o.objects === false ? JSON.stringify(config) : config },
    manager: routes ? { 'cluster-cidr': '10.0.0.0/8', 'allocate-node-cidrs': true } : { 'configure-cloud-routes': false },
    objects: o.objects === false ? [] : [...generateClusterObjects(o)],
    steps: [{ settle: { within: o.withinMs ?? 3_600_000 } }],
  };
}

/**
 * The `npm start` demonstration: three nodes and two LoadBalancer Services converge, then one
 * instance is removed from the cloud and the lifecycle controller deletes its Node.
 */
export function demoScenario(): ScenarioFile {
  const cluster = generateCluster({ nodes: 3, services: 2 });
  const allInitialised = ['node-0', 'node-1', 'node-2'].map((name) => ({ kind: 'Node', name, match: { spec: { providerID: `fake://${name}` } } }));
  return {
    ...cluster,
    name: 'demo: nodes initialised, LoadBalancers ensured, a vanished instance cleaned up',
    steps: [
      { settle: { within: 600_000 } },
      {
        expect: [
          ...allInitialised,
          { kind: 'Service', name: 'svc-0', match: { status: { loadBalancer: { ingress: [{ ipMode: 'VIP' }] } } }, listMode: 'contains' },
          { kind: 'Service', name: 'svc-1', match: { status: { loadBalancer: { ingress: [{ ipMode: 'VIP' }] } } }, listMode: 'contains' },
        ],
      },
      // The machine is gone: the kubelet stops posting status, and the cloud no longer knows it.
      { cloud: { removeInstance: 'node-2' } },
      { patch: { kind: 'Node', name: 'node-2', type: 'strategic', patch: { status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }] } } } },
      // The lifecycle controller looks at not-Ready nodes every --node-monitor-period (5 s).
      { advance: 10_000 },
      { settle: { within: 600_000 } },
      { expect: [{ kind: 'Node', name: 'node-2', absent: true }, { kind: 'Node', name: 'node-1', match: { metadata: { name: 'node-1' } } }] },
    ],
  };
}
