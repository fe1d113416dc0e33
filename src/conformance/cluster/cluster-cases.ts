/**
 * The cluster-level conformance cases: black-box checks of whatever cloud-controller-manager runs
 * on a live cluster, through the Kubernetes API only. The node cases only read; each
 * load-balancer case creates its own Service in the run's namespace and deletes it at its end.
 * Each names the upstream source it follows (docs/conformance.md lists them); the checks are
 * upstream's semantics written in our own words.
 *
 * @module
 */
import type { LoadBalancerIngress, Node, NodeAddress, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { ANNOTATION_ALPHA_PROVIDED_IP_ADDR, LOAD_BALANCER_CLEANUP_FINALIZER, TAINT_EXTERNAL_CLOUD_PROVIDER } from '../../cloud/constants.js';
import {
  LABEL_FAILURE_DOMAIN_BETA_REGION,
  LABEL_FAILURE_DOMAIN_BETA_ZONE,
  LABEL_INSTANCE_TYPE,
  LABEL_INSTANCE_TYPE_STABLE,
  LABEL_TOPOLOGY_REGION,
  LABEL_TOPOLOGY_ZONE,
} from '../../controllers/node/node-labels.js';
import { LABEL_NODE_EXCLUDE_BALANCERS } from '../../controllers/service/node-predicates.js';
import { isNotFound } from '../../kube/errors.js';
import { cidrContains, parseCidr } from '../../net/cidr.js';
import type { Cidr } from '../../net/cidr.js';
import type { ConformanceFixture } from '../fixture.js';
import { EXCLUDED_BY_ANNOTATION, check, eventCount, fail, getService, json, listNodes, suiteLabels } from './session.js';
import type { CaseDeadline, ClusterSession } from './session.js';
import { probeHttp, stoppedAnsweringAfter } from './traffic.js';

/** What a cluster case runs with. */
export interface ClusterCaseContext {
  readonly fixture: ConformanceFixture;
  readonly session: ClusterSession;
  readonly deadline: CaseDeadline;
}

/** One cluster-level case. */
export interface ClusterConformanceCase {
  /** Stable id, `group.name`. */
  readonly id: string;
  /** What it shows, as a sentence. */
  readonly title: string;
  readonly group: 'node' | 'loadBalancer';
  /** The upstream source it follows. */
  readonly upstream: string;
  /** Why the fixture rules it out, or undefined. */
  skipReason(fixture: ConformanceFixture): string | undefined;
  run(ctx: ClusterCaseContext): Promise<void>;
}

const E2E_LB = 'k8s test/e2e/network/loadbalancer.go';
const E2E_NODES = 'k8s test/e2e/cloud/nodes.go';
const CP = 'k8s.io/cloud-provider';
const ADDRESS_TYPES = new Set(['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS']);

const nodeName = (n: Node): string => n.metadata?.name ?? '';

function label(n: Node, key: string): string | undefined {
  return n.metadata?.labels?.[key];
}

function ingressOf(s: Service | undefined): LoadBalancerIngress[] {
  return s?.status?.loadBalancer?.ingress ?? [];
}

function ingressText(s: Service | undefined): string {
  return json(ingressOf(s).map((i) => i.ip ?? i.hostname ?? '?'));
}

function hasFinalizer(s: Service | undefined): boolean {
  return (s?.metadata?.finalizers ?? []).includes(LOAD_BALANCER_CLEANUP_FINALIZER);
}

function ports(fixture: ConformanceFixture): [number, number] {
  return fixture.loadBalancer?.ports ?? [8080, 8081];
}

function lbSkip(fixture: ConformanceFixture, feature?: keyof NonNullable<ConformanceFixture['loadBalancer']>): string | undefined {
  const lb = fixture.loadBalancer;
  if (lb === undefined) return 'loadBalancer is not declared';
  if (feature !== undefined && (lb[feature] === undefined || lb[feature] === false)) return `loadBalancer.${feature} is not declared`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Node cases (read-only).

/** The fixture's instances, each checked to be a Node of the cluster. */
function declared(fixture: ConformanceFixture, nodes: readonly Node[]): Array<{ inst: NonNullable<ConformanceFixture['instances']>[number]; node: Node }> {
  const out = [];
  for (const inst of fixture.instances ?? []) {
    if (inst.shutdown === true) continue;
    const node = nodes.find((n) => nodeName(n) === inst.nodeName);
    if (node === undefined) fail(`Node ${inst.nodeName} is declared in the fixture (instances) but is not in the cluster`);
    out.push({ inst, node });
  }
  return out;
}

async function nodesOrFail(ctx: ClusterCaseContext): Promise<Node[]> {
  const nodes = await listNodes(ctx.session);
  check(nodes.length > 0, 'the cluster has no Nodes');
  return nodes;
}

const nodeProviderId: ClusterConformanceCase = {
  id: 'node.provider-id',
  title: 'every Node has spec.providerID, in the <provider>://<id> form (and the declared one)',
  group: 'node',
  upstream: `${E2E_NODES}; ${CP} controllers/node/node_controller.go (providerID set at initialisation)`,
  skipReason: () => undefined,
  async run(ctx) {
    // A Node that registered a moment ago is still being initialised: wait for all of them.
    const nodes = await ctx.deadline.until(
      'spec.providerID on every Node',
      async () => {
        const all = await nodesOrFail(ctx);
        return all.every((n) => (n.spec?.providerID ?? '') !== '') ? all : undefined;
      },
      () => 'some Node has no spec.providerID',
    ).catch(async (err: unknown) => {
      const missing = (await listNodes(ctx.session)).filter((n) => (n.spec?.providerID ?? '') === '').map(nodeName);
      if (missing.length > 0) fail(`Node(s) ${missing.join(', ')} have no spec.providerID (is the CCM running and initialising Nodes?)`);
      throw err;
    });
    for (const n of nodes) check(/^[A-Za-z0-9][A-Za-z0-9.+-]*:\/\/./.test(n.spec?.providerID ?? ''), `Node ${nodeName(n)}: spec.providerID ${json(n.spec?.providerID)} is not of the form <provider>://<id>`);
    for (const { inst, node } of declared(ctx.fixture, nodes)) {
      if (inst.providerID !== undefined) check(node.spec?.providerID === inst.providerID, `Node ${inst.nodeName}: spec.providerID is ${json(node.spec?.providerID)}, expected ${json(inst.providerID)}`);
    }
  },
};

const nodeUninitialized: ClusterConformanceCase = {
  id: 'node.uninitialized-taint',
  title: `no Node keeps the ${TAINT_EXTERNAL_CLOUD_PROVIDER} taint`,
  group: 'node',
  upstream: `${CP} controllers/node/node_controller.go (the taint is removed once the Node is initialised)`,
  skipReason: () => undefined,
  async run(ctx) {
    let still: string[] = [];
    await ctx.deadline.until(
      `removal of the ${TAINT_EXTERNAL_CLOUD_PROVIDER} taint from every Node`,
      async () => {
        still = (await nodesOrFail(ctx)).filter((n) => (n.spec?.taints ?? []).some((t) => t.key === TAINT_EXTERNAL_CLOUD_PROVIDER)).map(nodeName);
        return still.length === 0 ? true : undefined;
      },
      () => `still tainted: ${still.join(', ')}`,
    );
  },
};

/** The Node's addresses restricted to the types the fixture declares, in the Node's order. */
function ofTypes(addresses: readonly NodeAddress[], types: ReadonlySet<string>): string[] {
  return addresses.filter((a) => types.has(a.type)).map((a) => `${a.type}=${a.address}`);
}

const nodeAddresses: ClusterConformanceCase = {
  id: 'node.addresses',
  title: 'every Node has addresses of known types without duplicates, the provided node IP first, the declared ones in the cloud\'s order',
  group: 'node',
  upstream: `${CP} controllers/node/node_controller.go (updateNodeAddress), node/helpers/address.go (GetNodeAddressesFromNodeIP)`,
  skipReason: () => undefined,
  async run(ctx) {
    const nodes = await nodesOrFail(ctx);
    for (const n of nodes) {
      const addrs = n.status?.addresses ?? [];
      const name = nodeName(n);
      check(addrs.length > 0, `Node ${name} has no status.addresses`);
      const seen = new Set<string>();
      for (const a of addrs) {
        check(ADDRESS_TYPES.has(a.type), `Node ${name}: address type ${json(a.type)} is not one of ${[...ADDRESS_TYPES].join(', ')}`);
        const key = `${a.type}=${a.address}`;
        check(!seen.has(key), `Node ${name}: address ${key} is listed twice`);
        seen.add(key);
      }
      // The kubelet's --node-ip (this annotation) must lead the list: upstream puts the matching
      // cloud addresses first, and consumers take the first InternalIP as the node's IP.
      const provided = n.metadata?.annotations?.[ANNOTATION_ALPHA_PROVIDED_IP_ADDR];
      if (provided !== undefined && provided !== '') {
        const first = provided.split(',')[0]?.trim() ?? '';
        check(addrs[0]?.address === first, `Node ${name}: the provided node IP ${first} (${ANNOTATION_ALPHA_PROVIDED_IP_ADDR}) is not the first address: ${json(addrs.map((a) => `${a.type}=${a.address}`))}`);
      }
    }
    for (const { inst, node } of declared(ctx.fixture, nodes)) {
      if (inst.addresses === undefined) continue;
      const types = new Set(inst.addresses.map((a) => a.type));
      const got = ofTypes(node.status?.addresses ?? [], types);
      const want = inst.addresses.map((a) => `${a.type}=${a.address}`);
      check(json(got) === json(want), `Node ${inst.nodeName}: status.addresses (of the declared types) are ${json(got)}, expected ${json(want)} in this order`);
    }
  },
};

const TOPOLOGY_PAIRS = [
  [LABEL_TOPOLOGY_ZONE, LABEL_FAILURE_DOMAIN_BETA_ZONE, 'zone'],
  [LABEL_TOPOLOGY_REGION, LABEL_FAILURE_DOMAIN_BETA_REGION, 'region'],
  [LABEL_INSTANCE_TYPE_STABLE, LABEL_INSTANCE_TYPE, 'instanceType'],
] as const;

const nodeTopology: ClusterConformanceCase = {
  id: 'node.topology-labels',
  title: 'zone, region and instance-type labels: each stable label agrees with its deprecated twin, and with the fixture',
  group: 'node',
  upstream: `${CP} controllers/node/node_controller.go (getNodeModifiersFromCloudProvider); ${E2E_NODES}`,
  skipReason: () => undefined,
  async run(ctx) {
    const nodes = await nodesOrFail(ctx);
    for (const n of nodes) {
      for (const [stable, beta] of TOPOLOGY_PAIRS) {
        const a = label(n, stable);
        const b = label(n, beta);
        if (b !== undefined) check(a === b, `Node ${nodeName(n)}: label ${beta}=${json(b)} but ${stable}=${json(a)} (the CCM sets both to the same value)`);
      }
    }
    for (const { inst, node } of declared(ctx.fixture, nodes)) {
      for (const [stable, , field] of TOPOLOGY_PAIRS) {
        const want = inst[field];
        if (want !== undefined) check(label(node, stable) === want, `Node ${inst.nodeName}: label ${stable} is ${json(label(node, stable))}, expected ${json(want)}`);
      }
      for (const [k, v] of Object.entries(inst.labels ?? {})) check(label(node, k) === v, `Node ${inst.nodeName}: label ${k} is ${json(label(node, k))}, expected ${json(v)}`);
    }
  },
};

const nodeProviderIdStable: ClusterConformanceCase = {
  id: 'node.provider-id-stable',
  title: 'spec.providerID of every Node is unchanged since the run started (checked last)',
  group: 'node',
  upstream: `${CP} controllers/node/node_controller.go (providerID is never rewritten); kubernetes/kubernetes#123024`,
  skipReason: () => undefined,
  async run(ctx) {
    const now = new Map((await listNodes(ctx.session)).map((n) => [nodeName(n), n.spec?.providerID ?? '']));
    for (const [name, before] of ctx.session.providerIDsAtStart) {
      const after = now.get(name);
      if (after === undefined || before === '') continue; // a Node deleted, or not yet initialised at the start
      check(after === before, `Node ${name}: spec.providerID changed during the run from ${json(before)} to ${json(after)}`);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Load-balancer cases: one Service each, in the run's namespace.

function servicePort(port: number, protocol: ServicePort['protocol'] = 'TCP'): ServicePort {
  return { name: 'p', port, protocol, targetPort: port };
}

async function createService(ctx: ClusterCaseContext, name: string, spec: Partial<NonNullable<Service['spec']>> = {}): Promise<Service> {
  const s = ctx.session;
  await s.ensureNamespace();
  return s.kube.services.create(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: s.namespace, labels: suiteLabels(s) },
      // No selector: the suite runs no pods; the CCM must not care (the data plane does).
      spec: { type: 'LoadBalancer', ports: [servicePort(ports(ctx.fixture)[0])], ...spec },
    },
    { signal: s.signal },
  );
}

/** Deletes the case's Service without waiting (the run waits for all of them at its end). */
async function dropService(s: ClusterSession, name: string): Promise<void> {
  try {
    await s.kube.services.delete({ namespace: s.namespace, name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * Runs `body` with a fresh Service, always deleting it afterwards. A traffic Service holds the
 * fixture's one nodePort: the case waits for it to go, so the next can have the port.
 */
async function withService(ctx: ClusterCaseContext, name: string, spec: Partial<NonNullable<Service['spec']>>, body: (svc: Service) => Promise<void>, o: { traffic?: boolean } = {}): Promise<void> {
  const traffic = o.traffic === true ? ctx.fixture.cluster?.traffic : undefined;
  const fixed = traffic === undefined ? spec : { ...spec, ports: [{ ...servicePort(ports(ctx.fixture)[0]), nodePort: traffic.nodePort }] };
  const svc = await createService(ctx, name, fixed);
  try {
    await body(svc);
  } finally {
    await dropService(ctx.session, name);
  }
  // Only after a success (a failure threw above): a failed case's Service is the run's cleanup's to wait for.
  if (traffic !== undefined) {
    await ctx.deadline.until(`Service ${name} gone (its nodePort ${traffic.nodePort} is needed by the next traffic case)`, async () => ((await getService(ctx.session, name)) === undefined ? true : undefined));
  }
}

/** How long one probe waits for an answer. */
const PROBE_TIMEOUT_MS = 3_000;

function ingressHost(svc: Service): string {
  const first = ingressOf(svc)[0];
  return first?.ip ?? first?.hostname ?? '';
}

/**
 * Probes in a row that must go unanswered before "no longer answering" holds: one lost or slow
 * probe is no proof that a load balancer stopped serving.
 */
const UNANSWERED_IN_A_ROW = 3;

/**
 * Waits until a probe of the Service's first ingress point on `port` is answered (`want`), or
 * until {@link UNANSWERED_IN_A_ROW} probes in a row are not (an answer starts the count again).
 */
async function awaitTraffic(ctx: ClusterCaseContext, svc: Service, port: number, want: boolean, when: string): Promise<void> {
  const host = ingressHost(svc);
  let last = '';
  const stopped = stoppedAnsweringAfter(UNANSWERED_IN_A_ROW);
  await ctx.deadline.until(
    want ? `an answer through ${host}:${port} ${when}` : `${host}:${port} no longer answering (${UNANSWERED_IN_A_ROW} probes in a row) ${when}`,
    async () => {
      const r = await probeHttp(host, port, PROBE_TIMEOUT_MS, ctx.session.clock, ctx.session.signal);
      last = r.answered ? 'answered' : r.why;
      if (want) return r.answered ? true : undefined;
      return stopped(r) ? true : undefined;
    },
    () => last,
  );
}

function trafficSkip(f: ConformanceFixture): string | undefined {
  return f.cluster?.traffic === undefined ? 'cluster.traffic is not declared (how a backend is reached)' : undefined;
}

const FOREIGN_CANDIDATES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];

function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && (cidrContains(a, { family: b.family, value: b.network }) || cidrContains(b, { family: a.family, value: a.network }));
}

/**
 * A source range that cannot hold the suite's client: one of the documentation ranges not
 * overlapping it (by address, not by text: 0.0.0.0/0 overlaps them all), or undefined when none is.
 */
function foreignRange(clientCIDR: string): string | undefined {
  const client = parseCidr(clientCIDR);
  if (!client.ok) return undefined;
  return FOREIGN_CANDIDATES.find((c) => {
    const candidate = parseCidr(c);
    return candidate.ok && !overlaps(candidate.cidr, client.cidr);
  });
}

function foreignRangeSkip(f: ConformanceFixture): string | undefined {
  const client = f.cluster?.traffic?.clientCIDR;
  if (client === undefined || foreignRange(client) !== undefined) return undefined;
  if (!parseCidr(client).ok) return `cluster.traffic.clientCIDR ${client} is not a CIDR`;
  return `cluster.traffic.clientCIDR ${client} overlaps every range the case could use to exclude the client (${FOREIGN_CANDIDATES.join(', ')}); declare the narrowest range the suite's connections come from`;
}

/**
 * Waits for ingress; the cleanup finalizer must be there by then (upstream adds it before it
 * asks the cloud for a load balancer, so no load balancer can exist without it).
 */
async function awaitIngress(ctx: ClusterCaseContext, name: string, why = 'status.loadBalancer.ingress'): Promise<Service> {
  let last: Service | undefined;
  const svc = await ctx.deadline.until(
    `${why} of Service ${ctx.session.namespace}/${name}`,
    async () => {
      last = await getService(ctx.session, name);
      return ingressOf(last).length > 0 ? last : undefined;
    },
    () => `ingress ${ingressText(last)}`,
  );
  check(hasFinalizer(svc), `Service ${name} has ingress ${ingressText(svc)} but no ${LOAD_BALANCER_CLEANUP_FINALIZER} finalizer (finalizers: ${json(svc.metadata?.finalizers ?? [])})`);
  for (const i of ingressOf(svc)) check((i.ip ?? '') !== '' || (i.hostname ?? '') !== '', `Service ${name}: an ingress point has neither ip nor hostname: ${json(i)}`);
  return svc;
}

/** Waits until the CCM has reported `reason` about the Service more than `after` times. */
async function awaitEvent(ctx: ClusterCaseContext, svc: Service, reason: string, after: number, when: string): Promise<number> {
  const uid = svc.metadata?.uid ?? '';
  let n = after;
  return ctx.deadline.until(
    `${/^[AEIOU]/.test(reason) ? 'an' : 'a'} ${reason} Event on Service ${svc.metadata?.name ?? ''} ${when}`,
    async () => {
      n = await eventCount(ctx.session, uid, reason);
      return n > after ? n : undefined;
    },
    () => `${n} ${reason} Event(s) in all, ${after} before`,
  );
}

async function patchSpec(ctx: ClusterCaseContext, name: string, spec: Record<string, unknown>): Promise<Service> {
  return ctx.session.kube.services.patch({ namespace: ctx.session.namespace, name }, { type: 'merge', body: { spec } }, { signal: ctx.session.signal });
}

/** Ensures and their Events: the count of EnsuredLoadBalancer before a change. */
async function ensured(ctx: ClusterCaseContext, svc: Service): Promise<number> {
  return eventCount(ctx.session, svc.metadata?.uid ?? '', 'EnsuredLoadBalancer');
}

/** After a spec change: a new ensure is reported and the address did not move. */
async function awaitReensure(ctx: ClusterCaseContext, svc: Service, before: number, change: string): Promise<Service> {
  const name = svc.metadata?.name ?? '';
  await awaitEvent(ctx, svc, 'EnsuredLoadBalancer', before, `after ${change} (the CCM must ensure the load balancer again)`);
  const now = await awaitIngress(ctx, name, `ingress after ${change}`);
  check(ingressText(now) === ingressText(svc), `Service ${name}: ingress moved from ${ingressText(svc)} to ${ingressText(now)} after ${change}`);
  return now;
}

const lbCreate: ClusterConformanceCase = {
  id: 'lb.create',
  title: `a LoadBalancer Service gets ingress, the ${LOAD_BALANCER_CLEANUP_FINALIZER} finalizer, and the EnsuringLoadBalancer and EnsuredLoadBalancer Events`,
  group: 'loadBalancer',
  upstream: `${E2E_LB} ("should handle load balancer cleanup finalizer for service", "should be able to change the type and ports of a TCP service"); ${CP} controllers/service/controller.go`,
  skipReason: (f) => lbSkip(f),
  run: (ctx) =>
    withService(ctx, 'conf-create', {}, async (created) => {
      const svc = await awaitIngress(ctx, 'conf-create');
      check((svc.spec?.ports?.[0]?.nodePort ?? 0) > 0, 'Service conf-create has no nodePort (allocateLoadBalancerNodePorts defaults to true)');
      await awaitEvent(ctx, created, 'EnsuringLoadBalancer', 0, 'after its creation');
      await awaitEvent(ctx, created, 'EnsuredLoadBalancer', 0, 'after its creation');
    }),
};

const lbPortChange: ClusterConformanceCase = {
  id: 'lb.port-change',
  title: 'a port change is ensured again and keeps the address',
  group: 'loadBalancer',
  upstream: `${E2E_LB} ("should be able to change the type and ports of a TCP service": the IP stays when the port changes)`,
  skipReason: (f) => lbSkip(f),
  run: (ctx) =>
    withService(ctx, 'conf-port', {}, async () => {
      const svc = await awaitIngress(ctx, 'conf-port');
      const before = await awaitEvent(ctx, svc, 'EnsuredLoadBalancer', 0, 'after its creation');
      const [, p2] = ports(ctx.fixture);
      const port = svc.spec?.ports?.[0];
      await patchSpec(ctx, 'conf-port', { ports: [{ ...port, port: p2, targetPort: p2 }] });
      await awaitReensure(ctx, svc, before, `the port change to ${p2}`);
    }),
};

const lbProtocolChange: ClusterConformanceCase = {
  id: 'lb.protocol-change',
  title: 'a TCP port changed to UDP is ensured again and keeps the address',
  group: 'loadBalancer',
  upstream: `${E2E_LB} ("should be able to change the type and ports of a UDP service")`,
  skipReason: (f) => lbSkip(f) ?? ((f.loadBalancer?.protocols ?? []).includes('UDP') ? undefined : 'loadBalancer.protocols does not declare UDP'),
  run: (ctx) =>
    withService(ctx, 'conf-protocol', {}, async () => {
      const svc = await awaitIngress(ctx, 'conf-protocol');
      const before = await awaitEvent(ctx, svc, 'EnsuredLoadBalancer', 0, 'after its creation');
      const port = svc.spec?.ports?.[0];
      await patchSpec(ctx, 'conf-protocol', { ports: [{ ...port, protocol: 'UDP' }] });
      await awaitReensure(ctx, svc, before, 'the protocol change to UDP');
    }),
};

const lbSourceRanges: ClusterConformanceCase = {
  id: 'lb.source-ranges',
  title: 'loadBalancerSourceRanges set, changed and removed: each change is ensured again and keeps the address',
  group: 'loadBalancer',
  upstream: `${E2E_LB} ("should only allow access from service loadbalancer source ranges"); ${CP} controllers/service/controller.go (needsUpdate: source ranges)`,
  skipReason: (f) => lbSkip(f, 'sourceRanges'),
  run: (ctx) =>
    withService(ctx, 'conf-ranges', { loadBalancerSourceRanges: ['192.0.2.0/24'] }, async () => {
      let svc = await awaitIngress(ctx, 'conf-ranges');
      let before = await awaitEvent(ctx, svc, 'EnsuredLoadBalancer', 0, 'after its creation');
      await patchSpec(ctx, 'conf-ranges', { loadBalancerSourceRanges: ['198.51.100.0/24', '203.0.113.7/32'] });
      svc = await awaitReensure(ctx, svc, before, 'the source-range change');
      before = await ensured(ctx, svc);
      await patchSpec(ctx, 'conf-ranges', { loadBalancerSourceRanges: null });
      await awaitReensure(ctx, svc, before, 'the source ranges\' removal');
    }),
};

const lbEtpLocal: ClusterConformanceCase = {
  id: 'lb.external-traffic-policy-local',
  title: 'externalTrafficPolicy Local gets ingress and a healthCheckNodePort (neither traffic nor the health check is probed); switching to Cluster is ensured again',
  group: 'loadBalancer',
  upstream: `${E2E_LB} (ESIPP "should work for type=LoadBalancer", "should handle updates to ExternalTrafficPolicy field")`,
  skipReason: (f) => lbSkip(f, 'externalTrafficPolicyLocal'),
  run: (ctx) =>
    withService(ctx, 'conf-etp', { externalTrafficPolicy: 'Local' }, async () => {
      const svc = await awaitIngress(ctx, 'conf-etp');
      check((svc.spec?.healthCheckNodePort ?? 0) > 0, `Service conf-etp (externalTrafficPolicy Local) has no spec.healthCheckNodePort: ${json(svc.spec?.healthCheckNodePort)}`);
      const before = await awaitEvent(ctx, svc, 'EnsuredLoadBalancer', 0, 'after its creation');
      await patchSpec(ctx, 'conf-etp', { externalTrafficPolicy: 'Cluster' });
      // (Whether healthCheckNodePort goes is the apiserver's business, not the CCM's: not checked.)
      await awaitReensure(ctx, svc, before, 'the switch to externalTrafficPolicy Cluster');
    }),
};

async function setExcluded(ctx: ClusterCaseContext, node: string, excluded: boolean): Promise<void> {
  const s = ctx.session;
  const body = excluded
    ? { metadata: { labels: { [LABEL_NODE_EXCLUDE_BALANCERS]: 'true' }, annotations: { [EXCLUDED_BY_ANNOTATION]: s.runId } } }
    : { metadata: { labels: { [LABEL_NODE_EXCLUDE_BALANCERS]: null }, annotations: { [EXCLUDED_BY_ANNOTATION]: null } } };
  await s.kube.nodes.patch({ name: node }, { type: 'merge', body }, excluded ? { signal: s.signal } : {});
}

/** Upstream reports a host update as UpdatedLoadBalancer, or UnAvailableLoadBalancer when no host is left. */
async function hostUpdates(ctx: ClusterCaseContext, svc: Service): Promise<number> {
  const uid = svc.metadata?.uid ?? '';
  return (await eventCount(ctx.session, uid, 'UpdatedLoadBalancer')) + (await eventCount(ctx.session, uid, 'UnAvailableLoadBalancer'));
}

async function awaitHostUpdate(ctx: ClusterCaseContext, svc: Service, before: number, when: string): Promise<number> {
  let n = before;
  return ctx.deadline.until(
    `an UpdatedLoadBalancer (or UnAvailableLoadBalancer) Event on Service ${svc.metadata?.name ?? ''} ${when}`,
    async () => {
      n = await hostUpdates(ctx, svc);
      return n > before ? n : undefined;
    },
    () => `${n} host update Event(s) in all, ${before} before`,
  );
}

const lbHostSetChange: ClusterConformanceCase = {
  id: 'lb.host-set-change',
  title: `a Node labelled ${LABEL_NODE_EXCLUDE_BALANCERS} and unlabelled: the load balancer's hosts are updated each time`,
  group: 'loadBalancer',
  upstream: `${CP} controllers/service/controller.go (nodeSyncService: "Updated load balancer with new hosts"); ${E2E_LB} (ESIPP "should only target nodes with endpoints")`,
  skipReason: (f) => lbSkip(f) ?? (f.cluster?.excludeNode === undefined ? 'cluster.excludeNode is not declared (the case labels that Node)' : undefined),
  async run(ctx) {
    const target = ctx.fixture.cluster?.excludeNode ?? '';
    const node = (await listNodes(ctx.session)).find((n) => nodeName(n) === target);
    if (node === undefined) fail(`cluster.excludeNode: Node ${target} is not in the cluster`);
    if (label(node, LABEL_NODE_EXCLUDE_BALANCERS) !== undefined) fail(`cluster.excludeNode: Node ${target} already carries ${LABEL_NODE_EXCLUDE_BALANCERS}; name a Node that does not`);
    await withService(ctx, 'conf-hosts', {}, async () => {
      const svc = await awaitIngress(ctx, 'conf-hosts');
      await awaitEvent(ctx, svc, 'EnsuredLoadBalancer', 0, 'after its creation');
      let before = await hostUpdates(ctx, svc);
      try {
        await setExcluded(ctx, target, true);
        before = await awaitHostUpdate(ctx, svc, before, `after Node ${target} was excluded`);
      } finally {
        await setExcluded(ctx, target, false);
      }
      await awaitHostUpdate(ctx, svc, before, `after Node ${target} was included again`);
    });
  },
};

const lbTypeChange: ClusterConformanceCase = {
  id: 'lb.type-change-cleanup',
  title: 'LoadBalancer → ClusterIP: DeletingLoadBalancer and DeletedLoadBalancer, the finalizer removed, the ingress cleared',
  group: 'loadBalancer',
  upstream: `${E2E_LB} ("should be able to change the type and ports of a TCP service", "should handle load balancer cleanup finalizer for service"); ${CP} controllers/service/controller.go (needsCleanup)`,
  skipReason: (f) => lbSkip(f),
  run: (ctx) =>
    withService(ctx, 'conf-type', {}, async () => {
      const svc = await awaitIngress(ctx, 'conf-type');
      const traffic = ctx.fixture.cluster?.traffic !== undefined;
      if (traffic) await awaitTraffic(ctx, svc, ports(ctx.fixture)[0], true, 'before the change to ClusterIP');
      await patchSpec(ctx, 'conf-type', { type: 'ClusterIP' });
      let last: Service | undefined;
      await ctx.deadline.until(
        `removal of the ${LOAD_BALANCER_CLEANUP_FINALIZER} finalizer and of the ingress of Service conf-type after its change to ClusterIP`,
        async () => {
          last = await getService(ctx.session, 'conf-type');
          return last !== undefined && !hasFinalizer(last) && ingressOf(last).length === 0 ? true : undefined;
        },
        () => `finalizers ${json(last?.metadata?.finalizers ?? [])}, ingress ${ingressText(last)}`,
      );
      await awaitEvent(ctx, svc, 'DeletingLoadBalancer', 0, 'after its change to ClusterIP');
      await awaitEvent(ctx, svc, 'DeletedLoadBalancer', 0, 'after its change to ClusterIP');
      // As upstream's e2e: the old address must stop serving — the load balancer is really gone.
      if (traffic) await awaitTraffic(ctx, svc, ports(ctx.fixture)[0], false, 'after the change to ClusterIP (the load balancer must be deleted)');
    }, { traffic: true }),
};

const lbTraffic: ClusterConformanceCase = {
  id: 'lb.traffic',
  title: 'a connection to the ingress address reaches a backend; after a port change, the new port does',
  group: 'loadBalancer',
  upstream: `${E2E_LB} ("should be able to change the type and ports of a TCP service": reachable on the old port, then on the new one)`,
  skipReason: (f) => lbSkip(f) ?? trafficSkip(f),
  run: (ctx) =>
    withService(ctx, 'conf-traffic', {}, async () => {
      const svc = await awaitIngress(ctx, 'conf-traffic');
      const [p1, p2] = ports(ctx.fixture);
      await awaitTraffic(ctx, svc, p1, true, 'once ingress is assigned');
      const before = await awaitEvent(ctx, svc, 'EnsuredLoadBalancer', 0, 'after its creation');
      const port = svc.spec?.ports?.[0];
      await patchSpec(ctx, 'conf-traffic', { ports: [{ ...port, port: p2, targetPort: p2 }] });
      const moved = await awaitReensure(ctx, svc, before, `the port change to ${p2}`);
      await awaitTraffic(ctx, moved, p2, true, `on the new port ${p2}`);
      await awaitTraffic(ctx, moved, p1, false, `on the old port ${p1} after the port change`);
    }, { traffic: true }),
};

const lbSourceRangesTraffic: ClusterConformanceCase = {
  id: 'lb.source-ranges-traffic',
  title: 'loadBalancerSourceRanges are enforced: the client\'s range answers, a foreign range blocks it, removing the ranges opens it again',
  group: 'loadBalancer',
  upstream: `${E2E_LB} ("should only allow access from service loadbalancer source ranges")`,
  skipReason: (f) => lbSkip(f, 'sourceRanges') ?? trafficSkip(f) ?? foreignRangeSkip(f),
  async run(ctx) {
    const client = ctx.fixture.cluster?.traffic?.clientCIDR ?? '';
    const foreign = foreignRange(client) ?? fail(`cluster.traffic.clientCIDR ${client}: no range that excludes the client`);
    const [p1] = ports(ctx.fixture);
    await withService(ctx, 'conf-ranges-traffic', { loadBalancerSourceRanges: [client] }, async () => {
      const svc = await awaitIngress(ctx, 'conf-ranges-traffic');
      await awaitTraffic(ctx, svc, p1, true, `with loadBalancerSourceRanges [${client}] (the client's range)`);
      await patchSpec(ctx, 'conf-ranges-traffic', { loadBalancerSourceRanges: [foreign] });
      await awaitTraffic(ctx, svc, p1, false, `with loadBalancerSourceRanges [${foreign}], which excludes the client`);
      await patchSpec(ctx, 'conf-ranges-traffic', { loadBalancerSourceRanges: null });
      await awaitTraffic(ctx, svc, p1, true, 'once the source ranges are removed');
    }, { traffic: true });
  },
};

const lbDelete: ClusterConformanceCase = {
  id: 'lb.delete',
  title: 'deleting the Service: the CCM removes its finalizer (DeletedLoadBalancer) and the Service goes',
  group: 'loadBalancer',
  upstream: `${E2E_LB} ("should handle load balancer cleanup finalizer for service")`,
  skipReason: (f) => lbSkip(f),
  run: (ctx) =>
    withService(ctx, 'conf-delete', {}, async () => {
      const svc = await awaitIngress(ctx, 'conf-delete');
      await dropService(ctx.session, 'conf-delete');
      let last: Service | undefined;
      await ctx.deadline.until(
        'Service conf-delete gone after its deletion (the CCM removes its finalizer)',
        async () => {
          last = await getService(ctx.session, 'conf-delete');
          return last === undefined ? true : undefined;
        },
        () => `deletionTimestamp ${json(last?.metadata?.deletionTimestamp)}, finalizers ${json(last?.metadata?.finalizers ?? [])}`,
      );
      await awaitEvent(ctx, svc, 'DeletedLoadBalancer', 0, 'after its deletion');
    }),
};

/** Every cluster-level case, in the order they run (the providerID stability check last). */
export const CLUSTER_CASES: readonly ClusterConformanceCase[] = [
  nodeProviderId,
  nodeUninitialized,
  nodeAddresses,
  nodeTopology,
  lbCreate,
  lbPortChange,
  lbProtocolChange,
  lbSourceRanges,
  lbSourceRangesTraffic,
  lbTraffic,
  lbEtpLocal,
  lbHostSetChange,
  lbTypeChange,
  lbDelete,
  nodeProviderIdStable,
];
