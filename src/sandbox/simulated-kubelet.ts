/**
 * Simulated kubelets for the sandbox (test doubles, no pods): each registers its Node as a
 * kubelet started with `--cloud-provider=external` does — with the
 * `node.cloudprovider.kubernetes.io/uninitialized` taint the cloud node controller removes, its
 * `--node-ip` as InternalIP — and keeps it alive as upstream's kubelet does: it renews its Lease in
 * `kube-node-lease` every 10 s (a quarter of the 40 s lease duration) and reports its Ready
 * condition every 5 minutes (`nodeStatusReportFrequency`).
 *
 * @module
 */
import { arch, release } from 'node:os';

import { formatMetav1Time, formatMetav1MicroTime } from '../kube/metav1-time.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { KubeApiError } from '../kube/errors.js';
import { errorMessage } from '../log/error-message.js';

/** The taint a kubelet with an external cloud provider registers its Node with (upstream name). */
export const UNINITIALIZED_TAINT_KEY = 'node.cloudprovider.kubernetes.io/uninitialized';
/** The namespace of node heartbeat Leases (upstream `kube-node-lease`). */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** kubelet's `nodeLeaseDurationSeconds` default. */
export const NODE_LEASE_DURATION_SECONDS = 40;
/** kubelet renews its Lease every quarter of the duration (`renewIntervalFraction` 0.25). */
export const NODE_LEASE_RENEW_MS = (NODE_LEASE_DURATION_SECONDS * 1000) / 4;
/** kubelet's `nodeStatusReportFrequency` default: status is posted this often when nothing changed. */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
/** The version a simulated kubelet reports (`kubectl get nodes` VERSION). */
export const SIMULATED_KUBELET_VERSION = 'v1.35.0-outrigger-sandbox';

/** A simulated node: its name and `--node-ip` (a loopback address). */
export interface SandboxNode {
  readonly name: string;
  readonly address: string;
}

/** Options of {@link startSimulatedKubelets}. */
export interface SimulatedKubeletsOptions {
  readonly nodes: readonly SandboxNode[];
  /** A client per kubelet (user agent `kubelet/<version> (<node>)` is the caller's choice). */
  readonly kubeFor: (node: SandboxNode) => KubeClient;
  readonly clock: Clock;
  /** Where a failed heartbeat is reported (a kubelet logs and retries at the next tick). */
  readonly log: (line: string) => void;
}

/** Running simulated kubelets. */
export interface SimulatedKubelets {
  /** Stops the heartbeats (the Nodes and Leases stay, as when a kubelet stops). */
  stop(): Promise<void>;
}

const GO_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

function conditions(now: number, transition: number): NodeCondition[] {
  const t = formatMetav1Time(now);
  const since = formatMetav1Time(transition);
  const ok = (type: string, reason: string, message: string): NodeCondition => ({ type, status: 'False', reason, message, lastHeartbeatTime: t, lastTransitionTime: since });
  return [
    ok('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    ok('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    ok('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: t, lastTransitionTime: since },
  ];
}

/** The Node a kubelet with `--cloud-provider=external --node-ip=<address>` registers. */
export function registeredNode(node: SandboxNode, now: number): Node {
  const goArch = GO_ARCH[arch()] ?? arch();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': goArch,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': goArch,
      },
      // The kubelet records --node-ip here for the cloud node controller when the cloud is external.
      annotations: { 'alpha.kubernetes.io/provided-node-ip': node.address },
    },
    spec: { taints: [{ key: UNINITIALIZED_TAINT_KEY, value: 'true', effect: 'NoSchedule' }] },
    status: {
      addresses: [
        { type: 'InternalIP', address: node.address },
        { type: 'Hostname', address: node.name },
      ],
      capacity: { cpu: '2', memory: '4Gi', pods: '110', 'ephemeral-storage': '20Gi' },
      allocatable: { cpu: '2', memory: '4Gi', pods: '110', 'ephemeral-storage': '20Gi' },
      conditions: conditions(now, now),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: '',
        systemUUID: '',
        bootID: '',
        kernelVersion: release(),
        osImage: 'Outrigger sandbox (simulated kubelet)',
        containerRuntimeVersion: 'simulated://0.0.0',
        kubeletVersion: SIMULATED_KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: goArch,
      },
    },
  };
}

