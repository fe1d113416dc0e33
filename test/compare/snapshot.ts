/**
 * What a CCM leaves behind, normalised for comparison: Nodes (spec, labels, taints, addresses,
 * conditions), Services (load-balancer status, finalizers), Events (involved object, type,
 * reason) and the cloud call log (methods and arguments). Identifiers that differ between two
 * runs by construction — UIDs, resourceVersions, timestamps — are left out or masked.
 *
 * @module
 */
import type { Event, Node, Service } from 'kubernetes-types/core/v1.js';
import type { CloudCall } from '../reference-ccm/start-reference-ccm.js';

/** A normalised Node. */
export interface NodeView {
  readonly providerID: string;
  readonly podCIDRs: readonly string[];
  readonly unschedulable: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly string[];
  readonly addresses: readonly string[];
  readonly conditions: readonly string[];
}

/** A normalised Service. */
export interface ServiceView {
  readonly finalizers: readonly string[];
  readonly loadBalancer: unknown;
}

/** A run's normalised result. */
export interface Snapshot {
  readonly nodes: Readonly<Record<string, NodeView>>;
  readonly services: Readonly<Record<string, ServiceView>>;
  /** The addresses the cloud allocated, sorted (which Service got which is masked above). */
  readonly allocatedIPs: readonly string[];
  /** `Kind namespace/name Type Reason`, each once (count ≥ 1). */
  readonly events: readonly string[];
  /** Cloud calls that change the cloud, in call order per object (`method object args`). */
  readonly cloudWrites: Readonly<Record<string, readonly string[]>>;
  /** Cloud calls that only read, each distinct call once (their number follows timing). */
  readonly cloudReads: readonly string[];
}

const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const sorted = <T>(items: Iterable<T>): T[] => [...items].sort();

