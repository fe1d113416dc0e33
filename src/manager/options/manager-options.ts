/**
 * The typed options of `outrigger run`, built from parsed flags, and their validation with the
 * messages upstream gives (each naming the flag).
 *
 * @module
 */
import { TlsOptionError, tlsServerOptions } from '../serving/tls-options.js';
import { formatGoDuration } from './duration.js';
import { FlagError } from './flag-error.js';
import { KNOWN_FEATURE_GATES } from './flag-table.js';
import type { FlagValue } from './flag-table.js';
import type { ParsedFlags } from './parse-flags.js';
import { parseFlags } from './parse-flags.js';

/** The longest `--leader-elect-lease-duration` a Lease can hold: `spec.leaseDurationSeconds` is an int32. */
const MAX_LEASE_DURATION_SECONDS = 2 ** 31 - 1;
const MAX_LEASE_DURATION_MS = MAX_LEASE_DURATION_SECONDS * 1000;

/** Leader-election settings (`--leader-elect*`). Durations in ms. */
export interface LeaderElectionOptions {
  readonly enabled: boolean;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly resourceLock: string;
  readonly resourceName: string;
  readonly resourceNamespace: string;
}

/** Everything `outrigger run` acts on. Durations are milliseconds. */
export interface ManagerOptions {
  readonly cloudProvider: string;
  readonly cloudConfig: string;
  readonly providerModules: readonly string[];
  /** `--controllers` as typed (aliases not yet resolved). */
  readonly controllers: readonly string[];
  readonly controllerStartIntervalMs: number;
  readonly minResyncPeriodMs: number;
  readonly kubeApiQps: number;
  readonly kubeApiBurst: number;
  /** `--kube-api-content-type` (accepted; Outrigger always speaks JSON). */
  readonly kubeApiContentType: string;
  readonly kubeconfig: string;
  readonly master: string;
  readonly leaderElection: LeaderElectionOptions;
  readonly enableLeaderMigration: boolean;
  readonly leaderMigrationConfig: string;
  readonly clusterName: string;
  readonly clusterCidr: string;
  readonly allocateNodeCidrs: boolean;
  readonly configureCloudRoutes: boolean;
  readonly routeReconciliationPeriodMs: number;
  readonly nodeMonitorPeriodMs: number;
  readonly nodeStatusUpdateFrequencyMs: number;
  readonly concurrentNodeSyncs: number;
  readonly concurrentNodeStatusUpdates: number;
  readonly concurrentServiceSyncs: number;
  /** `--concurrent-node-lifecycle-syncs` (upstream 1.37). */
  readonly concurrentNodeLifecycleSyncs: number;
  /** `--cloud-provider-call-timeout` (Outrigger only; 0 = none). */
  readonly cloudProviderCallTimeoutMs: number;
  /** `--cloud-provider-initialize-timeout` (Outrigger only; 0 = none). */
  readonly cloudProviderInitializeTimeoutMs: number;
  // Accepted for compatibility and reported on /configz; they change nothing here (see the flag table).
  readonly useServiceAccountCredentials: boolean;
  readonly externalCloudVolumePlugin: string;
  readonly allowUntaggedCloud: boolean;
  readonly cidrAllocatorType: string;
  readonly nodeSyncPeriodMs: number;
  readonly profiling: boolean;
  readonly contentionProfiling: boolean;
  readonly webhooks: readonly string[];
  readonly webhookBindAddress: string;
  readonly webhookSecurePort: number;
  readonly webhookTlsCertFile: string;
  readonly webhookTlsPrivateKeyFile: string;
  readonly webhookCertDir: string;
  readonly webhookTlsMinVersion: string;
  readonly webhookTlsCipherSuites: readonly string[];
  readonly webhookTlsCurvePreferences: readonly string[];
  readonly featureGates: ReadonlyMap<string, boolean>;
  readonly bindAddress: string;
  readonly securePort: number;
  readonly certDir: string;
  readonly tlsCertFile: string;
  readonly tlsPrivateKeyFile: string;
  readonly tlsMinVersion: string;
  readonly tlsCipherSuites: readonly string[];
  readonly tlsCurvePreferences: readonly string[];
  readonly authenticationKubeconfig: string;
  readonly authenticationTokenWebhookCacheTtlMs: number;
  readonly authorizationWebhookCacheAuthorizedTtlMs: number;
  readonly authorizationWebhookCacheUnauthorizedTtlMs: number;
  readonly authenticationSkipLookup: boolean;
  readonly authenticationTolerateLookupFailure: boolean;
  readonly clientCaFile: string;
  readonly authorizationKubeconfig: string;
  readonly authorizationAlwaysAllowPaths: readonly string[];
  readonly verbosity: number;
  readonly loggingFormat: 'text' | 'json';
  readonly version: boolean;
  readonly help: boolean;
  /** Deprecation warnings and notes about accepted-but-inert flags. */
  readonly warnings: readonly string[];
}

