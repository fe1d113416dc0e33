/**
 * Which manager flags a scenario file may set. Running a scenario someone else wrote must not run
 * code they chose, read or write files they named, open ports or reach a real API server: flags
 * that do any of that come only from whoever runs the simulator (the command line, or the caller
 * of `runScenario`). Every flag of the manager's table is classified here; a test fails when a
 * new flag is not.
 *
 * @module
 */

/** Why a flag is kept out of scenario files, and what to do instead. */
export interface RefusedScenarioFlag {
  /** What the flag does that a scenario may not (`reads a file`). */
  readonly does: string;
  /** The alternative, for the one-line refusal. */
  readonly instead: string;
}

const SERVING = 'the simulator serves nothing (no port, no certificate): drop it, or test serving with outrigger run';
const API_SERVER = 'the simulator runs its own API server: drop it (outrigger run talks to a real cluster with it)';

/** Flags a scenario's `manager` section may not set. */
export const REFUSED_SCENARIO_FLAGS: ReadonlyMap<string, RefusedScenarioFlag> = new Map<string, RefusedScenarioFlag>([
  ['provider-module', { does: 'loads code', instead: 'load it yourself: outrigger simulate <scenario> --provider-module <module>' }],
  ['cloud-config', { does: 'reads a file', instead: 'give the config inline as provider.config, or the file on the command line: outrigger simulate <scenario> --cloud-config <file>' }],
  ['leader-migration-config', { does: 'reads a file', instead: 'give the file on the command line: outrigger simulate <scenario> --leader-migration-config <file>' }],
  ['secure-port', { does: 'opens a port', instead: SERVING }],
  ['bind-address', { does: 'picks the address a port listens on', instead: SERVING }],
  ['cert-dir', { does: 'writes a certificate into a folder', instead: SERVING }],
  ['tls-cert-file', { does: 'reads a file', instead: SERVING }],
  ['tls-private-key-file', { does: 'reads a file', instead: SERVING }],
  ['tls-sni-cert-key', { does: 'names files', instead: SERVING }],
  ['client-ca-file', { does: 'reads a file', instead: SERVING }],
  ['requestheader-client-ca-file', { does: 'reads a file', instead: SERVING }],
  ['webhook-secure-port', { does: 'opens a port', instead: SERVING }],
  ['webhook-bind-address', { does: 'picks the address a port listens on', instead: SERVING }],
  ['webhook-cert-dir', { does: 'writes a certificate into a folder', instead: SERVING }],
  ['webhook-tls-cert-file', { does: 'reads a file', instead: SERVING }],
  ['webhook-tls-private-key-file', { does: 'reads a file', instead: SERVING }],
  ['webhook-tls-sni-cert-key', { does: 'names files', instead: SERVING }],
  ['kubeconfig', { does: 'reads a file and reaches an API server', instead: API_SERVER }],
  ['master', { does: 'reaches an API server', instead: API_SERVER }],
  ['authentication-kubeconfig', { does: 'reads a file and reaches an API server', instead: API_SERVER }],
  ['authorization-kubeconfig', { does: 'reads a file and reaches an API server', instead: API_SERVER }],
  ['cloud-provider', { does: 'chooses the provider', instead: 'set provider.name' }],
]);

/**
 * Flags a scenario may set: they change behaviour in memory only. (Serving and TLS settings
 * without a port or a file, e.g. `tls-min-version`, are harmless: nothing is served.)
 */
export const SCENARIO_SAFE_FLAGS: ReadonlySet<string> = new Set([
  'cloud-provider-call-timeout',
  'cloud-provider-initialize-timeout',
  'controllers',
  'controller-start-interval',
  'min-resync-period',
  'kube-api-qps',
  'kube-api-burst',
  'kube-api-content-type',
  'leader-elect',
  'leader-elect-lease-duration',
  'leader-elect-renew-deadline',
  'leader-elect-retry-period',
  'leader-elect-resource-lock',
  'leader-elect-resource-name',
  'leader-elect-resource-namespace',
  'use-service-account-credentials',
  'cluster-name',
  'cluster-cidr',
  'allocate-node-cidrs',
  'cidr-allocator-type',
  'configure-cloud-routes',
  'route-reconciliation-period',
  'node-monitor-period',
  'external-cloud-volume-plugin',
  'allow-untagged-cloud',
  'node-sync-period',
  'feature-gates',
  'profiling',
  'contention-profiling',
  'enable-leader-migration',
  'concurrent-node-syncs',
  'concurrent-node-status-updates',
  'concurrent-node-lifecycle-syncs',
  'concurrent-service-syncs',
  'webhooks',
  'webhook-disable-http2-serving',
  'webhook-tls-cipher-suites',
  'webhook-tls-curve-preferences',
  'webhook-tls-min-version',
  'tls-cipher-suites',
  'tls-curve-preferences',
  'tls-min-version',
  'http2-max-streams-per-connection',
  'disable-http2-serving',
  'permit-port-sharing',
  'permit-address-sharing',
  'authentication-skip-lookup',
  'authentication-token-webhook-cache-ttl',
  'authentication-tolerate-lookup-failure',
  'requestheader-allowed-names',
  'requestheader-username-headers',
  'requestheader-uid-headers',
  'requestheader-group-headers',
  'requestheader-extra-headers-prefix',
  'authorization-always-allow-paths',
  'authorization-webhook-cache-authorized-ttl',
  'authorization-webhook-cache-unauthorized-ttl',
  'node-status-update-frequency',
  'v',
  'vmodule',
  'logging-format',
  'log-flush-frequency',
  'version',
  'help',
]);

/** A `manager` entry a scenario may not have, as one line (without the file position). */
export interface ScenarioFlagRefusal {
  readonly flag: string;
  readonly message: string;
}

/**
 * The first flag of `manager` the scenario may not set, or undefined. `allowedModules` are the
 * modules the caller loaded (`--provider-module`): a scenario may name those.
 */
export function refusedScenarioFlag(manager: Readonly<Record<string, unknown>>, allowedModules: readonly string[]): ScenarioFlagRefusal | undefined {
  for (const [flag, value] of Object.entries(manager)) {
    const refused = REFUSED_SCENARIO_FLAGS.get(flag);
    if (refused === undefined) continue;
    if (flag === 'provider-module') {
      const asked = (Array.isArray(value) ? (value as unknown[]) : [value]).map((m) => (typeof m === 'string' ? m : JSON.stringify(m)));
      const notAllowed = asked.filter((m) => !allowedModules.includes(m));
      if (notAllowed.length === 0) continue;
      const list = notAllowed.map((m) => JSON.stringify(m));
      return {
        flag,
        message: `the scenario asks to load ${list.join(', ')}; a scenario runs no code of its own — load it yourself with --provider-module ${list.join(' --provider-module ')}`,
      };
    }
    return { flag, message: `a scenario may not set this flag (it ${refused.does}); ${refused.instead}` };
  }
  return undefined;
}
