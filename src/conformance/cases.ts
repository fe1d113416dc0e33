/**
 * The provider-level conformance cases. Each builds a fresh {@link World}, plays kubelet and user
 * on the simulated API, lets the real controllers call the provider, and checks what a cluster
 * would see (the Node, the Service, its status) and, through hooks, what the cloud holds. Each
 * names the upstream case it follows (docs/conformance.md lists them).
 *
 * @module
 */
import type { LoadBalancerIngress, Node, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { LOAD_BALANCER_CLEANUP_FINALIZER, TAINT_EXTERNAL_CLOUD_PROVIDER, TAINT_NODE_SHUTDOWN } from '../cloud/constants.js';
import { RetryError } from '../cloud/errors.js';
import type { LoadBalancer } from '../cloud/load-balancer.js';
import type { CloudProvider } from '../cloud/provider.js';
import {
  LABEL_FAILURE_DOMAIN_BETA_REGION,
  LABEL_FAILURE_DOMAIN_BETA_ZONE,
  LABEL_INSTANCE_TYPE,
  LABEL_INSTANCE_TYPE_STABLE,
  LABEL_TOPOLOGY_REGION,
  LABEL_TOPOLOGY_ZONE,
} from '../controllers/node/node-labels.js';
import { LABEL_NODE_EXCLUDE_BALANCERS } from '../controllers/service/node-predicates.js';
import { errorMessage } from '../log/error-message.js';
import type { ConformanceFixture, FixtureInstance } from './fixture.js';
import type { InspectedLoadBalancer } from './hooks.js';
import { ConformanceCheckError, World } from './world.js';
import type { ConformanceTarget } from './world.js';

/** Thrown by a case that finds, once the provider is built, that it cannot check (a hook is missing). */
export class CaseSkipped extends Error {
  override readonly name = 'CaseSkipped';
}

/** What a case runs with. */
export interface CaseContext {
  readonly fixture: ConformanceFixture;
  readonly target: ConformanceTarget;
}

/** One conformance case. */
export interface ConformanceCase {
  /** Stable id, `group.name`. */
  readonly id: string;
  /** What it shows, as a sentence. */
  readonly title: string;
  /** The capability it belongs to (a column of the matrix). */
  readonly group: 'node' | 'lifecycle' | 'loadBalancer' | 'routes';
  /** The upstream source it follows. */
  readonly upstream: string;
  /** Why the fixture rules it out, or undefined. */
  skipReason(fixture: ConformanceFixture): string | undefined;
  /** Runs it; throws {@link ConformanceCheckError} (or any error) to fail, {@link CaseSkipped} to skip. */
  run(ctx: CaseContext): Promise<void>;
}

const E2E_LB = 'k8s test/e2e/network/loadbalancer.go';
const CP = 'k8s.io/cloud-provider';

function fail(message: string): never {
  throw new ConformanceCheckError(message);
}

function check(ok: boolean, message: string): void {
  if (!ok) fail(message);
}

const json = (v: unknown): string => JSON.stringify(v);

function hasInstances(p: CloudProvider): boolean {
  return p.instancesV2?.() !== undefined || p.instances?.() !== undefined;
}

function rawLoadBalancer(world: World): LoadBalancer {
  const lb = world.provider.loadBalancer?.();
  if (lb === undefined) fail(`provider ${json(world.provider.name)} has no loadBalancer capability, but the fixture declares load-balancer features`);
  return lb;
}

/** A Node as a kubelet with `--cloud-provider=external` registers it. */
function nodeObject(inst: FixtureInstance, o: { tainted: boolean; ready: 'True' | 'False' | 'Unknown'; addresses: boolean }): Node {
  const cidrs = inst.podCIDRs ?? [];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: inst.nodeName, labels: { 'kubernetes.io/hostname': inst.nodeName } },
    spec: {
      ...(o.tainted ? { taints: [{ key: TAINT_EXTERNAL_CLOUD_PROVIDER, value: 'true', effect: 'NoSchedule' }] } : {}),
      ...(cidrs.length > 0 ? { podCIDR: cidrs[0], podCIDRs: cidrs } : {}),
    },
    status: {
      conditions: [{ type: 'Ready', status: o.ready, reason: 'KubeletReady' }],
      ...(o.addresses && inst.addresses !== undefined ? { addresses: inst.addresses } : {}),
    },
  };
}

function tainted(node: Node | undefined, key: string): boolean {
  return (node?.spec?.taints ?? []).some((t) => t.key === key);
}

async function startWorld(ctx: CaseContext, routes = false): Promise<World> {
  return World.start(ctx.target, {
    clusterName: ctx.fixture.clusterName ?? 'kubernetes',
    ...(routes && ctx.fixture.routes !== undefined ? { clusterCIDR: ctx.fixture.routes.clusterCIDR } : {}),
  });
}

/** Runs `body` in a fresh world, always stopping it. */
async function inWorld(ctx: CaseContext, body: (w: World) => Promise<void>, routes = false): Promise<void> {
  const world = await startWorld(ctx, routes);
  try {
    await body(world);
  } finally {
    await world.stop();
  }
}

