/**
 * The sandbox's demo workload (`npm start`): two LoadBalancer Services created as kubectl would
 * create them (no nodePort: the API server allocates it), a wait — on watches, with a deadline —
 * until the manager and the `local` provider give each an address, and one HTTP request through
 * each address to the echo backend on the simulated nodes.
 *
 * @module
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../kube/clock.js';
import { probeLoadBalancers } from '../simulation/local-demo/index.js';
import type { ProbeAnswer } from '../simulation/local-demo/index.js';
import type { Sandbox } from './sandbox.js';
import { waitForObjects } from './wait-for.js';

/** The demo's Services: name and port. */
export const SANDBOX_DEMO_SERVICES: readonly { readonly name: string; readonly port: number }[] = [
  { name: 'web', port: 8080 },
  { name: 'api', port: 8081 },
];

/** One request through a LoadBalancer address. */
export type SandboxDemoAnswer = ProbeAnswer;

/** Options of {@link runSandboxDemo}. */
export interface SandboxDemoOptions {
  readonly out: (text: string) => void;
  readonly clock: Clock;
  readonly random: () => number;
  /** Bound on every Service getting its address (default 60 s). */
  readonly timeoutMs?: number;
  /** Bound on each HTTP request (default 15 s: a loaded machine is slow, not broken). */
  readonly requestTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

function demoService(name: string, port: number): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ name: 'http', port, targetPort: 8080, protocol: 'TCP' }] },
  };
}

function ingressIp(svc: Service | undefined): string | undefined {
  return svc?.status?.loadBalancer?.ingress?.find((i) => i.ip !== undefined)?.ip;
}

/**
 * Creates the demo Services, waits for their addresses and sends one request through each;
 * resolves with the answers (an `error` on each that failed).
 *
 * @example
 * ```ts
 * const answers = await runSandboxDemo(sandbox, { out: (t) => process.stdout.write(t), clock, random: Math.random });
 * ```
 */
export async function runSandboxDemo(sandbox: Sandbox, o: SandboxDemoOptions): Promise<SandboxDemoAnswer[]> {
  for (const s of SANDBOX_DEMO_SERVICES) await sandbox.kube.services.create(demoService(s.name, s.port));
  const names = new Set(SANDBOX_DEMO_SERVICES.map((s) => s.name));
  const services =
    (await waitForObjects<Service>({
      client: sandbox.kube.services,
      namespace: 'default',
      clock: o.clock,
      random: o.random,
      timeoutMs: o.timeoutMs ?? 60_000,
      ...(o.signal === undefined ? {} : { signal: o.signal }),
      done: (svcs) => [...names].every((n) => ingressIp(svcs.find((s) => s.metadata?.name === n)) !== undefined),
    })) ?? (await sandbox.kube.services.list({ namespace: 'default' })).items;
  return probeLoadBalancers({
    targets: SANDBOX_DEMO_SERVICES,
    ingressIpOf: (name) => ingressIp(services.find((x) => x.metadata?.name === name)),
    events: async () => (await sandbox.kube.events.list({ namespace: 'default' })).items,
    noAddress: 'no LoadBalancer address yet',
    warningSeparator: '; then ',
    requestTimeoutMs: o.requestTimeoutMs ?? 15_000,
    out: o.out,
  });
}
