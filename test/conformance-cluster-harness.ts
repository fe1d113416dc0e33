// A cloud-controller-manager to point the cluster-level conformance suite at, in-process: the
// real Outrigger manager (buildManager + ControllerManager, the `fake` provider, wall clock) on the
// simulated API server (a test double), whose HTTP face on 127.0.0.1 the suite reaches through a
// kubeconfig and the client-node adapter — exactly as it reaches a real cluster. A mutant is a
// wrapper around the manager's API clients or around the provider that breaks one upstream rule.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { CloudProvider } from '../src/cloud/provider.js';
import { ProviderRegistry } from '../src/cloud/registry.js';
import type { KubeClient, ResourceClient, WatchStream } from '../src/kube/client.js';
import { RealClock } from '../src/kube/clock.js';
import { HttpApiServer } from '../src/kube/memory/http/index.js';
import { SimulatedApiServer } from '../src/kube/memory/index.js';
import { NAMESPACES } from '../src/kube/resources.js';
import type { KubeObject, ResourceType } from '../src/kube/resources.js';
import { errorMessage } from '../src/log/error-message.js';
import { createLogger, MemoryLogSink } from '../src/log/logger.js';
import { buildManager } from '../src/manager/build.js';
import { ControllerManager } from '../src/manager/controller-manager.js';
import { optionsFromFlags, validateOptions } from '../src/manager/options/manager-options.js';
import { parseFlags } from '../src/manager/options/parse-flags.js';
import { registerBuiltinProviders } from '../src/providers/builtin.js';

/** One defect: how the manager's clients (by user agent) or its provider are altered. */
export interface Mutant {
  readonly client?: (userAgent: string, client: KubeClient) => KubeClient;
  readonly provider?: (provider: CloudProvider) => CloudProvider;
}

/** A running manager on a simulated cluster, with a kubeconfig for it. */
export interface HarnessCluster {
  readonly kubeconfig: string;
  readonly server: SimulatedApiServer;
  readonly admin: KubeClient;
  readonly logs: MemoryLogSink;
  /** The HTTP face (its `faults` answer requests in the apiserver's stead). */
  readonly face: HttpApiServer;
  stop(): Promise<void>;
}

export const FAKE_CONFIG = join(import.meta.dirname, '../src/conformance/testdata/fake-cloud-config.json');

/** node-1 and node-2 of the fake cloud, as a kubelet with --cloud-provider=external registers them. */
function kubeletNode(name: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
  };
}

/**
 * The `local` provider on loopback for harness `slot` (0–15): its own pool 127.0.170.<8·slot>/29
 * and Nodes on 127.0.171.<4·slot+1…2>, so harnesses side by side never share an address.
 */
export function localCloud(slot: number): { config: string; nodeIPs: readonly [string, string]; pool: string } {
  const nodeIPs = [`127.0.171.${4 * slot + 1}`, `127.0.171.${4 * slot + 2}`] as const;
  const pool = `127.0.170.${8 * slot}/29`;
  const config = `pools:
  - name: harness
    ranges: [${pool}]
healthCheck:
  enabled: false
drainTimeoutMs: 0
inventory:
  - name: node-1
    addresses: [{ type: InternalIP, address: ${nodeIPs[0]} }]
    zone: lab-a
    region: lab
    instanceType: loopback
  - name: node-2
    addresses: [{ type: InternalIP, address: ${nodeIPs[1]} }]
    zone: lab-b
    region: lab
    instanceType: loopback
`;
  return { config, nodeIPs, pool };
}

/** Which cloud the manager runs with (default: `fake` with fake-cloud-config.json). */
export interface HarnessCloud {
  readonly provider: 'fake' | 'local';
  /** The cloud-config text (default: the fake's file). */
  readonly config?: string;
}