/** Creates the fixture's Nodes (all, or those `pick` keeps) and, if the provider initialises Nodes, waits for it. */
async function createNodes(w: World, instances: readonly FixtureInstance[], ready: (i: FixtureInstance) => 'True' | 'False' | 'Unknown' = () => 'True'): Promise<void> {
  const init = hasInstances(w.provider);
  for (const inst of instances) await w.admin.nodes.create(nodeObject(inst, { tainted: init, ready: ready(inst), addresses: !init }));
  if (!init) return;
  for (const inst of instances) {
    await w.until(() => !tainted(w.node(inst.nodeName), TAINT_EXTERNAL_CLOUD_PROVIDER), `Node ${inst.nodeName} initialised (the ${TAINT_EXTERNAL_CLOUD_PROVIDER} taint removed)`);
  }
}

function instancesOf(f: ConformanceFixture): FixtureInstance[] {
  return f.instances ?? [];
}

function running(f: ConformanceFixture): FixtureInstance[] {
  return instancesOf(f).filter((i) => i.shutdown !== true);
}

// ---------------------------------------------------------------------------------------------
// Node initialisation

function nodeInitCase(
  id: string,
  title: string,
  upstream: string,
  declared: (i: FixtureInstance) => boolean,
  what: string,
  checkNode: (node: Node, inst: FixtureInstance) => void,
): ConformanceCase {
  return {
    id,
    title,
    group: 'node',
    upstream,
    skipReason: (f) => (instancesOf(f).some(declared) ? undefined : `no instance in the fixture declares ${what}`),
    run: (ctx) =>
      inWorld(ctx, async (w) => {
        if (!hasInstances(w.provider)) fail(`provider ${json(w.provider.name)} implements neither instancesV2 nor instances, but the fixture declares instances`);
        const chosen = instancesOf(ctx.fixture).filter(declared);
        await createNodes(w, chosen);
        for (const inst of chosen) {
          const node = w.node(inst.nodeName);
          if (node === undefined) fail(`Node ${inst.nodeName} is gone`);
          checkNode(node, inst);
        }
      }),
  };
}

function labelIs(node: Node, key: string, want: string | undefined): void {
  const got = node.metadata?.labels?.[key];
  // An empty answer from the provider leaves the label unset, as upstream.
  if (want === undefined || want === '') check(got === undefined, `Node ${node.metadata?.name}: label ${key} is ${json(got)}, expected none`);
  else check(got === want, `Node ${node.metadata?.name}: label ${key} is ${json(got)}, expected ${json(want)}`);
}

const NODE_CASES: ConformanceCase[] = [
  nodeInitCase(
    'node.provider-id',
    'initialising a Node sets spec.providerID to the instance\'s ID',
    `${CP} controllers/node/node_controller_test.go (TestNodeProvidedIPAddresses, providerID cases); k8s test/e2e/cloud/nodes.go`,
    (i) => i.providerID !== undefined,
    'a providerID',
    (node, inst) => check(node.spec?.providerID === inst.providerID, `Node ${inst.nodeName}: spec.providerID is ${json(node.spec?.providerID)}, expected ${json(inst.providerID)}`),
  ),
  nodeInitCase(
    'node.addresses',
    'initialising a Node sets status.addresses to the instance\'s addresses',
    `${CP} controllers/node/node_controller_test.go (TestNodeAddresses)`,
    (i) => i.addresses !== undefined,
    'addresses',
    (node, inst) => {
      const key = (a: { type: string; address: string }): string => `${a.type}=${a.address}`;
      const got = (node.status?.addresses ?? []).map(key).sort();
      const want = (inst.addresses ?? []).map(key).sort();
      check(json(got) === json(want), `Node ${inst.nodeName}: status.addresses are ${json(got)}, expected ${json(want)}`);
    },
  ),
  nodeInitCase(
    'node.topology-labels',
    'initialising a Node sets the zone, region and instance-type labels (stable and deprecated)',
    `${CP} controllers/node/node_controller_test.go (TestZoneInitialized, TestNodeInitialized)`,
    (i) => i.zone !== undefined || i.region !== undefined || i.instanceType !== undefined,
    'a zone, region or instanceType',
    (node, inst) => {
      if (inst.zone !== undefined) for (const key of [LABEL_TOPOLOGY_ZONE, LABEL_FAILURE_DOMAIN_BETA_ZONE]) labelIs(node, key, inst.zone);
      if (inst.region !== undefined) for (const key of [LABEL_TOPOLOGY_REGION, LABEL_FAILURE_DOMAIN_BETA_REGION]) labelIs(node, key, inst.region);
      if (inst.instanceType !== undefined) for (const key of [LABEL_INSTANCE_TYPE_STABLE, LABEL_INSTANCE_TYPE]) labelIs(node, key, inst.instanceType);
    },
  ),
  nodeInitCase(
    'node.additional-labels',
    'initialising a Node adds the provider\'s additional labels',
    `${CP} controllers/node/node_controller_test.go (InstanceMetadata.AdditionalLabels cases)`,
    (i) => i.labels !== undefined && Object.keys(i.labels).length > 0,
    'labels',
    (node, inst) => {
      for (const [key, value] of Object.entries(inst.labels ?? {})) labelIs(node, key, value);
    },
  ),
  nodeInitCase(
    'node.uninitialized-taint',
    `initialising a Node removes the ${TAINT_EXTERNAL_CLOUD_PROVIDER} taint and keeps the Node`,
    `${CP} controllers/node/node_controller_test.go (TestNodeInitialized)`,
    () => true,
    'an instance',
    (node, inst) => check(!tainted(node, TAINT_EXTERNAL_CLOUD_PROVIDER), `Node ${inst.nodeName} still has the uninitialized taint`),
  ),
];

