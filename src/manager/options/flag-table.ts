/**
 * Every flag of upstream's `cloud-controller-manager` (k8s.io/cloud-provider `options/` plus the
 * controller-manager, apiserver serving/authn/authz and component-base logging flag sets), and
 * ours (`--provider-module`), as data: help text, defaults, parsing and validation all derive
 * from this one table.
 *
 * @module
 */

/** The value kinds pflag offers that upstream's flags use (`ip` is pflag's `IPVar`: text that must be an IP address). */
export type FlagType = 'bool' | 'int' | 'float' | 'string' | 'ip' | 'duration' | 'stringList';

/** The parsed value of a flag: durations are milliseconds, lists are string arrays. */
export type FlagValue = boolean | number | string | readonly string[];

/** One flag. */
export interface FlagSpec {
  /** Long name without dashes (`leader-elect`); `v` is also accepted as `-v`. */
  readonly name: string;
  readonly type: FlagType;
  /** The upstream default (durations in milliseconds). */
  readonly default: FlagValue;
  readonly usage: string;
  /** The `--help` section it is listed under, as upstream's named flag sets. */
  readonly group: string;
  /** Set for flags upstream keeps only for compatibility: accepted, ignored, warned about. */
  readonly deprecated?: string;
  /** Accepted and validated but with no effect in Outrigger (stated in `--help`). */
  readonly inert?: string;
  /**
   * Largest value accepted (`int` flags). Where upstream has no bound, Outrigger sets a generous
   * one so a typo cannot start a hundred million workers (docs/deviations.md).
   */
  readonly max?: number;
}

const S = 1000;

/** Upper bound of the `--concurrent-*` worker counts (upstream has none; 100,000,000 ran out of memory). */
export const MAX_CONCURRENT_SYNCS = 10_000;
/** klog's `-v` is an int32 (`klog.Level`). */
const MAX_INT32 = 2 ** 31 - 1;
const M = 60 * S;
const H = 60 * M;

