/**
 * The load balancer side of `bench/local-lb.bench.ts`, run as its own process (as it runs inside
 * the CCM): started with `fork` (`node --import tsx`) and the address pool as its argument, it
 * builds and initialises a LocalCloudProvider on the real clock, says `'up'`, waits for one
 * {@link LbRequest} on the IPC channel, ensures one Service with a TCP and a UDP port in front of
 * the given backend, and answers with an {@link LbReady}. It shuts the
 * provider down and exits when the parent disconnects (or sends `'stop'`).
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { RealClock } from '../src/kube/clock.js';
import { SimulatedApiServer } from '../src/kube/memory/simulated-api-server.js';
import { noopLogger } from '../src/log/logger.js';
import { LocalCloudProvider, parseLocalConfig } from '../src/providers/local/index.js';

/** What the load generator asks for. */
export interface LbRequest {
  readonly backendHost: string;
  readonly tcpNodePort: number;
  readonly udpNodePort: number;
  readonly servicePort: number;
}

/** The child's messages: `'up'` once loaded, then the load balancer's address or why there is none. */
export type LbReady =
  | 'up'
  | { readonly ok: true; readonly ip: string; readonly ensureMs: number; readonly ipMode: string; readonly fallbackReason: string | undefined }
  | { readonly ok: false; readonly error: string };

const controller = new AbortController();
// The address pool is the one argument; the provider is built and initialised before 'up', so that
// what the parent times is ensureLoadBalancer and the first connection, as in a running CCM.
// The second argument is the data plane: `userspace` (default) or `nftables` (a table of the bench's
// own name, on loopback addresses only, deleted when the process stops or exits).
const dataPlane = process.argv[3] === 'nftables' ? 'dataPlane: nftables\nnftables: { table: outrigger_bench }\n' : '';
const provider = new LocalCloudProvider({
  clock: new RealClock(),
  // The bench's Service exists only here, not in the (empty) cluster: without a very long
  // reconcile interval the provider's resync (default every 60 s) releases its address and closes
  // the listener under a bench that runs longer (ECONNREFUSED mid-run).
  config: parseLocalConfig(`pools:\n- name: bench\n  ranges: [${process.argv[2] ?? '127.0.85.0/24'}]\nhealthCheck: { enabled: false }\nreconcileIntervalMs: 2147483647\n${dataPlane}`),
});
// A cluster with no Services yet (initialize lists them to re-adopt their addresses).
const cluster = new SimulatedApiServer();
await provider.initialize({ signal: controller.signal, logger: noopLogger, clientBuilder: { client: (name) => cluster.client({ userAgent: name }) } });

async function stop(): Promise<void> {
  controller.abort();
  await provider.shutdown();
  process.exit(0);
}

async function start(req: LbRequest): Promise<LbReady> {
  const nodes: Node[] = [{ metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: req.backendHost }] } }];
  const svc: Service = {
    metadata: { namespace: 'bench', name: 'svc', uid: 'u' },
    spec: {
      type: 'LoadBalancer',
      ports: [
        { port: req.servicePort, nodePort: req.tcpNodePort, protocol: 'TCP' },
        { port: req.servicePort, nodePort: req.udpNodePort, protocol: 'UDP' },
      ],
    },
  };
  const t0 = performance.now();
  const status = await provider.loadBalancer().ensureLoadBalancer('kubernetes', svc, nodes);
  const ensureMs = performance.now() - t0;
  return { ok: true, ip: status.ingress[0]?.ip ?? '', ensureMs, ipMode: status.ingress[0]?.ipMode ?? '', fallbackReason: provider.localLoadBalancer.kernelUnavailableReason };
}

process.on('disconnect', () => void stop());
process.on('message', (msg: LbRequest | 'stop') => {
  if (msg === 'stop') {
    void stop();
    return;
  }
  start(msg).then(
    (ready) => process.send?.(ready),
    (err: unknown) => process.send?.({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies LbReady),
  );
});
process.send?.('up' satisfies LbReady);