function get<T extends FlagValue>(parsed: ParsedFlags, name: string, check: (v: FlagValue) => v is T): T {
  const value = parsed.values.get(name);
  if (value === undefined || !check(value)) throw new Error(`flag table and options disagree about --${name}`);
  return value;
}
const isStr = (v: FlagValue): v is string => typeof v === 'string';
const isNum = (v: FlagValue): v is number => typeof v === 'number';
const isBool = (v: FlagValue): v is boolean => typeof v === 'boolean';
const isList = (v: FlagValue): v is readonly string[] => Array.isArray(v);

/** `--feature-gates=A=true,B=false` ⇒ map; unknown gates and non-boolean values are errors, as upstream. */
function parseFeatureGates(entries: readonly string[]): Map<string, boolean> {
  const gates = new Map<string, boolean>();
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    const key = eq < 0 ? entry : entry.slice(0, eq).trim();
    const val = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (eq < 0) throw new FlagError('--feature-gates', entry, `--feature-gates: missing bool value for ${key}`);
    if (!KNOWN_FEATURE_GATES.includes(key)) {
      throw new FlagError('--feature-gates', entry, `--feature-gates: unrecognized feature gate: ${key} (known: ${KNOWN_FEATURE_GATES.join(', ')})`);
    }
    if (val !== 'true' && val !== 'false') throw new FlagError('--feature-gates', entry, `--feature-gates: invalid value of ${key}=${val}, err: expected true or false`);
    gates.set(key, val === 'true');
  }
  return gates;
}