// ---------------------------------------------------------------------------------------------
// Node lifecycle

const LIFECYCLE_CASES: ConformanceCase[] = [
  {
    id: 'lifecycle.shutdown-taint',
    title: `a not-Ready Node of a shut-down instance gets the ${TAINT_NODE_SHUTDOWN} taint and is not deleted`,
    group: 'lifecycle',
    upstream: `${CP} controllers/nodelifecycle/node_lifecycle_controller_test.go (TestNodeShutdown)`,
    skipReason: (f) => (instancesOf(f).some((i) => i.shutdown === true) ? undefined : 'no instance in the fixture is declared shutdown: true'),
    run: (ctx) =>
      inWorld(ctx, async (w) => {
        const down = instancesOf(ctx.fixture).filter((i) => i.shutdown === true);
        // The lifecycle controller looks only at Nodes that are not Ready (as upstream).
        await createNodes(w, down, () => 'Unknown');
        for (const inst of down) {
          await w.until(() => tainted(w.node(inst.nodeName), TAINT_NODE_SHUTDOWN), `Node ${inst.nodeName} tainted ${TAINT_NODE_SHUTDOWN}`);
        }
        await w.pass(30_000);
        for (const inst of down) check(w.node(inst.nodeName) !== undefined, `Node ${inst.nodeName} was deleted, but a shut-down instance still exists`);
      }),
  },
  {
    id: 'lifecycle.instance-gone',
    title: 'a not-Ready Node whose instance is gone from the cloud is deleted; a Ready one is kept',
    group: 'lifecycle',
    upstream: 'k8s test/e2e/cloud/nodes.go ("should be deleted on API server if it doesn\'t exist in the cloud provider")',
    skipReason: (f) => (running(f).length > 0 ? undefined : 'the fixture declares no running instance'),
    run: (ctx) =>
      inWorld(ctx, async (w) => {
        const remove = w.hooks.removeInstance;
        if (remove === undefined) throw new CaseSkipped('no removeInstance hook: the suite cannot make an instance gone from this cloud');
        const [inst] = running(ctx.fixture);
        if (inst === undefined) return;
        await createNodes(w, [inst]);
        await remove(w.provider, inst.nodeName);
        await w.pass(30_000);
        check(w.node(inst.nodeName) !== undefined, `Node ${inst.nodeName} was deleted while Ready`);
        await w.admin.nodes.patchStatus({ name: inst.nodeName }, { type: 'strategic', body: { status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] } } });
        await w.until(() => w.node(inst.nodeName) === undefined, `Node ${inst.nodeName} deleted after its instance was removed`);
      }),
  },
];

// ---------------------------------------------------------------------------------------------
// Load balancers

function lbPorts(f: ConformanceFixture): [number, number] {
  return f.loadBalancer?.ports ?? [8080, 8081];
}

function lbService(name: string, ports: ServicePort[], spec: Service['spec'] = {}): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'LoadBalancer', selector: { app: name }, ports, ...spec } };
}

function ingressOf(s: Service | undefined): LoadBalancerIngress[] {
  return s?.status?.loadBalancer?.ingress ?? [];
}

/** The ingress addresses (IPs and hostnames), sorted: what must not move when a Service changes. */
function addresses(s: Service | undefined): string {
  return json(ingressOf(s).map((i) => i.ip ?? i.hostname).sort());
}

async function waitIngress(w: World, name: string): Promise<Service> {
  let found: Service | undefined;
  await w.until(() => {
    found = w.service(name);
    return ingressOf(found).length > 0;
  }, `Service ${name} got status.loadBalancer.ingress`);
  return found as Service;
}

/** The number of successful ensures of `name` so far. */
function ensures(w: World, name: string): number {
  return w.calls.of('ensureLoadBalancer', `default/${name}`).filter((c) => c.error === undefined).length;
}

/** Applies `change` to the stored Service (an update, as kubectl edit) and waits for the next successful ensure. */
async function changeAndEnsure(w: World, name: string, change: (s: Service) => void, what: string): Promise<Service> {
  const before = ensures(w, name);
  const current = await w.admin.services.get({ namespace: 'default', name });
  change(current);
  await w.admin.services.update(current);
  await w.until(() => ensures(w, name) > before, `ensureLoadBalancer succeeded after ${what}`);
  return waitIngress(w, name);
}

async function inspect(w: World, service: Service, need: string): Promise<InspectedLoadBalancer | undefined> {
  const hook = w.hooks.inspectLoadBalancer;
  if (hook === undefined) throw new CaseSkipped(`no inspectLoadBalancer hook: the suite cannot see ${need} in this cloud`);
  return hook(w.provider, service);
}

