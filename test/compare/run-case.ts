/**
 * Runs one parity case through one CCM on a real test cluster: wipe the cluster, apply the
 * case's objects, start the CCM, wait until it is quiet, snapshot, stop it.
 *
 * "Quiet" is observed, not slept for: the runner polls the apiserver's audit log (every write of
 * the CCM's own user) and the cloud call log, and the run is quiet once the case's condition
 * holds on the API (e.g. every Node initialised, every LoadBalancer Service given an address) and
 * neither log has grown for {@link QUIET_WINDOW_MS}, within a bounded deadline. A CCM that exits
 * or never gets there fails the run with the last lines of its output.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Event, Node, Service } from 'kubernetes-types/core/v1.js';
import type { KubeTestCluster } from '../../src/testing.js';
import { readCallLog, startOutriggerCcm, startReferenceCcm } from '../reference-ccm/start-reference-ccm.js';
import type { CcmProcess, CloudCall } from '../reference-ccm/start-reference-ccm.js';
import type { ParityCase } from './cases.js';
import { normalise } from './snapshot.js';
import type { Snapshot } from './snapshot.js';

/** How long neither the CCM's API writes nor its cloud writes may change before it counts as quiet. */
export const QUIET_WINDOW_MS = 3_000;
/** The bound on one run, from CCM start to quiet. */
export const RUN_DEADLINE_MS = 60_000;
const POLL_MS = 200;
const UNINITIALIZED = 'node.cloudprovider.kubernetes.io/uninitialized';
const CLOUD_WRITES = new Set(['ensureLoadBalancer', 'updateLoadBalancer', 'ensureLoadBalancerDeleted', 'createRoute', 'deleteRoute']);

/** The cluster a runner works on: the test cluster and one kubeconfig per CCM identity. */
export interface ParityCluster {
  readonly cluster: KubeTestCluster;
  readonly kubeconfig: Readonly<Record<Which, string>>;
  readonly user: Readonly<Record<Which, string>>;
}

export type Which = 'upstream' | 'outrigger';