/** Builds typed options from parsed flags (no cross-flag validation; see {@link validateOptions}). */
export function optionsFromFlags(parsed: ParsedFlags): ManagerOptions {
  const str = (n: string): string => get(parsed, n, isStr);
  const num = (n: string): number => get(parsed, n, isNum);
  const bool = (n: string): boolean => get(parsed, n, isBool);
  const list = (n: string): readonly string[] => get(parsed, n, isList);
  const format = str('logging-format');
  if (format !== 'text' && format !== 'json') {
    throw new FlagError('--logging-format', format, `--logging-format: unsupported log format ${JSON.stringify(format)}, permitted formats: "json", "text"`);
  }
  return {
    cloudProvider: str('cloud-provider'),
    cloudConfig: str('cloud-config'),
    providerModules: list('provider-module'),
    controllers: list('controllers'),
    controllerStartIntervalMs: num('controller-start-interval'),
    minResyncPeriodMs: num('min-resync-period'),
    kubeApiQps: num('kube-api-qps'),
    kubeApiBurst: num('kube-api-burst'),
    kubeApiContentType: str('kube-api-content-type'),
    kubeconfig: str('kubeconfig'),
    master: str('master'),
    leaderElection: {
      enabled: bool('leader-elect'),
      leaseDurationMs: num('leader-elect-lease-duration'),
      renewDeadlineMs: num('leader-elect-renew-deadline'),
      retryPeriodMs: num('leader-elect-retry-period'),
      resourceLock: str('leader-elect-resource-lock'),
      resourceName: str('leader-elect-resource-name'),
      resourceNamespace: str('leader-elect-resource-namespace'),
    },
    enableLeaderMigration: bool('enable-leader-migration'),
    leaderMigrationConfig: str('leader-migration-config'),
    clusterName: str('cluster-name'),
    clusterCidr: str('cluster-cidr'),
    allocateNodeCidrs: bool('allocate-node-cidrs'),
    configureCloudRoutes: bool('configure-cloud-routes'),
    routeReconciliationPeriodMs: num('route-reconciliation-period'),
    nodeMonitorPeriodMs: num('node-monitor-period'),
    nodeStatusUpdateFrequencyMs: num('node-status-update-frequency'),
    concurrentNodeSyncs: num('concurrent-node-syncs'),
    concurrentNodeStatusUpdates: num('concurrent-node-status-updates'),
    concurrentServiceSyncs: num('concurrent-service-syncs'),
    concurrentNodeLifecycleSyncs: num('concurrent-node-lifecycle-syncs'),
    cloudProviderCallTimeoutMs: num('cloud-provider-call-timeout'),
    cloudProviderInitializeTimeoutMs: num('cloud-provider-initialize-timeout'),
    useServiceAccountCredentials: bool('use-service-account-credentials'),
    externalCloudVolumePlugin: str('external-cloud-volume-plugin'),
    allowUntaggedCloud: bool('allow-untagged-cloud'),
    cidrAllocatorType: str('cidr-allocator-type'),
    nodeSyncPeriodMs: num('node-sync-period'),
    profiling: bool('profiling'),
    contentionProfiling: bool('contention-profiling'),
    webhooks: list('webhooks'),
    webhookBindAddress: str('webhook-bind-address'),
    webhookSecurePort: num('webhook-secure-port'),
    webhookTlsCertFile: str('webhook-tls-cert-file'),
    webhookTlsPrivateKeyFile: str('webhook-tls-private-key-file'),
    webhookCertDir: str('webhook-cert-dir'),
    webhookTlsMinVersion: str('webhook-tls-min-version'),
    webhookTlsCipherSuites: list('webhook-tls-cipher-suites'),
    webhookTlsCurvePreferences: list('webhook-tls-curve-preferences'),
    featureGates: parseFeatureGates(list('feature-gates')),
    bindAddress: str('bind-address'),
    securePort: num('secure-port'),
    certDir: str('cert-dir'),
    tlsCertFile: str('tls-cert-file'),
    tlsPrivateKeyFile: str('tls-private-key-file'),
    tlsMinVersion: str('tls-min-version'),
    tlsCipherSuites: list('tls-cipher-suites'),
    tlsCurvePreferences: list('tls-curve-preferences'),
    authenticationKubeconfig: str('authentication-kubeconfig'),
    authenticationTokenWebhookCacheTtlMs: num('authentication-token-webhook-cache-ttl'),
    authorizationWebhookCacheAuthorizedTtlMs: num('authorization-webhook-cache-authorized-ttl'),
    authorizationWebhookCacheUnauthorizedTtlMs: num('authorization-webhook-cache-unauthorized-ttl'),
    authenticationSkipLookup: bool('authentication-skip-lookup'),
    authenticationTolerateLookupFailure: bool('authentication-tolerate-lookup-failure'),
    clientCaFile: str('client-ca-file'),
    authorizationKubeconfig: str('authorization-kubeconfig'),
    authorizationAlwaysAllowPaths: list('authorization-always-allow-paths'),
    verbosity: num('v'),
    loggingFormat: format,
    version: bool('version'),
    help: bool('help'),
    warnings: parsed.warnings,
  };
}

/**
 * Cross-flag validation, as upstream's `Validate` plus the checks upstream has but never calls
 * (node worker counts), since a zero-worker controller silently does nothing.
 * @returns every problem found, each a FlagError naming its flag (empty when valid).
 */