function portSet(ports: readonly { port: number; protocol?: string | undefined }[] | undefined): string {
  return json((ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`).sort());
}

async function checkLookup(w: World, service: Service): Promise<void> {
  const lookup = await rawLoadBalancer(w).getLoadBalancer(w.clusterName, service);
  check(lookup.exists, `getLoadBalancer says the load balancer of ${service.metadata?.name} does not exist`);
  const stored = ingressOf(service).map((i) => i.ip ?? i.hostname).sort();
  const answered = (lookup.status?.ingress ?? []).map((i) => i.ip ?? i.hostname).sort();
  check(json(stored) === json(answered), `getLoadBalancer answers ingress ${json(answered)}, the Service shows ${json(stored)}`);
}

/** A load-balancer case: nodes initialised, then `body`. */
function lbCase(
  id: string,
  title: string,
  upstream: string,
  body: (w: World, f: ConformanceFixture) => Promise<void>,
  needs: (lb: NonNullable<ConformanceFixture['loadBalancer']>, f: ConformanceFixture) => string | undefined = () => undefined,
): ConformanceCase {
  return {
    id,
    title,
    group: 'loadBalancer',
    upstream,
    skipReason: (f) => (f.loadBalancer === undefined ? 'the fixture declares no loadBalancer' : needs(f.loadBalancer, f)),
    run: (ctx) =>
      inWorld(ctx, async (w) => {
        rawLoadBalancer(w);
        await createNodes(w, running(ctx.fixture));
        await body(w, ctx.fixture);
      }),
  };
}

const tcp = (port: number, name = `tcp-${port}`): ServicePort => ({ name, port, protocol: 'TCP', targetPort: 80 });
const udp = (port: number, name = `udp-${port}`): ServicePort => ({ name, port, protocol: 'UDP', targetPort: 53 });

async function createAndWait(w: World, service: Service): Promise<Service> {
  await w.admin.services.create(service);
  return waitIngress(w, service.metadata?.name ?? '');
}

const LB_CASES: ConformanceCase[] = [
  lbCase('lb.create', 'a LoadBalancer Service gets an ingress point and the cleanup finalizer; getLoadBalancer agrees', `${E2E_LB} ("should be able to change the type and ports of a TCP service", creation step); "should handle load balancer cleanup finalizer for service"`, async (w, f) => {
    const [p] = lbPorts(f);
    const s = await createAndWait(w, lbService('conf-create', [tcp(p)]));
    for (const ing of ingressOf(s)) check(ing.ip !== undefined || ing.hostname !== undefined, `an ingress point has neither ip nor hostname: ${json(ing)}`);
    check((s.metadata?.finalizers ?? []).includes(LOAD_BALANCER_CLEANUP_FINALIZER), `Service has no ${LOAD_BALANCER_CLEANUP_FINALIZER} finalizer`);
    await checkLookup(w, s);
    if (w.hooks.inspectLoadBalancer !== undefined) {
      const lb = await w.hooks.inspectLoadBalancer(w.provider, s);
      check(lb !== undefined, 'the cloud holds no load balancer for the Service');
      if (lb?.ports !== undefined) check(portSet(lb.ports) === portSet([{ port: p, protocol: 'TCP' }]), `the cloud serves ports ${portSet(lb.ports)}, expected ${portSet([{ port: p }])}`);
    }
  }),
  lbCase('lb.port-change', 'changing a Service port moves the load balancer to the new port, keeping its address', `${E2E_LB} ("should be able to change the type and ports of a TCP service")`, async (w, f) => {
    const [p, q] = lbPorts(f);
    const s = await createAndWait(w, lbService('conf-ports', [tcp(p, 'web')]));
    await inspect(w, s, 'the load balancer\'s ports');
    const changed = await changeAndEnsure(w, 'conf-ports', (svc) => {
      const port = svc.spec?.ports?.[0];
      if (port !== undefined) port.port = q;
    }, `the port changed ${p} → ${q}`);
    check(addresses(changed) === addresses(s), `the ingress changed with the port: ${addresses(s)} → ${addresses(changed)}`);
    const lb = await inspect(w, changed, 'the load balancer\'s ports');
    check(lb?.ports !== undefined, 'inspectLoadBalancer reports no ports');
    check(portSet(lb?.ports) === portSet([{ port: q }]), `after the port change the cloud serves ${portSet(lb?.ports)}, expected ${portSet([{ port: q }])}`);
  }),
  lbCase(
    'lb.host-set-change',
    'a Node leaving and rejoining the backend set reaches the load balancer through updateLoadBalancer',
    `${CP} controllers/service/controller_test.go (TestNodesNotEqual, TestNodeChangesForExternalTrafficPolicyLocalServices); ${E2E_LB} ESIPP ("should only target nodes with endpoints")`,
    async (w, f) => {
      const [p] = lbPorts(f);
      const s = await createAndWait(w, lbService('conf-hosts', [tcp(p)]));
      const all = running(f).map((i) => i.nodeName).sort();
      const before = await inspect(w, s, 'the load balancer\'s backends');
      check(before?.nodes !== undefined, 'inspectLoadBalancer reports no nodes');
      check(json([...(before?.nodes ?? [])].sort()) === json(all), `the load balancer sends to ${json(before?.nodes)}, expected ${json(all)}`);
      const [leaving] = all;
      if (leaving === undefined) return;
      const updates = (): number => w.calls.of('updateLoadBalancer', 'default/conf-hosts').filter((c) => c.error === undefined).length;
      const u0 = updates();
      await w.admin.nodes.patch({ name: leaving }, { type: 'merge', body: { metadata: { labels: { [LABEL_NODE_EXCLUDE_BALANCERS]: 'true' } } } });
      await w.until(() => updates() > u0, `updateLoadBalancer succeeded after Node ${leaving} was excluded`);
      const after = await inspect(w, s, 'the load balancer\'s backends');
      const want = all.filter((n) => n !== leaving);
      check(json([...(after?.nodes ?? [])].sort()) === json(want), `after excluding ${leaving} the load balancer sends to ${json(after?.nodes)}, expected ${json(want)}`);
      const u1 = updates();
      await w.admin.nodes.patch({ name: leaving }, { type: 'merge', body: { metadata: { labels: { [LABEL_NODE_EXCLUDE_BALANCERS]: null } } } });
      await w.until(() => updates() > u1, `updateLoadBalancer succeeded after Node ${leaving} rejoined`);
      const back = await inspect(w, s, 'the load balancer\'s backends');
      check(json([...(back?.nodes ?? [])].sort()) === json(all), `after ${leaving} rejoined the load balancer sends to ${json(back?.nodes)}, expected ${json(all)}`);
      check(addresses(w.service('conf-hosts')) === addresses(s), 'the ingress changed with the backend set');
    },
    (_lb, f) => (running(f).length >= 2 ? undefined : 'needs two running instances in the fixture (one leaves the backend set)'),
  ),
  lbCase(
    'lb.udp',
    'a UDP Service gets a load balancer serving UDP',
    `${E2E_LB} ("should be able to change the type and ports of a UDP service")`,
    async (w, f) => {
      const [p] = lbPorts(f);
      const s = await createAndWait(w, lbService('conf-udp', [udp(p)]));
      await checkLookup(w, s);
      const lb = await w.hooks.inspectLoadBalancer?.(w.provider, s);
      if (lb?.ports !== undefined) check(portSet(lb.ports) === portSet([{ port: p, protocol: 'UDP' }]), `the cloud serves ${portSet(lb.ports)}, expected ${portSet([{ port: p, protocol: 'UDP' }])}`);
    },
    (lb) => (lb.protocols?.includes('UDP') === true ? undefined : 'UDP is not among loadBalancer.protocols'),
  ),
  lbCase(
    'lb.mixed-protocols',
    'a Service with TCP and UDP on one port gets one load balancer serving both',
    'KEP-1435 MixedProtocolLBService; cloud-provider-kind tests/tests.bats ("Multiple Protocols UDP+TCP")',
    async (w, f) => {
      const [p] = lbPorts(f);
      const s = await createAndWait(w, lbService('conf-mixed', [tcp(p, 'tcp'), udp(p, 'udp')]));
      await checkLookup(w, s);
      const lb = await w.hooks.inspectLoadBalancer?.(w.provider, s);
      const want = [{ port: p, protocol: 'TCP' }, { port: p, protocol: 'UDP' }];
      if (lb?.ports !== undefined) check(portSet(lb.ports) === portSet(want), `the cloud serves ${portSet(lb.ports)}, expected ${portSet(want)}`);
    },
    (lb) => (lb.mixedProtocols === true ? undefined : 'loadBalancer.mixedProtocols is not declared'),
  ),
  lbCase(
    'lb.source-ranges',
    'loadBalancerSourceRanges are accepted and a change of them is ensured without moving the address',
    `${E2E_LB} ("should only allow access from service loadbalancer source ranges")`,
    async (w, f) => {
      const [p] = lbPorts(f);
      const s = await createAndWait(w, lbService('conf-ranges', [tcp(p)], { loadBalancerSourceRanges: ['10.0.0.0/8'] }));
      const changed = await changeAndEnsure(w, 'conf-ranges', (svc) => {
        if (svc.spec !== undefined) svc.spec.loadBalancerSourceRanges = ['192.168.0.0/16', '172.16.0.0/12'];
      }, 'the source ranges changed');
      check(addresses(changed) === addresses(s), 'the ingress changed with the source ranges');
    },
    (lb) => (lb.sourceRanges === true ? undefined : 'loadBalancer.sourceRanges is not declared'),
  ),
  lbCase(
    'lb.external-traffic-policy-local',
    'externalTrafficPolicy: Local (with its healthCheckNodePort) is served, and switching it to Cluster and back is ensured',
    `${E2E_LB} ESIPP ("should work for type=LoadBalancer", "should handle updates to ExternalTrafficPolicy field")`,
    async (w, f) => {
      const [p] = lbPorts(f);
      const s = await createAndWait(w, lbService('conf-etp', [tcp(p)], { externalTrafficPolicy: 'Local' }));
      check(s.spec?.healthCheckNodePort !== undefined, 'the Service has no healthCheckNodePort');
      await checkLookup(w, s);
      const cluster = await changeAndEnsure(w, 'conf-etp', (svc) => {
        if (svc.spec === undefined) return;
        svc.spec.externalTrafficPolicy = 'Cluster';
        delete svc.spec.healthCheckNodePort;
      }, 'externalTrafficPolicy changed to Cluster');
      check(addresses(cluster) === addresses(s), 'the ingress changed with externalTrafficPolicy');
      await changeAndEnsure(w, 'conf-etp', (svc) => {
        if (svc.spec !== undefined) svc.spec.externalTrafficPolicy = 'Local';
      }, 'externalTrafficPolicy changed back to Local');
    },
    (lb) => (lb.externalTrafficPolicyLocal === true ? undefined : 'loadBalancer.externalTrafficPolicyLocal is not declared'),
  ),
  lbCase(
    'lb.session-affinity',
    'sessionAffinity: ClientIP is served, and switching it off is ensured',
    `${E2E_LB} ("should have session affinity work for LB service with ESIPP off", "should be able to switch session affinity for LB service with ESIPP off")`,
    async (w, f) => {
      const [p] = lbPorts(f);
      const s = await createAndWait(w, lbService('conf-affinity', [tcp(p)], { sessionAffinity: 'ClientIP' }));
      await checkLookup(w, s);
      await changeAndEnsure(w, 'conf-affinity', (svc) => {
        if (svc.spec === undefined) return;
        svc.spec.sessionAffinity = 'None';
        delete svc.spec.sessionAffinityConfig;
      }, 'sessionAffinity switched to None');
    },
    (lb) => (lb.sessionAffinity === true ? undefined : 'loadBalancer.sessionAffinity is not declared'),
  ),
  lbCase(
    'lb.ip-mode',
    'every ingress point carries the declared ipMode (VIP: also none, the apiserver\'s default)',
    'KEP-1860 LoadBalancerIPMode',
    async (w, f) => {
      const [p] = lbPorts(f);
      const want = f.loadBalancer?.ipMode;
      const s = await createAndWait(w, lbService('conf-ipmode', [tcp(p)]));
      for (const ing of ingressOf(s)) {
        const got = ing.ipMode;
        check(got === want || (want === 'VIP' && got === undefined && ing.ip !== undefined), `ingress ${json(ing)}: ipMode ${json(got)}, expected ${json(want)}`);
      }
    },
    (lb) => (lb.ipMode !== undefined ? undefined : 'loadBalancer.ipMode is not declared'),
  ),
  lbCase(
    'lb.requested-ip',
    'a Service asking for spec.loadBalancerIP gets that address',
    'cloud-provider-kind tests/custom-network/tests.bats ("Static LoadBalancerIP"); core/v1 ServiceSpec.loadBalancerIP',
    async (w, f) => {
      const [p] = lbPorts(f);
      const want = f.loadBalancer?.requestedIP ?? '';
      const s = await createAndWait(w, lbService('conf-static', [tcp(p)], { loadBalancerIP: want }));
      const ips = ingressOf(s).map((i) => i.ip);
      check(ips.includes(want), `the ingress is ${json(ips)}, expected ${json(want)}`);
    },
    (lb) => (lb.requestedIP !== undefined ? undefined : 'loadBalancer.requestedIP is not declared'),
  ),
  lbCase('lb.type-change-cleanup', 'changing type LoadBalancer → ClusterIP deletes the load balancer, clears the ingress and removes the finalizer', `${E2E_LB} ("should be able to change the type and ports of a TCP service", "should handle load balancer cleanup finalizer for service")`, async (w, f) => {
    const [p] = lbPorts(f);
    const s = await createAndWait(w, lbService('conf-type', [tcp(p)]));
    const current = await w.admin.services.get({ namespace: 'default', name: 'conf-type' });
    if (current.spec !== undefined) {
      current.spec.type = 'ClusterIP';
      for (const port of current.spec.ports ?? []) delete port.nodePort;
      delete current.spec.externalTrafficPolicy;
      delete current.spec.allocateLoadBalancerNodePorts;
    }
    await w.admin.services.update(current);
    await w.until(() => {
      const now = w.service('conf-type');
      return ingressOf(now).length === 0 && !(now?.metadata?.finalizers ?? []).includes(LOAD_BALANCER_CLEANUP_FINALIZER);
    }, 'the ingress cleared and the finalizer removed after the type change');
    const lookup = await rawLoadBalancer(w).getLoadBalancer(w.clusterName, s);
    check(!lookup.exists, 'getLoadBalancer still finds the load balancer after the type change');
    const lb = await w.hooks.inspectLoadBalancer?.(w.provider, s);
    check(lb === undefined, `the cloud still holds the load balancer: ${json(lb)}`);
  }),
  lbCase('lb.delete', 'deleting the Service deletes the load balancer, then the Service goes', `${E2E_LB} ("should handle load balancer cleanup finalizer for service")`, async (w, f) => {
    const [p] = lbPorts(f);
    const s = await createAndWait(w, lbService('conf-delete', [tcp(p)]));
    await w.admin.services.delete({ namespace: 'default', name: 'conf-delete' });
    await w.until(() => w.service('conf-delete') === undefined, 'the Service gone (its finalizer removed) after delete');
    const lookup = await rawLoadBalancer(w).getLoadBalancer(w.clusterName, s);
    check(!lookup.exists, 'getLoadBalancer still finds the load balancer after the Service was deleted');
    const lb = await w.hooks.inspectLoadBalancer?.(w.provider, s);
    check(lb === undefined, `the cloud still holds the load balancer: ${json(lb)}`);
  }),
  lbCase('lb.delete-already-gone', 'deleting a Service whose load balancer is already gone from the cloud succeeds (ensureLoadBalancerDeleted is idempotent)', `${CP} cloud.go (EnsureLoadBalancerDeleted: "must return nil if the load balancer does not exist"); controllers/service/controller_test.go (TestProcessServiceDeletion)`, async (w, f) => {
    const [p] = lbPorts(f);
    const s = await createAndWait(w, lbService('conf-gone', [tcp(p)]));
    const lb = rawLoadBalancer(w);
    // The controller checks getLoadBalancer before deleting (as upstream); the load balancer then
    // vanishes in the cloud (a console user, a parallel cleanup) before its ensureLoadBalancerDeleted.
    w.calls.beforeNext('ensureLoadBalancerDeleted', () => lb.ensureLoadBalancerDeleted(w.clusterName, s));
    await w.admin.services.delete({ namespace: 'default', name: 'conf-gone' });
    await w.until(() => w.service('conf-gone') === undefined, 'the Service gone after delete, its load balancer gone just before');
    const failed = w.calls.of('ensureLoadBalancerDeleted', 'default/conf-gone').filter((c) => c.error !== undefined);
    check(failed.length === 0, `ensureLoadBalancerDeleted failed ${failed.length} time(s) for a load balancer already gone: ${String(failed[0]?.error)}`);
    const lookup = await lb.getLoadBalancer(w.clusterName, s);
    check(!lookup.exists, 'getLoadBalancer still finds the load balancer');
    // And called directly once more, long after.
    try {
      await lb.ensureLoadBalancerDeleted(w.clusterName, s);
    } catch (err) {
      fail(`ensureLoadBalancerDeleted of a load balancer already gone threw: ${errorMessage(err)}`);
    }
  }),
  lbCase('lb.idempotent-ensure', 'ensuring an unchanged Service again keeps its address and succeeds', `${CP} controllers/service/controller_test.go (TestSyncLoadBalancerIfNeeded, "service that needs cleanup"/"update" cases); cloud.go (EnsureLoadBalancer)`, async (w, f) => {
    const [p] = lbPorts(f);
    const s = await createAndWait(w, lbService('conf-again', [tcp(p)]));
    for (let i = 1; i <= 2; i++) {
      const again = await changeAndEnsure(w, 'conf-again', (svc) => {
        svc.metadata = { ...svc.metadata, annotations: { ...svc.metadata?.annotations, 'conformance.outrigger.io/touch': String(i) } };
      }, `an annotation changed (#${i})`);
      check(addresses(again) === addresses(s), `ensure #${i + 1} moved the ingress: ${addresses(s)} → ${addresses(again)}`);
    }
    await checkLookup(w, s);
  }),
  lbCase('lb.retry-error', 'after a RetryError the load balancer is ensured again after the given delay, not before, and ends with one stable address', `${CP} cloud.go (RetryError); controllers/service/controller.go (processNextWorkItem: AddAfter on RetryError)`, async (w, f) => {
    const [p] = lbPorts(f);
    // The provider does its work; the suite then answers "still provisioning" in its place.
    w.calls.failAfterNext('ensureLoadBalancer', () => new RetryError('conformance: load balancer still provisioning', 15_000));
    await w.admin.services.create(lbService('conf-retry', [tcp(p)]));
    const tried = (): number => w.calls.of('ensureLoadBalancer', 'default/conf-retry').length;
    await w.until(() => tried() >= 1, 'the first ensureLoadBalancer');
    await w.pass(14_000);
    check(tried() === 1, `ensureLoadBalancer was called ${tried()} times within 14 s of a RetryError(15 s)`);
    check(ingressOf(w.service('conf-retry')).length === 0, 'the Service has an ingress although its only ensure answered RetryError');
    const s = await waitIngress(w, 'conf-retry');
    await checkLookup(w, s);
  }),
  lbCase('lb.name', 'getLoadBalancerName is stable, non-empty, distinct per Service UID (and within loadBalancer.nameMaxLength)', `${CP} cloud.go (GetLoadBalancerName, DefaultLoadBalancerName: 32 characters)`, async (w, f) => {
    const lb = rawLoadBalancer(w);
    const long = 'a'.repeat(63);
    const svc = (uid: string): Service => ({ ...lbService(long, [tcp(lbPorts(f)[0])]), metadata: { name: long, namespace: 'default', uid } });
    const a = svc('5d1c1e0a-6b9e-4a57-9d3c-1f2e3d4c5b6a');
    const b = svc('8f03b2c4-1d7e-4e62-b0a9-7c5d4e3f2a1b');
    const [n1, n2, m] = [await lb.getLoadBalancerName(w.clusterName, a), await lb.getLoadBalancerName(w.clusterName, a), await lb.getLoadBalancerName(w.clusterName, b)];
    check(n1 !== '', 'getLoadBalancerName answered an empty name');
    check(n1 === n2, `getLoadBalancerName is not stable: ${json(n1)} then ${json(n2)}`);
    check(n1 !== m, `two Services with different UIDs get the same name ${json(n1)}`);
    const max = f.loadBalancer?.nameMaxLength;
    if (max !== undefined) for (const n of [n1, m]) check(n.length <= max, `name ${json(n)} is ${n.length} characters, more than ${max}`);
  }),
];