/** The outcome of one run. */
export type RunOutcome =
  | { readonly ok: true; readonly snapshot: Snapshot; readonly elapsedMs: number; readonly apiWrites: number }
  | { readonly ok: false; readonly reason: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ListOf<T> {
  items: T[];
}

async function list<T>(pc: ParityCluster, path: string): Promise<T[]> {
  const res = await pc.cluster.request('GET', path);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${res.text}`);
  return (res.json as ListOf<T>).items;
}

async function must(pc: ParityCluster, method: string, path: string, body: unknown, ok: readonly number[]): Promise<unknown> {
  const res = await pc.cluster.request(method, path, body);
  if (!ok.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}

/**
 * Deletes every Node, every Service but `kubernetes` (finalizers stripped first: no CCM runs to
 * remove them) and every Event, and waits until the lists say they are gone.
 */
export async function wipe(pc: ParityCluster): Promise<void> {
  for (const s of await list<Service>(pc, '/api/v1/services')) {
    const ns = s.metadata?.namespace ?? 'default';
    const name = s.metadata?.name ?? '';
    if (ns === 'default' && name === 'kubernetes') continue;
    if ((s.metadata?.finalizers ?? []).length > 0) {
      await must(pc, 'PUT', `/api/v1/namespaces/${ns}/services/${name}`, { ...s, metadata: { ...s.metadata, finalizers: [] } }, [200, 404, 409]);
    }
    await must(pc, 'DELETE', `/api/v1/namespaces/${ns}/services/${name}`, undefined, [200, 202, 404]);
  }
  await must(pc, 'DELETE', '/api/v1/nodes', undefined, [200]);
  for (const ns of ['default', 'kube-system']) await must(pc, 'DELETE', `/api/v1/namespaces/${ns}/events`, undefined, [200]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const left =
      (await list<Node>(pc, '/api/v1/nodes')).length +
      (await list<Service>(pc, '/api/v1/services')).filter((s) => s.metadata?.name !== 'kubernetes').length +
      (await list<Event>(pc, '/api/v1/events')).length;
    if (left === 0) return;
    if (Date.now() > deadline) throw new Error(`wiping the cluster: ${left} objects still there after 30 s`);
    // A Service whose finalizer a CCM re-added between our update and delete: strip it again.
    for (const s of await list<Service>(pc, '/api/v1/services')) {
      if (s.metadata?.name === 'kubernetes' || (s.metadata?.finalizers ?? []).length === 0) continue;
      await must(pc, 'PUT', `/api/v1/namespaces/${s.metadata?.namespace ?? 'default'}/services/${s.metadata?.name ?? ''}`, { ...s, metadata: { ...s.metadata, finalizers: [] } }, [200, 404, 409]);
    }
    await sleep(POLL_MS);
  }
}

/** Creates the case's objects as a kubelet and a user would: Nodes with their status, then Services. */
export async function applyObjects(pc: ParityCluster, c: ParityCase): Promise<void> {
  for (const node of c.nodes) {
    const { status, ...rest } = node;
    const created = (await must(pc, 'POST', '/api/v1/nodes', rest, [201])) as Node;
    if (status !== undefined) await must(pc, 'PUT', `/api/v1/nodes/${node.metadata?.name ?? ''}/status`, { ...created, status }, [200]);
  }
  for (const service of c.services) {
    const ns = service.metadata?.namespace ?? 'default';
    await must(pc, 'POST', `/api/v1/namespaces/${ns}/services`, { ...service, metadata: { ...service.metadata, namespace: ns } }, [201]);
  }
}

const isLoadBalancer = (s: Service): boolean => s.spec?.type === 'LoadBalancer' && (s.spec.loadBalancerClass ?? '') === '';

/** Whether the case runs the controller `name` (`*` runs all). */
export function runsController(c: ParityCase, name: string): boolean {
  return c.controllers.includes('*') || c.controllers.includes(name);
}

const hasEvent = (events: readonly Event[], kind: string, name: string, reason: string, namespace?: string): boolean =>
  events.some((e) => e.involvedObject.kind === kind && e.involvedObject.name === name && e.reason === reason && (namespace === undefined || e.involvedObject.namespace === namespace));

/**
 * The default condition of a case: what its controllers must have done before quiet counts —
 * every Node the case started tainted is initialised and has its `Synced` Event, every
 * LoadBalancer Service has an address and its `EnsuredLoadBalancer` Event, every Node named in
 * `expectDeleted` is gone. (Waiting for the Events too keeps a CCM descheduled between its last
 * object write and its Event write on a loaded machine from being snapshotted too early.)
 */
export function defaultSettled(c: ParityCase, nodes: readonly Node[], services: readonly Service[], events: readonly Event[]): boolean {
  const tainted = new Set(c.expectTainted ?? []);
  const startedTainted = new Set(c.nodes.filter((n) => (n.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED)).map((n) => n.metadata?.name ?? ''));
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    if (tainted.has(name) || !runsController(c, 'cloud-node')) continue;
    if ((n.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED)) return false;
    if (startedTainted.has(name) && !hasEvent(events, 'Node', name, 'Synced')) return false;
  }
  for (const gone of c.expectDeleted ?? []) if (nodes.some((n) => n.metadata?.name === gone)) return false;
  const noIngress = new Set(c.expectNoIngress ?? []);
  if (runsController(c, 'service') && (c.cloud['capabilities'] === undefined || (c.cloud['capabilities'] as string[]).includes('loadBalancer'))) {
    for (const s of services) {
      if (!isLoadBalancer(s) || noIngress.has(s.metadata?.name ?? '')) continue;
      if ((s.status?.loadBalancer?.ingress ?? []).length === 0) return false;
      if (!hasEvent(events, 'Service', s.metadata?.name ?? '', 'EnsuredLoadBalancer', s.metadata?.namespace)) return false;
    }
  }
  return true;
}

/**
 * Whether the CCM has asked the cloud about every object its controllers must look at: each Node
 * (cloud node controller: by name or providerID), each not-ready Node (lifecycle), each Service
 * that wants a load balancer or holds the cleanup finalizer (service), the route table (route).
 * Until then a quiet audit log only means the CCM has not started yet; this keeps a CCM that
 * starts slowly on a loaded machine from being snapshotted before it acted — also in cases whose
 * right outcome is that nothing changes.
 */
export function askedAboutEverything(c: ParityCase, calls: readonly CloudCall[]): boolean {
  const texts = calls.map((x) => `${x.method} ${JSON.stringify(x.args ?? [])}`);
  const mentioned = (method: RegExp, ...needles: string[]): boolean => texts.some((t) => method.test(t) && needles.some((n) => t.includes(n)));
  const caps = c.cloud['capabilities'] as string[] | undefined;
  const has = (cap: string): boolean => caps === undefined || caps.includes(cap);
  for (const n of c.nodes) {
    const name = n.metadata?.name ?? '';
    const ids = [`"${name}"`, ...(n.spec?.providerID === undefined ? [] : [`"${n.spec.providerID}"`])];
    if (runsController(c, 'cloud-node') && (has('instances') || has('instancesV2')) && !mentioned(/^instance|^nodeAddresses/, ...ids)) return false;
    const ready = (n.status?.conditions ?? []).find((x) => x.type === 'Ready')?.status;
    if (runsController(c, 'cloud-node-lifecycle') && ready !== 'True' && !mentioned(/^instance(Exists|Shutdown)/, ...ids)) return false;
  }
  if (runsController(c, 'service') && has('loadBalancer')) {
    for (const s of c.services) {
      const wants = s.spec?.type === 'LoadBalancer' && (s.spec.loadBalancerClass ?? '') === '';
      const finalizer = (s.metadata?.finalizers ?? []).includes('service.kubernetes.io/load-balancer-cleanup');
      if ((wants || finalizer) && !mentioned(/LoadBalancer/, `"${s.metadata?.namespace ?? 'default'}/${s.metadata?.name ?? ''}"`)) return false;
    }
  }
  if (runsController(c, 'route') && has('routes') && c.flags.includes('--allocate-node-cidrs=true') && !texts.some((t) => t.startsWith('listRoutes'))) return false;
  return true;
}

/** Flags of a case, the same for both CCMs. */
export function caseFlags(c: ParityCase): string[] {
  return [`--controllers=${c.controllers.join(',')}`, '--node-monitor-period=1s', ...c.flags];
}

/** Runs `c` through one CCM on a wiped cluster and snapshots what it left. */
export async function runCase(pc: ParityCluster, c: ParityCase, which: Which, workDir: string, index: number): Promise<RunOutcome> {
  await wipe(pc);
  await applyObjects(pc, c);
  const cloudConfig = join(workDir, `case-${index}.json`);
  await writeFile(cloudConfig, JSON.stringify(c.cloud));
  const callLog = join(workDir, `case-${index}-${which}.calls.jsonl`);
  const writesBefore = (await pc.cluster.auditedWrites()).length;
  const options = { kubeconfig: pc.kubeconfig[which], cloudConfig, callLog, flags: caseFlags(c) };
  const started = Date.now();
  const ccm: CcmProcess = which === 'upstream' ? startReferenceCcm(options) : startOutriggerCcm(options);
  try {
    let signature = '';
    let lastChange = Date.now();
    let apiWrites = 0;
    for (;;) {
      if (ccm.hasExited()) {
        const code = await ccm.exited;
        return { ok: false, reason: `${which} CCM exited (${code}) before going quiet; last lines:\n${ccm.tail(15)}` };
      }
      if (Date.now() - started > RUN_DEADLINE_MS) {
        return { ok: false, reason: `${which} CCM did not go quiet within ${RUN_DEADLINE_MS / 1000} s; last lines:\n${ccm.tail(15)}` };
      }
      const writes = (await pc.cluster.auditedWrites()).slice(writesBefore).filter((w) => w.user === pc.user[which]);
      const calls = readCallLog(callLog);
      const now = `${writes.length}:${calls.filter((x) => CLOUD_WRITES.has(x.method)).length}`;
      if (now !== signature) {
        signature = now;
        lastChange = Date.now();
        apiWrites = writes.length;
      }
      if (Date.now() - lastChange >= QUIET_WINDOW_MS && calls.some((x) => x.method === 'initialize') && askedAboutEverything(c, calls)) {
        const nodes = await list<Node>(pc, '/api/v1/nodes');
        const services = await list<Service>(pc, '/api/v1/services');
        const events = await list<Event>(pc, '/api/v1/events');
        if ((c.settled ?? defaultSettled)(c, nodes, services, events)) break;
      }
      await sleep(POLL_MS);
    }
    const elapsedMs = Date.now() - started;
    const nodes = await list<Node>(pc, '/api/v1/nodes');
    const services = await list<Service>(pc, '/api/v1/services');
    const events = await list<Event>(pc, '/api/v1/events');
    await ccm.stop();
    // For a closer look at one case: `OUTRIGGER_PARITY_LOG_DIR=/tmp/x npm run compare -- <case>`.
    const logDir = process.env['OUTRIGGER_PARITY_LOG_DIR'];
    if (logDir !== undefined && logDir !== '') {
      await writeFile(join(logDir, `case-${index}-${which}.log`), ccm.tail(1_000));
      await writeFile(join(logDir, `case-${index}-${which}.events.json`), JSON.stringify(events, null, 1));
    }
    // Calls made between the snapshot and the stop are few reads; take the log after the stop so
    // a line being written is complete.
    const fixed = new Set(Object.keys((c.cloud['loadBalancerStatuses'] as Record<string, unknown> | undefined) ?? {}));
    return { ok: true, snapshot: normalise(nodes, services, events, readCallLog(callLog), fixed), elapsedMs, apiWrites };
  } finally {
    await ccm.stop();
  }
}