function nodeView(node: Node): NodeView {
  const spec = node.spec ?? {};
  return {
    providerID: spec.providerID ?? '',
    podCIDRs: spec.podCIDRs ?? (spec.podCIDR === undefined ? [] : [spec.podCIDR]),
    unschedulable: spec.unschedulable ?? false,
    labels: Object.fromEntries(sorted(Object.entries(node.metadata?.labels ?? {}))),
    taints: sorted((spec.taints ?? []).map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`)),
    // Order is part of the contract (the first InternalIP is the node IP): kept as it is.
    addresses: (node.status?.addresses ?? []).map((a) => `${a.type}=${a.address}`),
    conditions: sorted((node.status?.conditions ?? []).map((c) => `${c.type}=${c.status} reason=${c.reason ?? ''} message=${c.message ?? ''}`)),
  };
}

/**
 * A Service's view. An address the cloud allocated (not one the config fixed for this Service) is
 * masked: the cloud hands addresses out in the order Services are processed, which follows the
 * informer's and the queue's order, not the case; the allocated addresses are compared as a set.
 */
function serviceView(service: Service, allocated: boolean): ServiceView {
  const lb = service.status?.loadBalancer ?? {};
  const masked = allocated ? { ...lb, ingress: (lb.ingress ?? []).map((i) => (i.ip === undefined ? i : { ...i, ip: '<allocated>' })) } : lb;
  return { finalizers: sorted(service.metadata?.finalizers ?? []), loadBalancer: lb.ingress === undefined ? lb : masked };
}

/**
 * Events the apiserver itself records (its ClusterIP and node-port repair loops notice the
 * runner's fast delete-and-recreate): not the CCM's, so not compared.
 */
const APISERVER_EVENT_SOURCE = /repair-controller|^kube-apiserver/;

/**
 * Cloud writes a single worker orders per object (one Service or one route at a time), compared in
 * sequence. `updateLoadBalancer` is not among them: upstream calls it from its node-sync loop,
 * which runs beside the Service workers, so how often and when it comes follows timing; its
 * distinct calls are compared as a set, with the reads.
 */
const WRITE_METHODS = new Set(['ensureLoadBalancer', 'ensureLoadBalancerDeleted', 'createRoute', 'deleteRoute']);

/**
 * The object a cloud write is about: the Service key for load balancers; the node and destination
 * for routes (upstream creates a node's routes — one per pod CIDR — concurrently, so only the
 * calls for one destination are ordered).
 */
function writeSubject(call: CloudCall): string {
  if (call.method.endsWith('LoadBalancer') || call.method === 'ensureLoadBalancerDeleted') return `service ${String(call.args[1])}`;
  const route = (call.method === 'createRoute' ? call.args[2] : call.args[1]) as { targetNode?: string; destinationCIDR?: string } | undefined;
  return `route ${route?.targetNode ?? '?'} ${route?.destinationCIDR ?? '?'}`;
}

/** `value` with object keys in sorted order, so JSON text compares equal whatever wrote it. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/** A call with node lists sorted, object keys ordered and UIDs masked, as one comparable string. */
function callText(call: CloudCall): string {
  const args = (call.args ?? []).map((a) => (Array.isArray(a) ? [...(a as unknown[])].map(String).sort() : a));
  return `${call.method}(${JSON.stringify(canonical(args)).replace(UID, '<uid>').slice(1, -1)})`;
}

/** Normalises what one run left behind. */
export function normalise(
  nodes: readonly Node[],
  services: readonly Service[],
  events: readonly Event[],
  calls: readonly CloudCall[],
  fixedStatuses: ReadonlySet<string> = new Set(),
): Snapshot {
  const key = (s: Service): string => `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`;
  const lbServices = services.filter((s) => s.metadata?.name !== 'kubernetes');
  const cloudWrites: Record<string, string[]> = {};
  const reads = new Set<string>();
  for (const call of calls) {
    if (WRITE_METHODS.has(call.method)) (cloudWrites[writeSubject(call)] ??= []).push(callText(call));
    else reads.add(callText(call));
  }
  return {
    nodes: Object.fromEntries(sorted(nodes.map((n) => [n.metadata?.name ?? '', nodeView(n)] as const))),
    services: Object.fromEntries(
      sorted(lbServices.map((s) => [key(s), serviceView(s, !fixedStatuses.has(key(s)))] as const)),
    ),
    allocatedIPs: sorted(
      lbServices.filter((s) => !fixedStatuses.has(key(s))).flatMap((s) => (s.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip === undefined ? [] : [i.ip]))),
    ),
    events: sorted(
      new Set(
        events.filter((e) => !APISERVER_EVENT_SOURCE.test(e.reportingComponent ?? e.source?.component ?? '')).map((e) => {
          const o = e.involvedObject;
          return `${o.kind ?? ''} ${o.namespace === undefined || o.namespace === '' ? '' : `${o.namespace}/`}${o.name ?? ''} ${e.type ?? ''} ${e.reason ?? ''}`;
        }),
      ),
    ),
    cloudWrites: Object.fromEntries(sorted(Object.entries(cloudWrites))),
    cloudReads: sorted(reads),
  };
}

/** One difference: where, and what each CCM left. */
export interface Difference {
  /** e.g. `node n1 labels`, `events`, `cloud writes service default/web`. */
  readonly path: string;
  readonly upstream: string;
  readonly outrigger: string;
}

const text = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

function diffRecords(prefix: string, a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>, out: Difference[], fields?: readonly string[]): void {
  for (const key of sorted(new Set([...Object.keys(a), ...Object.keys(b)]))) {
    const x = a[key];
    const y = b[key];
    if (x === undefined || y === undefined || fields === undefined) {
      if (JSON.stringify(x) !== JSON.stringify(y)) out.push({ path: `${prefix} ${key}`, upstream: text(x), outrigger: text(y) });
      continue;
    }
    for (const field of fields) {
      const fx = (x as Record<string, unknown>)[field];
      const fy = (y as Record<string, unknown>)[field];
      if (JSON.stringify(fx) !== JSON.stringify(fy)) out.push({ path: `${prefix} ${key} ${field}`, upstream: text(fx), outrigger: text(fy) });
    }
  }
}

function diffSets(path: string, a: readonly string[], b: readonly string[], out: Difference[]): void {
  const onlyA = a.filter((x) => !b.includes(x));
  const onlyB = b.filter((x) => !a.includes(x));
  for (const x of onlyA) out.push({ path: `${path} ${x}`, upstream: 'present', outrigger: 'absent' });
  for (const x of onlyB) out.push({ path: `${path} ${x}`, upstream: 'absent', outrigger: 'present' });
}

/** Every difference between the upstream and the Outrigger snapshot. */
export function diffSnapshots(upstream: Snapshot, outrigger: Snapshot): Difference[] {
  const out: Difference[] = [];
  diffRecords('node', upstream.nodes, outrigger.nodes, out, ['providerID', 'podCIDRs', 'unschedulable', 'labels', 'taints', 'addresses', 'conditions']);
  diffRecords('service', upstream.services, outrigger.services, out, ['finalizers', 'loadBalancer']);
  if (JSON.stringify(upstream.allocatedIPs) !== JSON.stringify(outrigger.allocatedIPs)) {
    out.push({ path: 'allocated addresses', upstream: text(upstream.allocatedIPs), outrigger: text(outrigger.allocatedIPs) });
  }
  diffSets('event', upstream.events, outrigger.events, out);
  diffRecords('cloud writes', upstream.cloudWrites, outrigger.cloudWrites, out);
  diffSets('cloud read', upstream.cloudReads, outrigger.cloudReads, out);
  return out;
}