// ---------------------------------------------------------------------------------------------
// Routes

function routedInstances(f: ConformanceFixture): FixtureInstance[] {
  return instancesOf(f).filter((i) => (i.podCIDRs ?? []).length > 0);
}

async function routeSet(w: World): Promise<string[]> {
  const routes = w.provider.routes?.();
  if (routes === undefined) fail(`provider ${json(w.provider.name)} has no routes capability, but the fixture declares routes`);
  return (await routes.listRoutes(w.clusterName)).map((r) => `${r.targetNode} ${r.destinationCIDR}`).sort();
}

function wantedRoutes(instances: readonly FixtureInstance[], dual: boolean): string[] {
  return instances.flatMap((i) => (dual ? (i.podCIDRs ?? []) : (i.podCIDRs ?? []).slice(0, 1)).map((c) => `${i.nodeName} ${c}`)).sort();
}

function isDualStack(f: ConformanceFixture): boolean {
  return (f.routes?.clusterCIDR ?? '').includes(',');
}

function routeCase(id: string, title: string, upstream: string, body: (w: World, f: ConformanceFixture) => Promise<void>, needs: (f: ConformanceFixture) => string | undefined = () => undefined): ConformanceCase {
  return {
    id,
    title,
    group: 'routes',
    upstream,
    skipReason: (f) => (f.routes === undefined ? 'the fixture declares no routes' : needs(f)),
    run: (ctx) => inWorld(ctx, (w) => body(w, ctx.fixture), true),
  };
}

