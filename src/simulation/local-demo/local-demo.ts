/**
 * The `npm start` demonstration with real traffic: a simulated cluster whose Nodes have loopback
 * InternalIPs served by simulated kube-proxies, the `local` provider binding real TCP load
 * balancers from a loopback pool, one HTTP request through every LoadBalancer address, then
 * (unless `once`) serving until the signal aborts so a person can `curl` them.
 *
 * While serving, the virtual clock is advanced by the wall time that passed (every `tickMs`), so
 * health checks, lease renewals and resyncs keep running at their real pace; before that, the
 * run is the usual virtual-clock simulation.
 *
 * @module
 */
import { RealClock } from '../../kube/clock.js';
import type { KubeObject } from '../../kube/resources.js';
import { kubeletNode } from '../generators/index.js';
import { runScenario } from '../runner/run-scenario.js';
import type { LiveSimulation } from '../runner/run-scenario.js';
import type { AnyObject, SimulationReport } from '../runner/report.js';
import type { ScenarioFile } from '../scenario/scenario-types.js';
import { startSimulatedKubeProxies } from './simulated-kube-proxy.js';
import type { SimulatedKubeProxies } from './simulated-kube-proxy.js';
import { probeLoadBalancers } from './probe-load-balancers.js';
import type { WarningSource } from './probe-load-balancers.js';

/** Options of {@link runLocalDemo}. */
export interface LocalDemoOptions {
  /** Load-balancer address pool (default `127.0.100.0/24`). */
  readonly pool?: string;
  /** First three octets of the node addresses: node i gets `<subnet>.<i+1>` (default `127.0.50`). */
  readonly nodeSubnet?: string;
  /** Exit after the traffic check instead of serving until `signal` aborts. */
  readonly once?: boolean;
  /** Ends the serving phase (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Where progress lines go. */
  readonly out: (text: string) => void;
  /** Wall-clock interval of the virtual clock's catch-up while serving (default 200 ms). */
  readonly tickMs?: number;
  /** Bound on each demo HTTP request (default 5 s). */
  readonly requestTimeoutMs?: number;
}

/** One request through a LoadBalancer address. */
export interface DemoAnswer {
  readonly service: string;
  readonly url: string;
  /** The node that answered, when the request succeeded. */
  readonly node?: string;
  readonly error?: string;
}

/** The outcome of {@link runLocalDemo}. */
export interface LocalDemoResult {
  readonly report: SimulationReport;
  readonly answers: readonly DemoAnswer[];
  /** Every expectation held and every LoadBalancer answered. */
  readonly passed: boolean;
}

const NODES = ['node-0', 'node-1', 'node-2'];
const SERVICES = [
  { name: 'web', port: 8080 },
  { name: 'api', port: 8081 },
];

/** The demo scenario for given node addresses, kube-proxy ports and pool. */
export function localDemoScenario(o: { readonly pool: string; readonly nodeAddresses: readonly string[]; readonly healthPort: number; readonly nodePorts: ReadonlyMap<string, number> }): ScenarioFile {
  const nodes = NODES.map((name, i) => {
    const node = kubeletNode(name, i) as AnyObject;
    const status = node['status'] as Record<string, unknown>;
    return { ...node, status: { ...status, addresses: [{ type: 'InternalIP', address: o.nodeAddresses[i] ?? '' }, { type: 'Hostname', address: name }] } } as KubeObject;
  });
  // The simulated API server allocates no NodePorts: the manifests carry the ones the
  // simulated kube-proxies listen on.
  const services = SERVICES.map(
    (s) =>
      ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: s.name, namespace: 'default' },
        spec: { type: 'LoadBalancer', selector: { app: s.name }, ports: [{ name: 'http', port: s.port, targetPort: 8080, protocol: 'TCP', nodePort: o.nodePorts.get(s.name) ?? 0 }] },
      }) as KubeObject,
  );
  return {
    name: 'local demo: real load balancers on loopback in front of simulated nodes',
    seed: 1,
    provider: {
      name: 'local',
      config: {
        pools: [{ name: 'demo', ranges: [o.pool], avoidBuggyIPs: true }],
        healthCheck: { kubeProxyPort: o.healthPort, intervalMs: 5_000, timeoutMs: 1_000 },
      },
    },
    manager: { 'configure-cloud-routes': false },
    objects: [...nodes, ...services],
    steps: [
      { settle: { within: 600_000 } },
      {
        expect: [
          ...NODES.map((name) => ({ kind: 'Node', name, match: { spec: { providerID: `local://${name}` } } })),
          ...SERVICES.map((s) => ({ kind: 'Service', name: s.name, match: { status: { loadBalancer: { ingress: [{ ipMode: 'Proxy' }] } } }, listMode: 'contains' as const })),
        ],
      },
    ],
  };
}

