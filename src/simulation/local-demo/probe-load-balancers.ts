/**
 * The demos' traffic check (`outrigger simulate --demo-local` and `outrigger sandbox --demo`): one
 * HTTP request through each demo Service's LoadBalancer address to the echo backend on the
 * simulated nodes, printed as a table, and — for a Service without an address — why, from its
 * Warning events.
 *
 * @module
 */
import { errorMessage } from '../../log/error-message.js';
import { httpGet } from './http-get.js';

/** A demo Service: its name (in `default`) and port. */
export interface ProbeTarget {
  readonly name: string;
  readonly port: number;
}

/** One request through a LoadBalancer address. */
export interface ProbeAnswer {
  readonly service: string;
  readonly url: string;
  /** The node whose echo backend answered. */
  readonly node?: string;
  readonly body?: string;
  readonly error?: string;
}

/** The parts of an Event the check reads. */
export interface WarningSource {
  readonly type?: string | undefined;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
  readonly involvedObject?: { readonly kind?: string | undefined; readonly name?: string | undefined } | undefined;
}

/** Options of {@link probeLoadBalancers}. */
export interface ProbeLoadBalancersOptions {
  readonly targets: readonly ProbeTarget[];
  /** The address in the Service's status, if any. */
  readonly ingressIpOf: (service: string) => string | undefined;
  /** The Events of `default`, read only for a Service without an address. */
  readonly events: () => Promise<readonly WarningSource[]> | readonly WarningSource[];
  /** What a Service without an address and without a Warning is reported as. */
  readonly noAddress: string;
  /** Between two distinct Warnings of one Service. */
  readonly warningSeparator: string;
  readonly requestTimeoutMs: number;
  readonly out: (text: string) => void;
}

/**
 * Why a Service has no address, from its Warning events (`SyncLoadBalancerFailed: …`): each
 * distinct one in order, so the first cause (e.g. EADDRINUSE) is not hidden by a later symptom.
 */
function warningsOf(events: readonly WarningSource[], name: string, separator: string): string | undefined {
  const seen = new Set<string>();
  for (const e of events) {
    if (e.type === 'Warning' && e.involvedObject?.kind === 'Service' && e.involvedObject.name === name) seen.add(`${e.reason ?? ''}: ${e.message ?? ''}`);
  }
  return seen.size === 0 ? undefined : [...seen].join(separator);
}

/** Sends one request through each target's address and prints a line per target. */
export async function probeLoadBalancers(o: ProbeLoadBalancersOptions): Promise<ProbeAnswer[]> {
  const width = Math.max(...o.targets.map((s) => s.name.length)) + 'default/'.length;
  o.out('LoadBalancer addresses (one HTTP request through each):\n');
  const answers: ProbeAnswer[] = [];
  for (const s of o.targets) {
    const label = `default/${s.name}`.padEnd(width);
    const ip = o.ingressIpOf(s.name);
    if (ip === undefined) {
      // Say why: the service controller's Warning carries the provider's reason (e.g. EADDRINUSE).
      const why = warningsOf(await o.events(), s.name, o.warningSeparator);
      const error = why === undefined ? o.noAddress : `no LoadBalancer address: ${why}`;
      answers.push({ service: s.name, url: '', error });
      o.out(`  ${label}  ✗ ${error}\n`);
      continue;
    }
    const url = `http://${ip}:${s.port}/`;
    try {
      const body = (await httpGet(url, o.requestTimeoutMs)).trim();
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