async function waitRoutes(w: World, want: string[], what: string): Promise<void> {
  let got: string[] = [];
  try {
    await w.until(async () => json((got = await routeSet(w))) === json(want), what);
  } catch (err) {
    if (err instanceof ConformanceCheckError) fail(`${err.message}; listRoutes answers ${json(got)}, expected ${json(want)}`);
    throw err;
  }
}

const ROUTE_CASES: ConformanceCase[] = [
  routeCase('routes.create', 'a route is created for each Node\'s pod CIDR and listRoutes answers it', `${CP} controllers/route/route_controller_test.go (TestReconcile: "2 nodes, no routes")`, async (w, f) => {
    const nodes = routedInstances(f);
    const dual = isDualStack(f);
    for (const inst of nodes) await w.admin.nodes.create(nodeObject(dual ? inst : { ...inst, podCIDRs: (inst.podCIDRs ?? []).slice(0, 1) }, { tainted: false, ready: 'True', addresses: true }));
    await waitRoutes(w, wantedRoutes(nodes, dual), 'a route per Node pod CIDR');
  }),
  routeCase('routes.delete', 'the route of a deleted Node is deleted', `${CP} controllers/route/route_controller_test.go (TestReconcile: "2 nodes, one route already there, one extra")`, async (w, f) => {
    const nodes = routedInstances(f);
    const dual = isDualStack(f);
    for (const inst of nodes) await w.admin.nodes.create(nodeObject(dual ? inst : { ...inst, podCIDRs: (inst.podCIDRs ?? []).slice(0, 1) }, { tainted: false, ready: 'True', addresses: true }));
    await waitRoutes(w, wantedRoutes(nodes, dual), 'a route per Node pod CIDR');
    const [gone, ...kept] = nodes;
    if (gone === undefined) return;
    await w.admin.nodes.delete({ name: gone.nodeName });
    await waitRoutes(w, wantedRoutes(kept, dual), `the routes of deleted Node ${gone.nodeName} removed`);
  }),
  routeCase(
    'routes.dual-stack',
    'a dual-stack Node gets one route per pod CIDR (IPv4 and IPv6)',
    `${CP} controllers/route/route_controller_test.go (TestReconcile dual-stack cases)`,
    async (w, f) => {
      const nodes = routedInstances(f).filter((i) => (i.podCIDRs ?? []).length === 2);
      for (const inst of nodes) await w.admin.nodes.create(nodeObject(inst, { tainted: false, ready: 'True', addresses: true }));
      await waitRoutes(w, wantedRoutes(nodes, true), 'a route per pod CIDR of each dual-stack Node');
    },
    (f) => (isDualStack(f) && routedInstances(f).some((i) => (i.podCIDRs ?? []).length === 2) ? undefined : 'routes.clusterCIDR is not dual-stack or no instance has two podCIDRs'),
  ),
];

/** Every provider-level case, in the order they run. */
export const PROVIDER_CASES: readonly ConformanceCase[] = [...NODE_CASES, ...LIFECYCLE_CASES, ...LB_CASES, ...ROUTE_CASES];