function ingressIp(svc: AnyObject): string | undefined {
  const ingress = (svc['status'] as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined)?.loadBalancer?.ingress;
  return ingress?.find((i) => i.ip !== undefined)?.ip;
}

async function checkTraffic(live: LiveSimulation, o: LocalDemoOptions): Promise<DemoAnswer[]> {
  const services = live.snapshot('Service');
  return probeLoadBalancers({
    targets: SERVICES,
    ingressIpOf: (name) => {
      const svc = services.find((x) => x.metadata?.name === name);
      return svc === undefined ? undefined : ingressIp(svc);
    },
    events: () => live.snapshot('Event') as readonly WarningSource[],
    noAddress: 'no LoadBalancer address',
    warningSeparator: '\n      then ',
    requestTimeoutMs: o.requestTimeoutMs ?? 5_000,
    out: o.out,
  });
}

/** Advances the virtual clock by the wall time that passes, until `signal` aborts. */
async function serve(live: LiveSimulation, signal: AbortSignal | undefined, tickMs: number): Promise<void> {
  const real = new RealClock();
  let last = real.now();
  while (signal?.aborted !== true) {
    await real.sleep(tickMs, signal).catch(() => undefined);
    const now = real.now();
    await live.clock.advance(Math.max(0, now - last));
    last = now;
  }
}

/**
 * Runs the local demo; resolves when it is over (after the traffic check with `once`, else when
 * `signal` aborts) with every listener closed.
 *
 * @example
 * ```ts
 * const { passed } = await runLocalDemo({ once: true, out: (t) => process.stdout.write(t) });
 * ```
 */
export async function runLocalDemo(o: LocalDemoOptions): Promise<LocalDemoResult> {
  const pool = o.pool ?? '127.0.100.0/24';
  const subnet = o.nodeSubnet ?? '127.0.50';
  const nodes = NODES.map((name, i) => ({ name, address: `${subnet}.${i + 1}` }));
  const proxies: SimulatedKubeProxies = await startSimulatedKubeProxies({ nodes, services: SERVICES.map((s) => ({ name: s.name })) });
  let answers: DemoAnswer[] = [];
  try {
    const scenario = localDemoScenario({ pool, nodeAddresses: nodes.map((n) => n.address), healthPort: proxies.healthPort, nodePorts: proxies.nodePorts });
    o.out(
      `Outrigger local demo: ${nodes.length} simulated nodes (${nodes.map((n) => n.address).join(', ')}), each with a simulated kube-proxy\n` +
        `(NodePorts ${SERVICES.map((s) => `${s.name}:${proxies.nodePorts.get(s.name) ?? '?'}`).join(', ')}, /healthz on ${proxies.healthPort}), and ${SERVICES.length} LoadBalancer Services on a\n` +
        `simulated cluster; the real controllers and the local provider bind real TCP load balancers from ${pool}.\n\n`,
    );
    const report = await runScenario(scenario, {
      whileRunning: async (live) => {
        const services = live.snapshot('Service');
        const ensured = services.filter((s) => ingressIp(s) !== undefined).length;
        o.out(`Converged after ${(live.virtualMs() / 1000).toFixed(1)} s of virtual time: ${ensured}/${services.length} LoadBalancers ensured.\n`);
        answers = await checkTraffic(live, o);
        if (o.once === true || o.signal?.aborted === true) return;
        const first = answers.find((a) => a.error === undefined);
        o.out(`\nServing until Ctrl-C (virtual clock follows wall time)${first === undefined ? '' : `; try: curl ${first.url}`}\n\n`);
        await serve(live, o.signal, o.tickMs ?? 200);
        o.out('Stopping.\n');
      },
    });
    const answered = answers.length === SERVICES.length && answers.every((a) => a.error === undefined);
    return { report, answers, passed: report.passed && answered };
  } finally {
    await proxies.close();
  }
}
