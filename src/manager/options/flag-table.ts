/**
 * Every flag of upstream's `cloud-controller-manager` (k8s.io/cloud-provider `options/` plus the
 * controller-manager, apiserver serving/authn/authz and component-base logging flag sets), and
 * ours (`--provider-module`), as data: help text, defaults, parsing and validation all derive
 * from this one table.
 *
 * @module
 */

/** The value kinds pflag offers that upstream's flags use. */
export type FlagType = 'bool' | 'int' | 'float' | 'string' | 'duration' | 'stringList';

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
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;

// Upstream's component-base defaults CCM overrides (§4.9): QPS 20 / burst 30, protobuf content
// type, 12 h resync; leader election on with 15 s / 10 s / 2 s on a Lease.
const TABLE: readonly FlagSpec[] = [
  // generic (cloud provider + generic controller manager)
  { group: 'generic', name: 'cloud-provider', type: 'string', default: '', usage: 'The provider for cloud services. Required; "external" means none in this process.' },
  { group: 'generic', name: 'cloud-config', type: 'string', default: '', usage: 'The path to the cloud provider configuration file. Empty string for no configuration file.' },
  { group: 'generic', name: 'provider-module', type: 'stringList', default: [], usage: 'Outrigger: an npm package or file path to import before choosing --cloud-provider; repeatable.' },
  { group: 'generic', name: 'controllers', type: 'stringList', default: ['*'], usage: "A list of controllers to enable. '*' enables all on-by-default controllers, 'foo' enables the controller named 'foo', '-foo' disables the controller named 'foo'." },
  { group: 'generic', name: 'controller-start-interval', type: 'duration', default: 0, usage: 'Interval between starting controller managers (jittered).' },
  { group: 'generic', name: 'min-resync-period', type: 'duration', default: 12 * H, usage: 'The resync period in reflectors will be random between MinResyncPeriod and 2*MinResyncPeriod.' },
  { group: 'generic', name: 'kube-api-qps', type: 'float', default: 20, usage: 'QPS to use while talking with kubernetes apiserver.' },
  { group: 'generic', name: 'kube-api-burst', type: 'int', default: 30, usage: 'Burst to use while talking with kubernetes apiserver.' },
  { group: 'generic', name: 'kube-api-content-type', type: 'string', default: 'application/vnd.kubernetes.protobuf', usage: 'Content type of requests sent to apiserver.', inert: 'Outrigger always speaks JSON' },
  { group: 'generic', name: 'leader-elect', type: 'bool', default: true, usage: 'Start a leader election client and gain leadership before executing the main loop. Enable this when running replicated components for high availability.' },
  { group: 'generic', name: 'leader-elect-lease-duration', type: 'duration', default: 15 * S, usage: 'The duration that non-leader candidates will wait after observing a leadership renewal until attempting to acquire leadership of a led but unrenewed leader slot.' },
  { group: 'generic', name: 'leader-elect-renew-deadline', type: 'duration', default: 10 * S, usage: 'The interval between attempts by the acting master to renew a leadership slot before it stops leading. Must be less than the lease duration.' },
  { group: 'generic', name: 'leader-elect-retry-period', type: 'duration', default: 2 * S, usage: 'The duration the clients should wait between attempting acquisition and renewal of a leadership.' },
  { group: 'generic', name: 'leader-elect-resource-lock', type: 'string', default: 'leases', usage: "The type of resource object that is used for locking during leader election. Supported options are 'leases'." },
  { group: 'generic', name: 'leader-elect-resource-name', type: 'string', default: 'cloud-controller-manager', usage: 'The name of resource object that is used for locking during leader election.' },
  { group: 'generic', name: 'leader-elect-resource-namespace', type: 'string', default: 'kube-system', usage: 'The namespace of resource object that is used for locking during leader election.' },
  { group: 'generic', name: 'use-service-account-credentials', type: 'bool', default: false, usage: 'If true, use individual service account credentials for each controller.', inert: 'not yet supported; the root credentials are used with per-controller user agents' },
  { group: 'generic', name: 'cluster-name', type: 'string', default: 'kubernetes', usage: 'The instance prefix for the cluster.' },
  { group: 'generic', name: 'cluster-cidr', type: 'string', default: '', usage: 'CIDR Range for Pods in cluster (used by the route controller).' },
  { group: 'generic', name: 'allocate-node-cidrs', type: 'bool', default: false, usage: 'Should CIDRs for Pods be allocated and set on the cloud provider.' },
  { group: 'generic', name: 'cidr-allocator-type', type: 'string', default: 'RangeAllocator', usage: 'Type of CIDR allocator to use.', inert: 'unused by the four controllers, as upstream' },
  { group: 'generic', name: 'configure-cloud-routes', type: 'bool', default: true, usage: 'Should CIDRs allocated by allocate-node-cidrs be configured on the cloud provider.' },
  { group: 'generic', name: 'route-reconciliation-period', type: 'duration', default: 10 * S, usage: 'The period for reconciling routes created for Nodes by cloud provider.' },
  { group: 'generic', name: 'node-monitor-period', type: 'duration', default: 5 * S, usage: 'The period for syncing NodeStatus in cloud-node-lifecycle-controller.' },
  { group: 'generic', name: 'external-cloud-volume-plugin', type: 'string', default: '', usage: 'The plugin to use when cloud provider is set to external.', inert: 'kube-controller-manager era; unused' },
  { group: 'generic', name: 'allow-untagged-cloud', type: 'bool', default: false, usage: 'Allow the cluster to run without the cluster-id on cloud instances.', deprecated: 'This is a legacy mode of operation and will be removed.' },
  { group: 'generic', name: 'node-sync-period', type: 'duration', default: 0, usage: 'This flag is deprecated and will be removed in future releases.', deprecated: 'This flag is currently no-op and will be deleted.' },
  { group: 'generic', name: 'feature-gates', type: 'stringList', default: [], usage: 'A set of key=value pairs that describe feature gates for alpha/experimental features.' },
  // debugging
  { group: 'debugging', name: 'profiling', type: 'bool', default: true, usage: 'Enable profiling via web interface host:port/debug/pprof/.', inert: 'no pprof endpoint in Node' },
  { group: 'debugging', name: 'contention-profiling', type: 'bool', default: false, usage: 'Enable block profiling, if profiling is enabled.', inert: 'no pprof endpoint in Node' },
  // leader-migration
  { group: 'leader-migration', name: 'enable-leader-migration', type: 'bool', default: false, usage: 'Whether to enable controller leader migration.' },
  { group: 'leader-migration', name: 'leader-migration-config', type: 'string', default: '', usage: 'Path to the config file for controller leader migration, or empty to use the value that reflects default configuration of the controller manager.' },
  // controllers
  { group: 'cloud-node-controller', name: 'concurrent-node-syncs', type: 'int', default: 1, usage: 'Number of workers concurrently synchronizing nodes.' },
  { group: 'cloud-node-controller', name: 'concurrent-node-status-updates', type: 'int', default: 0, usage: 'Number of workers concurrently updating node statuses; 0 means use --concurrent-node-syncs.' },
  { group: 'service-lb-controller', name: 'concurrent-service-syncs', type: 'int', default: 1, usage: 'The number of services that are allowed to sync concurrently.' },
  // webhook
  { group: 'webhook', name: 'webhooks', type: 'stringList', default: [], usage: 'A list of webhooks to enable.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-bind-address', type: 'string', default: '0.0.0.0', usage: 'The IP address on which to listen for the --webhook-secure-port port.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-secure-port', type: 'int', default: 10260, usage: 'Secure port to serve cloud provider webhooks. If 0, don\'t serve webhooks at all.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-disable-http2-serving', type: 'bool', default: false, usage: 'If true, HTTP2 serving will be disabled.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-cert-dir', type: 'string', default: '', usage: 'The directory where the TLS certs are located.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-tls-cert-file', type: 'string', default: '', usage: 'File containing the default x509 Certificate for HTTPS.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-tls-private-key-file', type: 'string', default: '', usage: 'File containing the default x509 private key matching --webhook-tls-cert-file.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-tls-cipher-suites', type: 'stringList', default: [], usage: 'Comma-separated list of cipher suites for the server.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-tls-curve-preferences', type: 'stringList', default: [], usage: 'Comma-separated list of elliptic curve preferences.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-tls-min-version', type: 'string', default: '', usage: 'Minimum TLS version supported.', inert: 'no webhooks are registered' },
  { group: 'webhook serving', name: 'webhook-tls-sni-cert-key', type: 'stringList', default: [], usage: 'A pair of x509 certificate and private key file paths, optionally suffixed with a list of domain patterns.', inert: 'no webhooks are registered' },
  // secure serving
  { group: 'secure serving', name: 'bind-address', type: 'string', default: '0.0.0.0', usage: 'The IP address on which to listen for the --secure-port port.' },
  { group: 'secure serving', name: 'secure-port', type: 'int', default: 10258, usage: 'The port on which to serve HTTPS with authentication and authorization. If 0, don\'t serve HTTPS at all.' },
  { group: 'secure serving', name: 'cert-dir', type: 'string', default: '', usage: 'The directory where the TLS certs are located. Ignored if --tls-cert-file and --tls-private-key-file are provided.' },
  { group: 'secure serving', name: 'tls-cert-file', type: 'string', default: '', usage: 'File containing the default x509 Certificate for HTTPS. If not provided, a self-signed certificate is generated.' },
  { group: 'secure serving', name: 'tls-private-key-file', type: 'string', default: '', usage: 'File containing the default x509 private key matching --tls-cert-file.' },
  { group: 'secure serving', name: 'tls-cipher-suites', type: 'stringList', default: [], usage: 'Comma-separated list of cipher suites for the server.', inert: 'Node\'s defaults are used' },
  { group: 'secure serving', name: 'tls-curve-preferences', type: 'stringList', default: [], usage: 'Comma-separated list of elliptic curve preferences.', inert: 'Node\'s defaults are used' },
  { group: 'secure serving', name: 'tls-min-version', type: 'string', default: '', usage: 'Minimum TLS version supported (VersionTLS12, VersionTLS13).' },
  { group: 'secure serving', name: 'tls-sni-cert-key', type: 'stringList', default: [], usage: 'A pair of x509 certificate and private key file paths, optionally suffixed with domain patterns.', inert: 'SNI certificates not yet supported' },
  { group: 'secure serving', name: 'http2-max-streams-per-connection', type: 'int', default: 0, usage: 'The limit that the server gives to clients for the maximum number of streams in an HTTP/2 connection.', inert: 'HTTP/1.1 only' },
  { group: 'secure serving', name: 'disable-http2-serving', type: 'bool', default: false, usage: 'If true, HTTP2 serving will be disabled.', inert: 'HTTP/1.1 only' },
  { group: 'secure serving', name: 'permit-port-sharing', type: 'bool', default: false, usage: 'If true, SO_REUSEPORT will be used when binding the port.', inert: 'not supported by node:https' },
  { group: 'secure serving', name: 'permit-address-sharing', type: 'bool', default: false, usage: 'If true, SO_REUSEADDR will be used when binding the port.', inert: 'node:https always sets SO_REUSEADDR' },
  // authentication
  { group: 'authentication', name: 'authentication-kubeconfig', type: 'string', default: '', usage: 'kubeconfig file pointing at the core kubernetes server with enough rights to create tokenreviews.authentication.k8s.io. Optional.' },
  { group: 'authentication', name: 'authentication-skip-lookup', type: 'bool', default: false, usage: 'If false, the authentication-kubeconfig will be used to lookup missing authentication configuration from the cluster.' },
  { group: 'authentication', name: 'authentication-token-webhook-cache-ttl', type: 'duration', default: 10 * S, usage: 'The duration to cache responses from the webhook token authenticator.' },
  { group: 'authentication', name: 'authentication-tolerate-lookup-failure', type: 'bool', default: false, usage: 'If true, failures to look up missing authentication configuration from the cluster are not considered fatal.' },
  { group: 'authentication', name: 'client-ca-file', type: 'string', default: '', usage: 'If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated.' },
  { group: 'authentication', name: 'requestheader-client-ca-file', type: 'string', default: '', usage: 'Root certificate bundle to use to verify client certificates on incoming requests before trusting usernames in headers.' },
  { group: 'authentication', name: 'requestheader-allowed-names', type: 'stringList', default: [], usage: 'List of client certificate common names to allow to provide usernames in headers.' },
  { group: 'authentication', name: 'requestheader-username-headers', type: 'stringList', default: ['x-remote-user'], usage: 'List of request headers to inspect for usernames.' },
  { group: 'authentication', name: 'requestheader-uid-headers', type: 'stringList', default: [], usage: 'List of request headers to inspect for UIDs.' },
  { group: 'authentication', name: 'requestheader-group-headers', type: 'stringList', default: ['x-remote-group'], usage: 'List of request headers to inspect for groups.' },
  { group: 'authentication', name: 'requestheader-extra-headers-prefix', type: 'stringList', default: ['x-remote-extra-'], usage: 'List of request header prefixes to inspect.' },
  // authorization
  { group: 'authorization', name: 'authorization-kubeconfig', type: 'string', default: '', usage: 'kubeconfig file pointing at the core kubernetes server with enough rights to create subjectaccessreviews.authorization.k8s.io. Optional.' },
  { group: 'authorization', name: 'authorization-always-allow-paths', type: 'stringList', default: ['/healthz', '/readyz', '/livez'], usage: 'A list of HTTP paths to skip during authorization.' },
  { group: 'authorization', name: 'authorization-webhook-cache-authorized-ttl', type: 'duration', default: 10 * S, usage: "The duration to cache 'authorized' responses from the webhook authorizer." },
  { group: 'authorization', name: 'authorization-webhook-cache-unauthorized-ttl', type: 'duration', default: 10 * S, usage: "The duration to cache 'unauthorized' responses from the webhook authorizer." },
  // misc
  { group: 'misc', name: 'master', type: 'string', default: '', usage: 'The address of the Kubernetes API server (overrides any value in kubeconfig).' },
  { group: 'misc', name: 'kubeconfig', type: 'string', default: '', usage: 'Path to kubeconfig file with authorization and master location information.' },
  { group: 'misc', name: 'node-status-update-frequency', type: 'duration', default: 5 * M, usage: 'Specifies how often the controller updates nodes\' status.' },
  // global
  { group: 'global', name: 'v', type: 'int', default: 0, usage: 'number for the log level verbosity (also -v)' },
  { group: 'global', name: 'vmodule', type: 'stringList', default: [], usage: 'comma-separated list of pattern=N settings for file-filtered logging', inert: 'per-file verbosity is not supported' },
  { group: 'global', name: 'logging-format', type: 'string', default: 'text', usage: 'Sets the log format. Permitted formats: "json", "text".' },
  { group: 'global', name: 'log-flush-frequency', type: 'duration', default: 5 * S, usage: 'Maximum number of seconds between log flushes.', inert: 'lines are written unbuffered' },
  { group: 'global', name: 'version', type: 'bool', default: false, usage: 'Print version information and quit.' },
  { group: 'global', name: 'help', type: 'bool', default: false, usage: 'help for cloud-controller-manager (also -h)' },
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