// Upstream's component-base defaults CCM overrides (§4.9): QPS 20 / burst 30, protobuf content
// type, 12 h resync; leader election on with 15 s / 10 s / 2 s on a Lease.
const TABLE: readonly FlagSpec[] = [
  // generic (cloud provider + generic controller manager)
  { group: 'generic', name: 'cloud-provider', type: 'string', default: '', usage: 'Name of the cloud provider to run (required). Upstream\'s "external" is refused: Outrigger runs the provider in this process.' },
  { group: 'generic', name: 'cloud-config', type: 'string', default: '', usage: "Path to the cloud provider's configuration file; leave empty to use none." },
  { group: 'generic', name: 'cloud-provider-call-timeout', type: 'duration', default: 5 * M, usage: 'Outrigger only: how long one cloud provider call may take before it is abandoned (its AbortSignal aborts, within 1% of this and at most 1s after), logged and retried; 0 waits for ever.' },
  { group: 'generic', name: 'cloud-provider-initialize-timeout', type: 'duration', default: 5 * M, usage: "Outrigger only: how long the provider's initialize may take before /healthz fails and the manager stops (exit 1); 0 waits for ever." },
  { group: 'generic', name: 'provider-module', type: 'stringList', default: [], usage: 'Outrigger only: an npm package or file path imported before --cloud-provider is resolved; may be repeated.' },
  { group: 'generic', name: 'controllers', type: 'stringList', default: ['*'], usage: "Controllers to run: '*' turns on every default-on controller, 'name' turns on the controller called name, and '-name' turns it off." },
  { group: 'generic', name: 'controller-start-interval', type: 'duration', default: 0, usage: 'Jittered pause between starting one controller and the next.' },
  { group: 'generic', name: 'min-resync-period', type: 'duration', default: 12 * H, usage: 'Lower bound for reflector resync periods; each one is picked at random between this value and twice it.' },
  { group: 'generic', name: 'kube-api-qps', type: 'float', default: 20, usage: 'Rate limit, in queries per second, for requests to the Kubernetes API server.' },
  { group: 'generic', name: 'kube-api-burst', type: 'int', default: 30, usage: 'Maximum burst of requests allowed to the Kubernetes API server.' },
  { group: 'generic', name: 'kube-api-content-type', type: 'string', default: 'application/vnd.kubernetes.protobuf', usage: 'Media type of the requests sent to the API server.', inert: 'Outrigger always speaks JSON' },
  { group: 'generic', name: 'leader-elect', type: 'bool', default: true, usage: 'Win a leader election before running the control loops; turn this on when running several replicas for high availability.' },
  { group: 'generic', name: 'leader-elect-lease-duration', type: 'duration', default: 15 * S, usage: 'How long non-leader candidates wait, after last seeing the leader renew, before trying to take over a lease that has not been renewed.' },
  { group: 'generic', name: 'leader-elect-renew-deadline', type: 'duration', default: 10 * S, usage: 'How long the current leader keeps trying to renew its lease before it steps down; must be less than the lease duration.' },
  { group: 'generic', name: 'leader-elect-retry-period', type: 'duration', default: 2 * S, usage: 'Wait between successive attempts to acquire or renew leadership.' },
  { group: 'generic', name: 'leader-elect-resource-lock', type: 'string', default: 'leases', usage: "Kind of object used as the leader-election lock; only 'leases' is supported." },
  { group: 'generic', name: 'leader-elect-resource-name', type: 'string', default: 'cloud-controller-manager', usage: 'Name of the object used as the leader-election lock.' },
  { group: 'generic', name: 'leader-elect-resource-namespace', type: 'string', default: 'kube-system', usage: 'Namespace of the object used as the leader-election lock.' },
  { group: 'generic', name: 'use-service-account-credentials', type: 'bool', default: false, usage: 'When true, each controller talks to the API server as its own service account in kube-system, with tokens from the TokenRequest API.' },
  { group: 'generic', name: 'cluster-name', type: 'string', default: 'kubernetes', usage: "Name used to prefix this cluster's resources at the cloud provider." },
  { group: 'generic', name: 'cluster-cidr', type: 'string', default: '', usage: "CIDR range of the cluster's Pods, used by the route controller." },
  { group: 'generic', name: 'allocate-node-cidrs', type: 'bool', default: false, usage: 'Whether Pod CIDRs are allocated to nodes and set up at the cloud provider.' },
  { group: 'generic', name: 'cidr-allocator-type', type: 'string', default: 'RangeAllocator', usage: 'Which CIDR allocator to use.', inert: 'unused by the four controllers, as upstream' },
  { group: 'generic', name: 'configure-cloud-routes', type: 'bool', default: true, usage: 'Whether the CIDRs assigned through --allocate-node-cidrs are programmed as routes at the cloud provider.' },
  { group: 'generic', name: 'route-reconciliation-period', type: 'duration', default: 10 * S, usage: 'How often the cloud routes created for Nodes are reconciled.' },
  { group: 'generic', name: 'node-monitor-period', type: 'duration', default: 5 * S, usage: 'How often the cloud node lifecycle controller syncs node status.' },
  { group: 'generic', name: 'external-cloud-volume-plugin', type: 'string', default: '', usage: 'Volume plugin to use when --cloud-provider is "external".', inert: 'kube-controller-manager era; unused' },
  { group: 'generic', name: 'allow-untagged-cloud', type: 'bool', default: false, usage: 'Permit running when cloud instances carry no cluster ID.', deprecated: 'running without a cluster ID is a legacy mode and will go away.' },
  { group: 'generic', name: 'node-sync-period', type: 'duration', default: 0, usage: 'Deprecated and due to be removed in a later release.', deprecated: 'it does nothing and will be removed.' },
  { group: 'generic', name: 'feature-gates', type: 'stringList', default: [], usage: 'Comma-separated key=value pairs that switch alpha or experimental features on or off.' },
  // debugging
  { group: 'debugging', name: 'profiling', type: 'bool', default: true, usage: 'Serve profiling data over the web at host:port/debug/pprof/.', inert: 'no pprof endpoint in Node' },
  { group: 'debugging', name: 'contention-profiling', type: 'bool', default: false, usage: 'Also collect block (contention) profiles when profiling is on.', inert: 'no pprof endpoint in Node' },
  // leader-migration
  { group: 'leader-migration', name: 'enable-leader-migration', type: 'bool', default: false, usage: 'Turn on leader migration for controllers.' },
  { group: 'leader-migration', name: 'leader-migration-config', type: 'string', default: '', usage: "Path to the leader migration config file; leave empty to use the controller manager's default configuration." },
  // controllers
  { group: 'cloud-node-controller', name: 'concurrent-node-syncs', type: 'int', default: 1, max: MAX_CONCURRENT_SYNCS, usage: 'How many workers sync nodes in parallel.' },
  { group: 'cloud-node-controller', name: 'concurrent-node-status-updates', type: 'int', default: 0, max: MAX_CONCURRENT_SYNCS, usage: 'How many workers update node status in parallel; 0 falls back to --concurrent-node-syncs.' },
  { group: 'cloud-node-lifecycle-controller', name: 'concurrent-node-lifecycle-syncs', type: 'int', default: 1, max: MAX_CONCURRENT_SYNCS, usage: 'How many nodes a node lifecycle monitoring pass checks in parallel.' },
  { group: 'service-lb-controller', name: 'concurrent-service-syncs', type: 'int', default: 1, max: MAX_CONCURRENT_SYNCS, usage: 'How many services may be synced in parallel.' },
  // webhook
  { group: 'webhook', name: 'webhooks', type: 'stringList', default: [], usage: "Webhooks to turn on (with the CloudControllerManagerWebhook gate): '*' turns on all that are on by default, 'foo' turns on 'foo', '-foo' turns it off; nothing is on while empty." },
  { group: 'webhook serving', name: 'webhook-bind-address', type: 'ip', default: '0.0.0.0', usage: 'IP address the --webhook-secure-port listener binds to.' },
  { group: 'webhook serving', name: 'webhook-secure-port', type: 'int', default: 10260, usage: 'HTTPS port for cloud provider webhooks; 0 turns webhook serving off.' },
  { group: 'webhook serving', name: 'webhook-disable-http2-serving', type: 'bool', default: false, usage: 'When true, the webhook server does not offer HTTP/2.', inert: 'the webhook listener serves HTTP/1.1 only' },
  { group: 'webhook serving', name: 'webhook-cert-dir', type: 'string', default: '', usage: "Directory holding the webhook server's self-signed certificate (cloud-controller-manager-webhook.crt/.key), written there when missing; ignored with --webhook-tls-cert-file." },
  { group: 'webhook serving', name: 'webhook-tls-cert-file', type: 'string', default: '', usage: 'Default x509 certificate file for webhook HTTPS.' },
  { group: 'webhook serving', name: 'webhook-tls-private-key-file', type: 'string', default: '', usage: 'x509 private key file that pairs with --webhook-tls-cert-file.' },
  { group: 'webhook serving', name: 'webhook-tls-cipher-suites', type: 'stringList', default: [], usage: 'Comma-separated cipher suites (IANA names) the webhook server accepts for TLS 1.2; TLS 1.3 suites are always on.' },
  { group: 'webhook serving', name: 'webhook-tls-curve-preferences', type: 'stringList', default: [], usage: 'Comma-separated numeric Go tls.CurveID values the webhook server allows (23 P-256, 24 P-384, 25 P-521, 29 X25519).' },
  { group: 'webhook serving', name: 'webhook-tls-min-version', type: 'string', default: '', usage: 'Lowest TLS version the webhook server accepts (VersionTLS12 or VersionTLS13).' },
  { group: 'webhook serving', name: 'webhook-tls-sni-cert-key', type: 'stringList', default: [], usage: 'An x509 certificate file and private key file, optionally followed by the domain patterns they serve.', inert: 'SNI certificates not yet supported' },
  // secure serving
  { group: 'secure serving', name: 'bind-address', type: 'ip', default: '0.0.0.0', usage: 'IP address the --secure-port listener binds to.' },
  { group: 'secure serving', name: 'secure-port', type: 'int', default: 10258, usage: 'Port for authenticated and authorized HTTPS; 0 turns HTTPS serving off.' },
  { group: 'secure serving', name: 'cert-dir', type: 'string', default: '', usage: 'Directory holding the self-signed serving certificate (cloud-controller-manager.crt/.key), written there when missing; ignored when --tls-cert-file and --tls-private-key-file are set.' },
  { group: 'secure serving', name: 'tls-cert-file', type: 'string', default: '', usage: 'Default x509 certificate file for HTTPS; when unset, a self-signed certificate is generated.' },
  { group: 'secure serving', name: 'tls-private-key-file', type: 'string', default: '', usage: 'x509 private key file that pairs with --tls-cert-file.' },
  { group: 'secure serving', name: 'tls-cipher-suites', type: 'stringList', default: [], usage: 'Comma-separated cipher suites (IANA names) the server accepts for TLS 1.2; TLS 1.3 suites are always on.' },
  { group: 'secure serving', name: 'tls-curve-preferences', type: 'stringList', default: [], usage: 'Comma-separated numeric Go tls.CurveID values the server allows (23 P-256, 24 P-384, 25 P-521, 29 X25519).' },
  { group: 'secure serving', name: 'tls-min-version', type: 'string', default: '', usage: 'Lowest TLS version the server accepts (VersionTLS12 or VersionTLS13).' },
  { group: 'secure serving', name: 'tls-sni-cert-key', type: 'stringList', default: [], usage: 'An x509 certificate file and private key file, optionally followed by the domain patterns they serve.', inert: 'SNI certificates not yet supported' },
  { group: 'secure serving', name: 'http2-max-streams-per-connection', type: 'int', default: 0, usage: 'Maximum concurrent streams per HTTP/2 connection that the server advertises to clients.', inert: 'HTTP/1.1 only' },
  { group: 'secure serving', name: 'disable-http2-serving', type: 'bool', default: false, usage: 'When true, the server does not offer HTTP/2.', inert: 'HTTP/1.1 only' },
  { group: 'secure serving', name: 'permit-port-sharing', type: 'bool', default: false, usage: 'When true, the port is bound with SO_REUSEPORT.', inert: 'not supported by node:https' },
  { group: 'secure serving', name: 'permit-address-sharing', type: 'bool', default: false, usage: 'When true, the port is bound with SO_REUSEADDR.', inert: 'node:https always sets SO_REUSEADDR' },
  // authentication
  { group: 'authentication', name: 'authentication-kubeconfig', type: 'string', default: '', usage: 'Optional kubeconfig for the core Kubernetes API server, with permission to create tokenreviews.authentication.k8s.io.' },
  { group: 'authentication', name: 'authentication-skip-lookup', type: 'bool', default: false, usage: 'When false, --authentication-kubeconfig is used to fetch any missing authentication settings from the cluster.' },
  { group: 'authentication', name: 'authentication-token-webhook-cache-ttl', type: 'duration', default: 10 * S, usage: 'How long webhook token authenticator responses are cached.' },
  { group: 'authentication', name: 'authentication-tolerate-lookup-failure', type: 'bool', default: false, usage: 'When true, failing to fetch missing authentication settings from the cluster is not fatal.' },
  { group: 'authentication', name: 'client-ca-file', type: 'string', default: '', usage: 'When set, a request whose client certificate is signed by an authority in this file is authenticated.' },
  { group: 'authentication', name: 'requestheader-client-ca-file', type: 'string', default: '', usage: "CA bundle that must have signed a request's client certificate before usernames in its headers are trusted." },
  { group: 'authentication', name: 'requestheader-allowed-names', type: 'stringList', default: [], usage: 'Client certificate common names permitted to supply usernames in headers.' },
  { group: 'authentication', name: 'requestheader-username-headers', type: 'stringList', default: ['x-remote-user'], usage: 'Request headers checked for the username.' },
  { group: 'authentication', name: 'requestheader-uid-headers', type: 'stringList', default: [], usage: 'Request headers checked for the UID.' },
  { group: 'authentication', name: 'requestheader-group-headers', type: 'stringList', default: ['x-remote-group'], usage: 'Request headers checked for groups.' },
  { group: 'authentication', name: 'requestheader-extra-headers-prefix', type: 'stringList', default: ['x-remote-extra-'], usage: 'Request header prefixes checked for extra user information.' },
  // authorization
  { group: 'authorization', name: 'authorization-kubeconfig', type: 'string', default: '', usage: 'Optional kubeconfig for the core Kubernetes API server, with permission to create subjectaccessreviews.authorization.k8s.io.' },
  { group: 'authorization', name: 'authorization-always-allow-paths', type: 'stringList', default: ['/healthz', '/readyz', '/livez'], usage: 'HTTP paths that bypass authorization.' },
  { group: 'authorization', name: 'authorization-webhook-cache-authorized-ttl', type: 'duration', default: 10 * S, usage: "How long 'authorized' answers from the webhook authorizer are cached." },
  { group: 'authorization', name: 'authorization-webhook-cache-unauthorized-ttl', type: 'duration', default: 10 * S, usage: "How long 'unauthorized' answers from the webhook authorizer are cached." },
  // misc
  { group: 'misc', name: 'master', type: 'string', default: '', usage: 'Kubernetes API server address; takes precedence over the one in the kubeconfig.' },
  { group: 'misc', name: 'kubeconfig', type: 'string', default: '', usage: 'Path to a kubeconfig giving the API server location and credentials.' },
  { group: 'misc', name: 'node-status-update-frequency', type: 'duration', default: 5 * M, usage: 'How often the controller updates node status.' },
  // global
  { group: 'global', name: 'v', type: 'int', default: 0, max: MAX_INT32, usage: 'Log verbosity level (also -v).' },
  { group: 'global', name: 'vmodule', type: 'stringList', default: [], usage: 'Comma-separated pattern=N entries that set verbosity per file.', inert: 'per-file verbosity is not supported' },
  { group: 'global', name: 'logging-format', type: 'string', default: 'text', usage: 'Log output format: "json" or "text".' },
  { group: 'global', name: 'log-flush-frequency', type: 'duration', default: 5 * S, usage: 'Longest time between log flushes.', inert: 'lines are written unbuffered' },
  { group: 'global', name: 'version', type: 'bool', default: false, usage: 'Print the version and exit.' },
  { group: 'global', name: 'help', type: 'bool', default: false, usage: 'Show this help for cloud-controller-manager (also -h).' },
];

/** All flags, in `--help` order. */
export const FLAGS: readonly FlagSpec[] = TABLE;

/** Flags by name. */
export const FLAGS_BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(TABLE.map((f) => [f.name, f]));

/** The feature gates this build understands (upstream's CCM gates; all alpha, default off). */
export const KNOWN_FEATURE_GATES: readonly string[] = [
  'CloudControllerManagerWatchBasedRoutesReconciliation',
  'CloudControllerManagerWebhook',
  'ControllerManagerReleaseLeaderElectionLockOnExit',
];