export function validateOptions(o: ManagerOptions): FlagError[] {
  const errors: FlagError[] = [];
  const fail = (flag: string, value: string | number, message: string): void => {
    errors.push(new FlagError(flag, String(value), message));
  };
  if (o.cloudProvider === '') fail('--cloud-provider', '', '--cloud-provider cannot be empty');
  if (o.concurrentNodeSyncs <= 0) fail('--concurrent-node-syncs', o.concurrentNodeSyncs, `--concurrent-node-syncs must be greater than 0, got ${o.concurrentNodeSyncs}`);
  if (o.concurrentNodeStatusUpdates < 0) fail('--concurrent-node-status-updates', o.concurrentNodeStatusUpdates, `--concurrent-node-status-updates must not be negative, got ${o.concurrentNodeStatusUpdates}`);
  if (o.concurrentNodeLifecycleSyncs <= 0) fail('--concurrent-node-lifecycle-syncs', o.concurrentNodeLifecycleSyncs, `--concurrent-node-lifecycle-syncs must be greater than 0, got ${o.concurrentNodeLifecycleSyncs}`);
  for (const [flag, ms] of [
    ['--cloud-provider-call-timeout', o.cloudProviderCallTimeoutMs],
    ['--cloud-provider-initialize-timeout', o.cloudProviderInitializeTimeoutMs],
  ] as const) {
    if (ms < 0) fail(flag, ms, `${flag} must not be negative (0 waits for ever)`);
  }
  if (o.concurrentServiceSyncs <= 0) fail('--concurrent-service-syncs', o.concurrentServiceSyncs, `--concurrent-service-syncs must be greater than 0, got ${o.concurrentServiceSyncs}`);
  if (o.kubeApiQps <= 0) fail('--kube-api-qps', o.kubeApiQps, `--kube-api-qps must be greater than 0, got ${o.kubeApiQps}`);
  if (o.kubeApiBurst <= 0) fail('--kube-api-burst', o.kubeApiBurst, `--kube-api-burst must be greater than 0, got ${o.kubeApiBurst}`);
  if (o.securePort < 0 || o.securePort > 65535) fail('--secure-port', o.securePort, `--secure-port ${o.securePort} must be between 0 and 65535, inclusive. 0 for turning off secure port`);
  if (o.webhookSecurePort < 0 || o.webhookSecurePort > 65535) {
    fail('--webhook-secure-port', o.webhookSecurePort, `--webhook-secure-port ${o.webhookSecurePort} must be between 0 and 65535, inclusive. A value of 0 disables the webhook endpoint entirely`);
  }
  // As upstream's options.Validate: two listeners cannot share a port (caught here, not at bind).
  if (o.webhookSecurePort === o.securePort && o.webhookSecurePort !== 0) {
    fail('--webhook-secure-port', o.webhookSecurePort, '--webhook-secure-port cannot be the same value as --secure-port');
  }
  if ((o.webhookTlsCertFile === '') !== (o.webhookTlsPrivateKeyFile === '')) {
    fail(o.webhookTlsCertFile === '' ? '--webhook-tls-cert-file' : '--webhook-tls-private-key-file', '', '--webhook-tls-cert-file and --webhook-tls-private-key-file must be given together');
  }
  if ((o.tlsCertFile === '') !== (o.tlsPrivateKeyFile === '')) {
    fail(o.tlsCertFile === '' ? '--tls-cert-file' : '--tls-private-key-file', '', '--tls-cert-file and --tls-private-key-file must be given together');
  }
  for (const [prefix, flags] of [
    ['--', { minVersion: o.tlsMinVersion, cipherSuites: o.tlsCipherSuites, curvePreferences: o.tlsCurvePreferences }],
    ['--webhook-', { minVersion: o.webhookTlsMinVersion, cipherSuites: o.webhookTlsCipherSuites, curvePreferences: o.webhookTlsCurvePreferences }],
  ] as const) {
    try {
      tlsServerOptions(flags, prefix);
    } catch (err) {
      if (!(err instanceof TlsOptionError)) throw err;
      errors.push(new FlagError(err.flag, '', err.message));
    }
  }
  for (const [flag, ms] of [
    ['--route-reconciliation-period', o.routeReconciliationPeriodMs],
    ['--node-monitor-period', o.nodeMonitorPeriodMs],
    ['--node-status-update-frequency', o.nodeStatusUpdateFrequencyMs],
    ['--min-resync-period', o.minResyncPeriodMs],
  ] as const) {
    if (ms <= 0) fail(flag, ms, `${flag} must be greater than 0`);
  }
  if (o.controllerStartIntervalMs < 0) fail('--controller-start-interval', o.controllerStartIntervalMs, '--controller-start-interval must not be negative');
  const le = o.leaderElection;
  if (le.enabled) {
    // As client-go's NewLeaderElector: leaseDuration > renewDeadline > retryPeriod * 1.2 (JitterFactor).
    if (le.resourceLock !== 'leases') fail('--leader-elect-resource-lock', le.resourceLock, `--leader-elect-resource-lock: only "leases" is supported, got ${JSON.stringify(le.resourceLock)}`);
    // The Lease keeps its duration as whole seconds in an int32 (spec.leaseDurationSeconds):
    // below 1 s the apiserver refuses every write, above 2^31-1 s it cannot be stored. Upstream
    // converts silently and fails later, for ever; here it is a flag error.
    if (le.leaseDurationMs < 1000 || le.leaseDurationMs > MAX_LEASE_DURATION_MS) {
      fail('--leader-elect-lease-duration', le.leaseDurationMs, `--leader-elect-lease-duration must be between 1s and ${MAX_LEASE_DURATION_SECONDS}s (the Lease stores whole seconds as an int32), got ${formatGoDuration(le.leaseDurationMs)}`);
    }
    if (le.leaseDurationMs <= le.renewDeadlineMs) fail('--leader-elect-lease-duration', le.leaseDurationMs, '--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline');
    // What other candidates read is the stored whole seconds: that too must exceed the renew deadline.
    else if (Math.floor(le.leaseDurationMs / 1000) * 1000 <= le.renewDeadlineMs) {
      fail('--leader-elect-lease-duration', le.leaseDurationMs, `--leader-elect-lease-duration ${formatGoDuration(le.leaseDurationMs)} is stored in the Lease as ${Math.floor(le.leaseDurationMs / 1000)}s, which must be greater than --leader-elect-renew-deadline ${formatGoDuration(le.renewDeadlineMs)}`);
    }
    if (le.renewDeadlineMs <= 1.2 * le.retryPeriodMs) fail('--leader-elect-renew-deadline', le.renewDeadlineMs, '--leader-elect-renew-deadline must be greater than 1.2 × --leader-elect-retry-period');
    if (le.retryPeriodMs <= 0) fail('--leader-elect-retry-period', le.retryPeriodMs, '--leader-elect-retry-period must be greater than 0');
    if (le.resourceName === '') fail('--leader-elect-resource-name', '', '--leader-elect-resource-name cannot be empty');
    if (le.resourceNamespace === '') fail('--leader-elect-resource-namespace', '', '--leader-elect-resource-namespace cannot be empty');
  }
  if (o.leaderMigrationConfig !== '' && !o.enableLeaderMigration) {
    fail('--leader-migration-config', o.leaderMigrationConfig, '--leader-migration-config is set but --enable-leader-migration is false');
  }
  if (o.verbosity < 0) fail('--v', o.verbosity, `--v must not be negative, got ${o.verbosity}`);
  return errors;
}

/**
 * Parses and validates a command line in one step (except `--controllers` names, which need the
 * controller catalog: see `resolveControllerAliases`).
 * @throws FlagError — the first problem found.
 */
export function parseManagerOptions(argv: readonly string[]): ManagerOptions {
  const options = optionsFromFlags(parseFlags(argv));
  if (options.help || options.version) return options;
  const [first] = validateOptions(options);
  if (first !== undefined) throw first;
  return options;
}
