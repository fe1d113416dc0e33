/**
 * The sandbox's stand-in for kube-proxy on every simulated node (a test double, no pods): on the
 * node's address it serves kube-proxy's `/healthz` (upstream port 10256) from the start, and
 * follows the Services through an informer — every TCP `nodePort` of a NodePort or LoadBalancer
 * Service is answered by a small echo backend (`hello from <node> via <namespace>/<name>`), every
 * `healthCheckNodePort` by kube-proxy's per-Service health answer — opening and closing listeners
 * as Services come, change and go. The listeners themselves are the local demo's
 * (src/simulation/local-demo/simulated-kube-proxy.ts).
 *
 * @module
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ResourceClient } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { Informer, objectFromTombstone } from '../kube/informer.js';
import { errorMessage } from '../log/error-message.js';
import { close, healthServer, helloServer, listen } from '../simulation/local-demo/simulated-kube-proxy.js';
import type { SandboxNode } from './simulated-kubelet.js';

/** Options of {@link startSimulatedNodeProxies}. */
export interface SimulatedNodeProxiesOptions {
  readonly nodes: readonly SandboxNode[];
  /** kube-proxy's health port (upstream 10256); 0 picks a free one on the first node, reused on the others. */
  readonly healthzPort: number;
  readonly services: ResourceClient<Service>;
  readonly clock: Clock;
  readonly random: () => number;
  /** Where a port that cannot be opened is reported (kube-proxy logs and carries on). */
  readonly log: (line: string) => void;
}

/** Running simulated kube-proxies. */
export interface SimulatedNodeProxies {
  /** The health port every node answers `/healthz` on. */
  readonly healthzPort: number;
  /** Node ports currently answered, with the Service (`namespace/name`) each serves. */
  nodePorts(): ReadonlyMap<number, string>;
  /**
   * Resolves once the node ports answered satisfy `done` (checked now and after every change the
   * informer delivers is applied); rejects when the proxies close first.
   */
  until(done: (nodePorts: ReadonlyMap<number, string>) => boolean): Promise<void>;
  /** Closes every listener and stops following Services. */
  close(): Promise<void>;
}

interface PortWant {
  readonly service: string;
  readonly kind: 'echo' | 'health';
}

/** The TCP node ports a Service wants answered, and how. */
function wantedPorts(svc: Service): Map<number, PortWant> {
  const out = new Map<number, PortWant>();
  const spec = svc.spec;
  if (spec === undefined || (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer')) return out;
  if (svc.metadata?.deletionTimestamp !== undefined) return out;
  const key = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
  for (const p of spec.ports ?? []) {
    // The echo backend speaks HTTP over TCP; UDP and SCTP node ports are not simulated.
    if ((p.protocol ?? 'TCP') === 'TCP' && p.nodePort !== undefined && p.nodePort > 0) out.set(p.nodePort, { service: key, kind: 'echo' });
  }
  if (spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort > 0) out.set(spec.healthCheckNodePort, { service: key, kind: 'health' });
  return out;
}

/** kube-proxy's per-Service health server: 200 with the count of local endpoints (one echo backend). */
function serviceHealthServer(service: string): Server {
  const [namespace, name] = service.split('/');
  return createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff', 'x-load-balancing-endpoint-weight': '1' });
    res.end(`${JSON.stringify({ service: { namespace, name }, localEndpoints: 1, serviceProxyHealthy: true })}\n`);
  });
}

/**
 * Binds the health listener on every node (rejecting, with nothing left open, when an address or
 * the port is taken), then follows Services until {@link SimulatedNodeProxies.close}.
 *
 * @example
 * ```ts
 * const proxies = await startSimulatedNodeProxies({ nodes, healthzPort: 10256, services: kube.services, clock, random: Math.random, log: console.error });
 * await proxies.until((ports) => ports.size > 0);
 * await proxies.close();
 * ```
 */
export async function startSimulatedNodeProxies(o: SimulatedNodeProxiesOptions): Promise<SimulatedNodeProxies> {
  const health: Server[] = [];
  let healthzPort = o.healthzPort;
  try {
    for (const node of o.nodes) {
      const server = healthServer();
      health.push(server);
      healthzPort = await listen(server, node.address, healthzPort);
    }
  } catch (err) {
    await Promise.all(health.map(close));
    throw err;
  }

  /** Node port → what it serves and its listener on each node. */
  const open = new Map<number, { want: PortWant; servers: Server[] }>();
  const byService = new Map<string, Map<number, PortWant>>();
  let closed = false;
  // One reconciliation at a time: binds are asynchronous, and a Service may change meanwhile.
  let chain: Promise<void> = Promise.resolve();

  const reconcile = async (): Promise<void> => {
    const desired = new Map<number, PortWant>();
    for (const ports of byService.values()) for (const [port, want] of ports) if (!desired.has(port)) desired.set(port, want);
    for (const [port, entry] of [...open]) {
      const want = desired.get(port);
      if (want !== undefined && want.service === entry.want.service && want.kind === entry.want.kind) continue;
      open.delete(port);
      await Promise.all(entry.servers.map(close));
    }
    if (closed) return;
    for (const [port, want] of desired) {
      if (open.has(port)) continue;
      const servers: Server[] = [];
      open.set(port, { want, servers });
      for (const node of o.nodes) {
        const server = want.kind === 'echo' ? helloServer(node.name, want.service) : serviceHealthServer(want.service);
        servers.push(server);
        // As kube-proxy: a port it cannot open is logged, the rest keep working.
        await listen(server, node.address, port).catch((err: unknown) => o.log(`simulated kube-proxy ${node.name}: ${errorMessage(err)}\n`));
      }
    }
  };
  const waiters = new Set<{ done: (ports: ReadonlyMap<number, string>) => boolean; resolve: () => void; reject: (err: Error) => void }>();
  const nodePorts = (): Map<number, string> => new Map([...open].filter(([, e]) => e.want.kind === 'echo').map(([port, e]) => [port, e.want.service]));
  const notify = (): void => {
    if (waiters.size === 0) return;
    const ports = nodePorts();
    for (const w of waiters) {
      if (closed) w.reject(new Error('the simulated kube-proxies were closed'));
      else if (w.done(ports)) w.resolve();
      else continue;
      waiters.delete(w);
    }
  };
  const schedule = (): Promise<void> => {
    chain = chain.then(reconcile, reconcile).then(notify);
    return chain;
  };
  const set = (svc: Service): void => {
    byService.set(`${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`, wantedPorts(svc));
    void schedule();
  };

  const stop = new AbortController();
  const informer = new Informer<Service>({ client: o.services, clock: o.clock, random: o.random });
  informer.addEventHandler({
    onAdd: set,
    onUpdate: (_old, svc) => set(svc),
    onDelete: (obj) => {
      const svc = objectFromTombstone(obj);
      byService.delete(`${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`);
      void schedule();
    },
  });
  const running = informer.start(stop.signal).catch((err: unknown) => {
    if (!stop.signal.aborted) o.log(`simulated kube-proxy: watching Services ended: ${errorMessage(err)}\n`);
  });

  return {
    healthzPort,
    nodePorts,
    until: (done) =>
      new Promise<void>((resolve, reject) => {
        waiters.add({ done, resolve, reject });
        void chain.then(notify);
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      stop.abort();
      await running;
      byService.clear();
      await schedule();
      await Promise.all(health.map(close));
    },
  };
}