function nodeLease(node: Node, now: number): Lease {
  const name = node.metadata?.name ?? '';
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      // As the kubelet: the Lease goes away with its Node.
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata?.uid ?? '' }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime: formatMetav1MicroTime(now) },
  };
}

/** Registers one Node (create, then its status as the kubelet's first status update). */
async function register(kube: KubeClient, node: SandboxNode, now: number): Promise<Node> {
  const wanted = registeredNode(node, now);
  let created: Node;
  try {
    created = await kube.nodes.create(wanted);
  } catch (err) {
    // A Node left by an earlier kubelet of that name: the kubelet takes it over.
    if (!(err instanceof KubeApiError && err.status === 409)) throw err;
    created = await kube.nodes.get({ name: node.name });
  }
  await kube.nodes.patchStatus({ name: node.name }, { type: 'strategic', body: { status: wanted.status ?? {} } });
  return created;
}

async function renewLease(kube: KubeClient, node: Node, now: number): Promise<void> {
  const name = node.metadata?.name ?? '';
  try {
    const current = await kube.leases.get({ namespace: NODE_LEASE_NAMESPACE, name });
    await kube.leases.update({ ...current, spec: { ...current.spec, holderIdentity: name, leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS, renewTime: formatMetav1MicroTime(now) } });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    await kube.leases.create(nodeLease(node, now));
  }
}

async function reportStatus(kube: KubeClient, name: string, now: number, readySince: number): Promise<void> {
  await kube.nodes.patchStatus({ name }, { type: 'strategic', body: { status: { conditions: conditions(now, readySince) } } });
}

/**
 * Registers every node, then keeps each one's Lease and Ready condition fresh until
 * {@link SimulatedKubelets.stop}. Rejects (and stops what it started) when a registration fails.
 *
 * @example
 * ```ts
 * const kubelets = await startSimulatedKubelets({ nodes: [{ name: 'node-0', address: '127.0.50.1' }], kubeFor: () => kube, clock, log: console.error });
 * await kubelets.stop();
 * ```
 */
export async function startSimulatedKubelets(o: SimulatedKubeletsOptions): Promise<SimulatedKubelets> {
  const stop = new AbortController();
  const registered: { kube: KubeClient; node: Node; since: number }[] = [];
  for (const n of o.nodes) {
    const kube = o.kubeFor(n);
    const now = o.clock.now();
    const node = await register(kube, n, now);
    await renewLease(kube, node, now);
    registered.push({ kube, node, since: now });
  }
  const loop = async (everyMs: number, beat: (r: (typeof registered)[number], now: number) => Promise<void>, what: string): Promise<void> => {
    while (!stop.signal.aborted) {
      try {
        await o.clock.sleep(everyMs, stop.signal);
      } catch {
        return;
      }
      for (const r of registered) {
        if (stop.signal.aborted) return;
        // As the kubelet: a failed heartbeat is logged and tried again at the next tick.
        await beat(r, o.clock.now()).catch((err: unknown) => o.log(`simulated kubelet ${r.node.metadata?.name ?? ''}: ${what} failed: ${errorMessage(err)}\n`));
      }
    }
  };
  const loops = [
    loop(NODE_LEASE_RENEW_MS, (r, now) => renewLease(r.kube, r.node, now), 'renewing its Lease'),
    loop(NODE_STATUS_REPORT_MS, (r, now) => reportStatus(r.kube, r.node.metadata?.name ?? '', now, r.since), 'reporting its status'),
  ];
  return {
    stop: async () => {
      stop.abort();
      await Promise.all(loops);
    },
  };
}