/** Starts the simulated cluster, its HTTP face and the manager (with `mutant` applied). */
export async function startHarness(mutant: Mutant = {}, cloud: HarnessCloud = { provider: 'fake' }): Promise<HarnessCluster> {
  const clock = new RealClock();
  const server = new SimulatedApiServer({ clock });
  const face = await HttpApiServer.start({ server, resources: [NAMESPACES] });
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-conformance-cluster-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, face.kubeconfig());
  const admin = server.client({ userAgent: 'kubelet' });
  for (const n of ['node-1', 'node-2']) await admin.nodes.create(kubeletNode(n));
  let cloudConfig = FAKE_CONFIG;
  if (cloud.config !== undefined) {
    cloudConfig = join(dir, 'cloud-config');
    await writeFile(cloudConfig, cloud.config);
  }
  const registry = new ProviderRegistry();
  const inner = registerBuiltinProviders(new ProviderRegistry(), { clock });
  let built: CloudProvider | undefined;
  registry.register(cloud.provider, async (config) => {
    built = await inner.create(cloud.provider, config);
    return mutant.provider === undefined ? built : mutant.provider(built);
  });
  const options = optionsFromFlags(parseFlags([`--cloud-provider=${cloud.provider}`, `--cloud-config=${cloudConfig}`, '--secure-port=0', '--leader-elect=false', '--configure-cloud-routes=false']));
  const [invalid] = validateOptions(options);
  if (invalid !== undefined) throw invalid;
  const logs = new MemoryLogSink();
  const parts = await buildManager({
    options,
    version: 'conformance-harness',
    logger: createLogger(logs.sink, 2),
    clock,
    random: Math.random,
    env: {},
    registry,
    kubeClientFor: (userAgent) => {
      const c = server.client({ userAgent });
      return mutant.client === undefined ? c : mutant.client(userAgent, c);
    },
  });
  const manager = new ControllerManager(parts, { identity: 'conformance-harness', shutdownGraceMs: 2_000 });
  const shutdown = new AbortController();
  const done = manager.run(shutdown.signal);
  const stop = async (): Promise<void> => {
    shutdown.abort(new Error('harness stopped'));
    await done.catch(() => undefined);
    // The local provider's listeners outlive the manager until told (as in production).
    const closable = built as { shutdown?: () => Promise<void> } | undefined;
    if (typeof closable?.shutdown === 'function') await closable.shutdown();
    await face.close();
    await rm(dir, { recursive: true, force: true });
  };
  if (!(await manager.whenRunning())) {
    await stop();
    throw new Error(`the manager did not start: ${logs.records.map((r) => `${r.msg} ${errorMessage((r as { err?: unknown }).err ?? '')}`).join(' | ')}`);
  }
  return { kubeconfig, server, admin, logs, face, stop };
}

// ---------------------------------------------------------------------------------------------
// Building blocks of mutants.

/** A watch whose events' objects pass through `map`. */
function mappedWatch<T extends KubeObject>(inner: WatchStream<T>, map: (o: T) => T): WatchStream<T> {
  return {
    close: () => inner.close(),
    async *[Symbol.asyncIterator]() {
      for await (const e of inner) yield { ...e, object: map(e.object) };
    },
  };
}

/** `client` with everything read from `type` passed through `map` (what an informer sees). */
export function mapReads<T extends KubeObject>(client: KubeClient, type: ResourceType<T>, map: (o: T) => T): KubeClient {
  const wrap = (rc: ResourceClient<T>): ResourceClient<T> =>
    Object.assign(Object.create(rc) as ResourceClient<T>, {
      get: async (...a: Parameters<ResourceClient<T>['get']>) => map(await rc.get(...a)),
      list: async (...a: Parameters<ResourceClient<T>['list']>) => {
        const l = await rc.list(...a);
        return { ...l, items: l.items.map(map) };
      },
      watch: async (...a: Parameters<ResourceClient<T>['watch']>) => mappedWatch(await rc.watch(...a), map),
    });
  return withResource(client, type, wrap);
}

/** `client` with the ResourceClient of `type` replaced by `wrap(original)`. */
export function withResource<T extends KubeObject>(client: KubeClient, type: ResourceType<T>, wrap: (rc: ResourceClient<T>) => ResourceClient<T>): KubeClient {
  const key = type.resource === 'nodes' ? 'nodes' : type.resource === 'services' ? 'services' : type.resource === 'events' ? 'events' : undefined;
  const replaced = wrap(client.resource(type));
  return {
    nodes: key === 'nodes' ? (replaced as unknown as KubeClient['nodes']) : client.nodes,
    services: key === 'services' ? (replaced as unknown as KubeClient['services']) : client.services,
    events: key === 'events' ? (replaced as unknown as KubeClient['events']) : client.events,
    leases: client.leases,
    resource: <U extends KubeObject>(t: ResourceType<U>) => (t.resource === type.resource && t.group === type.group ? (replaced as unknown as ResourceClient<U>) : client.resource(t)),
  };
}
