/**
 * The conformance fixture: what a provider declares about itself before the suite runs — the
 * instances its cloud has (and what the cloud node controller must make of them) and which
 * load-balancer and route features it supports. A case whose feature is not declared is SKIPPED
 * with the reason, never passed.
 *
 * YAML (or JSON), read as every Outrigger configuration file is ({@link parseYamlConfig}); every
 * error is one line `file:line:column: field: problem`.
 *
 * @module
 */
import { z } from 'zod';
import { parseYamlConfig } from '../input/yaml-config.js';

const address = z.strictObject({
  type: z.enum(['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS']),
  address: z.string().min(1),
});

const instance = z.strictObject({
  /** The Node the suite creates for this instance (as a kubelet with `--cloud-provider=external` would). */
  nodeName: z.string().min(1),
  /** The providerID the cloud node controller must set. */
  providerID: z.string().min(1).optional(),
  /** The addresses it must set (compared as a set). */
  addresses: z.array(address).optional(),
  zone: z.string().optional(),
  region: z.string().optional(),
  instanceType: z.string().optional(),
  /** Further labels the provider's metadata adds (`additionalLabels`). */
  labels: z.record(z.string(), z.string()).optional(),
  /** The instance is shut down: a not-Ready Node of it gets the shutdown taint. */
  shutdown: z.boolean().optional(),
  /** Pod CIDRs the suite gives the Node (what nodeipam would), for the route cases. */
  podCIDRs: z.array(z.string().min(1)).max(2).optional(),
});

const loadBalancer = z.strictObject({
  /** Protocols one Service port may use; TCP is assumed. */
  protocols: z.array(z.enum(['TCP', 'UDP', 'SCTP'])).optional(),
  /** TCP and UDP ports in one Service (MixedProtocolLBService). */
  mixedProtocols: z.boolean().optional(),
  /** `spec.loadBalancerSourceRanges` are applied. */
  sourceRanges: z.boolean().optional(),
  /** `externalTrafficPolicy: Local` with its `healthCheckNodePort`. */
  externalTrafficPolicyLocal: z.boolean().optional(),
  /** `sessionAffinity: ClientIP`. */
  sessionAffinity: z.boolean().optional(),
  /** The `ipMode` the ingress points carry (`VIP` also accepts none: the apiserver's default). */
  ipMode: z.enum(['VIP', 'Proxy']).optional(),
  /** An address the provider hands out when a Service asks for it in `spec.loadBalancerIP`. */
  requestedIP: z.string().min(1).optional(),
  /** The longest name `getLoadBalancerName` may answer (upstream's default name: 32). */
  nameMaxLength: z.number().int().min(1).optional(),
  /** Ports the suite's Services use (a host data plane may need unprivileged, free ones); default 8080 and 8081. */
  ports: z.tuple([z.number().int().min(1).max(65535), z.number().int().min(1).max(65535)]).optional(),
});

const routes = z.strictObject({
  /** `--cluster-cidr`; one CIDR, or an IPv4 and an IPv6 one separated by a comma (dual-stack). */
  clusterCIDR: z.string().min(1),
});

const cluster = z.strictObject({
  /**
   * A Node the cluster-level `lb.host-set-change` case may label with
   * `node.kubernetes.io/exclude-from-external-load-balancers` (and unlabel): the one write the
   * suite makes outside its own namespace, so it is opt-in.
   */
  excludeNode: z.string().min(1).optional(),
  /**
   * How a backend is reached, for the traffic checks (without it they are skipped): a backend
   * answers TCP (an HTTP request gets any reply) on every Node at `nodePort`, and the suite's
   * connections reach the load balancer from `clientCIDR`.
   */
  traffic: z
    .strictObject({
      /** The suite creates its traffic Services with this nodePort (one at a time). */
      nodePort: z.number().int().min(1).max(65535),
      /** Where the suite's connections come from, as the load balancer sees them. */
      clientCIDR: z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/, 'must be a CIDR such as 10.0.0.0/8'),
    })
    .optional(),
});

const schema = z.strictObject({
  /** `--cluster-name` (default `kubernetes`). */
  clusterName: z.string().min(1).optional(),
  instances: z.array(instance).optional(),
  loadBalancer: loadBalancer.optional(),
  routes: routes.optional(),
  /** What only the cluster level (`outrigger conformance cluster`) reads. */
  cluster: cluster.optional(),
});

/** One instance of the fixture. */
export type FixtureInstance = z.output<typeof instance>;
/** The load-balancer features declared. */
export type FixtureLoadBalancer = z.output<typeof loadBalancer>;
/** The cluster-level section. */
export type FixtureCluster = z.output<typeof cluster>;
/** A parsed, validated fixture. */
export type ConformanceFixture = z.output<typeof schema>;

/**
 * Parses a fixture document.
 *
 * @example
 * ```ts
 * const fixture = parseConformanceFixture(await readFile('fixture.yaml', 'utf8'), 'fixture.yaml');
 * ```
 * @param level `cluster` drops the checks only the provider level needs (instances backing the
 *   load-balancer and route cases: a live cluster has its own Nodes).
 * @throws ConfigFileError naming the file, line and field at fault.
 */
export function parseConformanceFixture(text: string, file?: string, level: 'provider' | 'cluster' = 'provider'): ConformanceFixture {
  const doc = parseYamlConfig(text, file === undefined ? {} : { file });
  if (doc.isEmpty) return {};
  const fixture = doc.validate(schema);
  const seen = new Map<string, number>();
  (fixture.instances ?? []).forEach((inst, i) => {
    const previous = seen.get(inst.nodeName);
    if (previous !== undefined) doc.fail(['instances', i, 'nodeName'], `node ${JSON.stringify(inst.nodeName)} is also listed at instances[${previous}]`);
    seen.set(inst.nodeName, i);
  });
  // A live cluster brings its own Nodes; only the provider level creates them from the instances.
  if (level === 'provider' && fixture.loadBalancer !== undefined && (fixture.instances ?? []).length === 0) {
    doc.fail(['loadBalancer'], 'the load-balancer cases need at least one instance (its Node is a backend)');
  }
  if (level === 'provider' && fixture.routes !== undefined && !(fixture.instances ?? []).some((i) => (i.podCIDRs ?? []).length > 0)) {
    doc.fail(['routes'], 'the route cases need an instance with podCIDRs');
  }
  return fixture;
}
