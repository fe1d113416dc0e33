/**
 * The sandbox's demo workload (`npm start`): two LoadBalancer Services created as kubectl would
 * create them (no nodePort: the API server allocates it), a wait — on watches, with a deadline —
 * until the manager and the `local` provider give each an address, and one HTTP request through
 * each address to the echo backend on the simulated nodes.
 *
 * @module
 */
import type { Event, Service } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../kube/clock.js';
import { errorMessage } from '../log/error-message.js';
import { httpGet } from '../simulation/local-demo/index.js';
import type { Sandbox } from './sandbox.js';
import { waitForObjects } from './wait-for.js';

/** The demo's Services: name and port. */
export const SANDBOX_DEMO_SERVICES: readonly { readonly name: string; readonly port: number }[] = [
  { name: 'web', port: 8080 },
  { name: 'api', port: 8081 },
];

/** One request through a LoadBalancer address. */
export interface SandboxDemoAnswer {
  readonly service: string;
  readonly url: string;
  /** The node whose echo backend answered. */
  readonly node?: string;
  readonly body?: string;
  readonly error?: string;
}

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

/** The distinct Warning events of a Service, in order ("Reason: message"). */
function warnings(events: readonly Event[], name: string): string | undefined {
  const seen = new Set<string>();
  for (const e of events) if (e.type === 'Warning' && e.involvedObject.kind === 'Service' && e.involvedObject.name === name) seen.add(`${e.reason ?? ''}: ${e.message ?? ''}`);
  return seen.size === 0 ? undefined : [...seen].join('; then ');
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
  const width = Math.max(...SANDBOX_DEMO_SERVICES.map((s) => s.name.length)) + 'default/'.length;
  o.out('LoadBalancer addresses (one HTTP request through each):\n');
  const answers: SandboxDemoAnswer[] = [];
  for (const s of SANDBOX_DEMO_SERVICES) {
    const label = `default/${s.name}`.padEnd(width);
    const ip = ingressIp(services.find((x) => x.metadata?.name === s.name));
    if (ip === undefined) {
      // Say why: the service controller's Warning carries the provider's reason (e.g. EADDRINUSE).
      const why = warnings((await sandbox.kube.events.list({ namespace: 'default' })).items, s.name);
      const error = why === undefined ? 'no LoadBalancer address yet' : `no LoadBalancer address: ${why}`;
      answers.push({ service: s.name, url: '', error });
      o.out(`  ${label}  ✗ ${error}\n`);
      continue;
    }
    const url = `http://${ip}:${s.port}/`;
    try {
      const body = (await httpGet(url, o.requestTimeoutMs ?? 15_000)).trim();
      const node = /^hello from (\S+) via /.exec(body)?.[1] ?? '?';
      answers.push({ service: s.name, url, node, body });
      o.out(`  ${label}  ${url.padEnd(26)}  → answered by ${node}: "${body}"\n`);
    } catch (err) {
      const error = errorMessage(err);
      answers.push({ service: s.name, url, error });
      o.out(`  ${label}  ${url.padEnd(26)}  ✗ ${error}\n`);
    }
  }
  return answers;
}
