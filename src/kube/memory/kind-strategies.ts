/**
 * Per-kind write behaviour of the simulated API server (a test double), after the apiserver's
 * registry "strategies": what create does with status, how the main resource and the `/status`
 * subresource split an object, which defaults apply and whether `metadata.generation` is tracked.
 *
 * @module
 */
import type { ResourceType } from '../resources.js';
import { cloneJson, isJsonObject, jsonEqual } from '../json-value.js';
import type { JsonObject } from '../json-value.js';
import { writableMember, writableTop } from './stored-form.js';

/** Which part of a resource a write goes through. */
export type Subresource = 'main' | 'status';

/** How one kind behaves on writes. */
export interface KindStrategy {
  /** Whether `metadata.generation` is kept (1 on create, +1 on spec changes). */
  readonly tracksGeneration: boolean;
  /** Whether a PUT of an absent object creates it (upstream's `AllowCreateOnUpdate`). */
  readonly allowCreateOnUpdate: boolean;
  /** Adjusts a new object before validation (status reset or dropped where upstream does). */
  prepareForCreate(obj: JsonObject): void;
  /**
   * Builds the object to store from a write of `subresource` and the stored object. It may share
   * whole top-level members of `stored` (deep-frozen): whoever writes to one copies it first.
   */
  prepareForUpdate(next: JsonObject, stored: JsonObject, subresource: Subresource): JsonObject;
  /**
   * Applies the kind's defaults in place (run on every write, as the apiserver decodes); a
   * top-level member shared with the stored object (frozen) is copied before it is changed.
   */
  applyDefaults(obj: JsonObject): void;
  /** Whether the change from `prev` to `next` counts as a spec change (bumps generation). */
  specChanged(prev: JsonObject, next: JsonObject): boolean;
}

function withFrom(target: JsonObject, source: JsonObject, keys: (key: string) => boolean): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(target)) if (!keys(k)) out[k] = v;
  for (const [k, v] of Object.entries(source)) if (keys(k)) out[k] = cloneJson(v);
  return out;
}

/** {@link withFrom} sharing `stored`'s members instead of copying them (they are deep-frozen). */
function withShared(target: JsonObject, stored: JsonObject, keys: (key: string) => boolean): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(target)) if (!keys(k)) out[k] = v;
  for (const [k, v] of Object.entries(stored)) if (keys(k)) out[k] = v;
  return out;
}

/**
 * The split used by Nodes and Services (and their `/status` strategies upstream): a main write
 * keeps the stored status; a status write keeps everything but status and metadata, so
 * finalizers and labels may change through `/status` — the service controller relies on that.
 * What is kept is shared with the stored object, not copied.
 */
function builtinSplit(next: JsonObject, stored: JsonObject, subresource: Subresource): JsonObject {
  return subresource === 'main'
    ? withShared(next, stored, (k) => k === 'status')
    : withShared(next, stored, (k) => k !== 'status' && k !== 'metadata' && k !== 'apiVersion' && k !== 'kind');
}

function noDefaults(): void {}

const NODE: KindStrategy = {
  tracksGeneration: false,
  allowCreateOnUpdate: false,
  // Kubelets register with their status, so (unlike Services) create keeps it.
  prepareForCreate: noDefaults,
  prepareForUpdate: builtinSplit,
  applyDefaults: noDefaults,
  specChanged: () => false,
};

const portsOf = (spec: JsonObject): unknown[] => (Array.isArray(spec['ports']) ? spec['ports'] : []);
const needsProtocol = (port: unknown): port is JsonObject => isJsonObject(port) && port['protocol'] === undefined;
const ingressOf = (status: unknown): unknown[] => {
  const lb = isJsonObject(status) ? status['loadBalancer'] : undefined;
  return isJsonObject(lb) && Array.isArray(lb['ingress']) ? lb['ingress'] : [];
};
const needsIpMode = (ingress: unknown): ingress is JsonObject =>
  isJsonObject(ingress) && typeof ingress['ip'] === 'string' && ingress['ip'] !== '' && ingress['ipMode'] === undefined;

const needsTargetPort = (port: unknown): port is JsonObject =>
  isJsonObject(port) && typeof port['port'] === 'number' && (port['targetPort'] === undefined || port['targetPort'] === 0 || port['targetPort'] === '');

/** Whether the Service gets a ClusterIP and so IP families (not ExternalName). */
function hasClusterIPs(spec: JsonObject): boolean {
  return spec['type'] !== 'ExternalName';
}

/**
 * Whether a spec lacks any default of SetDefaults_Service (or of the REST allocator's IP-family
 * step): checked first, so a stored (frozen, already defaulted) spec is not copied for nothing.
 */
function specNeedsDefaults(spec: JsonObject): boolean {
  const type = spec['type'];
  if (type === undefined || portsOf(spec).some(needsProtocol) || portsOf(spec).some(needsTargetPort)) return true;
  if (spec['sessionAffinity'] === undefined) return true;
  if (spec['sessionAffinity'] === 'ClientIP' && !isJsonObject(spec['sessionAffinityConfig'])) return true;
  if ((type === 'NodePort' || type === 'LoadBalancer') && spec['externalTrafficPolicy'] === undefined) return true;
  if (type === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] === undefined) return true;
  if (type !== 'ExternalName' && spec['internalTrafficPolicy'] === undefined) return true;
  if (hasClusterIPs(spec) && (spec['ipFamilyPolicy'] === undefined || spec['ipFamilies'] === undefined)) return true;
  return false;
}

function serviceDefaults(obj: JsonObject): void {
  if (obj['spec'] === undefined) obj['spec'] = {};
  const given = obj['spec'];
  if (!isJsonObject(given)) return;
  let spec: JsonObject = given;
  // A shared (stored, frozen) spec or status was defaulted when stored: copied only if not.
  if (specNeedsDefaults(spec)) {
    spec = writableMember(obj, 'spec') ?? spec;
    if (spec['type'] === undefined) spec['type'] = 'ClusterIP';
    for (const port of portsOf(spec)) if (needsProtocol(port)) port['protocol'] = 'TCP';
    // As SetDefaults_Service: targetPort defaults to port.
    for (const port of portsOf(spec)) if (needsTargetPort(port)) port['targetPort'] = port['port'];
    if (spec['sessionAffinity'] === undefined) spec['sessionAffinity'] = 'None';
    if (spec['sessionAffinity'] === 'ClientIP' && !isJsonObject(spec['sessionAffinityConfig'])) {
      spec['sessionAffinityConfig'] = { clientIP: { timeoutSeconds: 10800 } };
    }
    const type = spec['type'];
    if ((type === 'NodePort' || type === 'LoadBalancer') && spec['externalTrafficPolicy'] === undefined) spec['externalTrafficPolicy'] = 'Cluster';
    if (type === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] === undefined) spec['allocateLoadBalancerNodePorts'] = true;
    if (type !== 'ExternalName' && spec['internalTrafficPolicy'] === undefined) spec['internalTrafficPolicy'] = 'Cluster';
    // The REST allocator's IP-family defaults on a single-stack IPv4 cluster (the simulated one).
    if (hasClusterIPs(spec)) {
      if (spec['ipFamilyPolicy'] === undefined) spec['ipFamilyPolicy'] = 'SingleStack';
      if (spec['ipFamilies'] === undefined) spec['ipFamilies'] = ['IPv4'];
    }
  }
  // As upstream's SetDefaults_Service (LoadBalancerIPMode, on by default since 1.30): an ingress
  // with an IP and no ipMode becomes VIP on LoadBalancer Services. It matters to the CCM: a
  // provider status without ipMode never equals the stored one.
  if (spec['type'] === 'LoadBalancer' && ingressOf(obj['status']).some(needsIpMode)) {
    writableMember(obj, 'status');
    for (const ingress of ingressOf(obj['status'])) if (needsIpMode(ingress)) ingress['ipMode'] = 'VIP';
  }
}

const SERVICE: KindStrategy = {
  // Upstream's svcStrategy never sets metadata.generation, so Services carry none.
  tracksGeneration: false,
  allowCreateOnUpdate: false,
  // As upstream's svcStrategy.PrepareForCreate: clients cannot create a Service with a status.
  prepareForCreate(obj) {
    obj['status'] = { loadBalancer: {} };
  },
  prepareForUpdate: builtinSplit,
  applyDefaults: serviceDefaults,
  specChanged: (prev, next) => !jsonEqual(prev['spec'], next['spec']),
};

/**
 * Leases and the other built-in kinds the sandbox serves (ConfigMaps, Endpoints, RBAC, …): no
 * generation, no status, a write takes the object as sent — as their registry strategies do.
 */
const PLAIN: KindStrategy = {
  tracksGeneration: false,
  allowCreateOnUpdate: false,
  prepareForCreate: noDefaults,
  prepareForUpdate: (next) => next,
  applyDefaults: noDefaults,
  specChanged: () => false,
};

/** Events: as {@link PLAIN}, but a PUT of an absent Event creates it, as upstream allows. */
const EVENT: KindStrategy = { ...PLAIN, allowCreateOnUpdate: true };

const LEASE: KindStrategy = PLAIN;

/** Secrets: `type` defaults to Opaque and `stringData` is merged into `data` (base64), as SetDefaults_Secret and the conversion do. */
const SECRET: KindStrategy = {
  ...PLAIN,
  applyDefaults(obj) {
    if (obj['type'] === undefined || obj['type'] === '') obj['type'] = 'Opaque';
    const stringData = obj['stringData'];
    if (isJsonObject(stringData)) {
      const data: JsonObject = isJsonObject(obj['data']) ? { ...obj['data'] } : {};
      for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
      obj['data'] = data;
    }
    delete obj['stringData'];
  },
};

/**
 * Namespaces: created Active with the `kubernetes` finalizer in spec and the
 * `kubernetes.io/metadata.name` label (NamespaceDefaultLabelName, always equal to the name).
 */
const NAMESPACE: KindStrategy = {
  tracksGeneration: false,
  allowCreateOnUpdate: false,
  prepareForCreate(obj) {
    obj['status'] = { phase: 'Active' };
    const spec = isJsonObject(obj['spec']) ? obj['spec'] : {};
    obj['spec'] = { ...spec, finalizers: ['kubernetes'] };
  },
  prepareForUpdate: builtinSplit,
  applyDefaults(obj) {
    const meta = obj['metadata'];
    if (!isJsonObject(meta) || typeof meta['name'] !== 'string') return;
    const labels = meta['labels'];
    if (isJsonObject(labels) && labels['kubernetes.io/metadata.name'] === meta['name']) return;
    const own = writableTop(obj, 'metadata') ?? meta;
    own['labels'] = { ...(isJsonObject(labels) ? labels : {}), 'kubernetes.io/metadata.name': meta['name'] };
  },
  specChanged: () => false,
};

/** Resources (group/version/resource) that get {@link PLAIN}. */
const PLAIN_RESOURCES = new Set([
  '/v1/configmaps',
  '/v1/endpoints',
  '/v1/serviceaccounts',
  'discovery.k8s.io/v1/endpointslices',
  'events.k8s.io/v1/events',
  'rbac.authorization.k8s.io/v1/roles',
  'rbac.authorization.k8s.io/v1/clusterroles',
  'rbac.authorization.k8s.io/v1/rolebindings',
  'rbac.authorization.k8s.io/v1/clusterrolebindings',
]);

/**
 * Registered kinds behave like custom resources: generation tracks every change outside metadata
 * (and status when there is a status subresource), create drops status, and a status write takes
 * nothing but status.
 */
function customResourceStrategy(hasStatus: boolean): KindStrategy {
  const outside = (obj: JsonObject): JsonObject =>
    withFrom({}, obj, (k) => k !== 'metadata' && k !== 'apiVersion' && k !== 'kind' && !(hasStatus && k === 'status'));
  return {
    tracksGeneration: true,
    allowCreateOnUpdate: false,
    prepareForCreate(obj) {
      if (hasStatus) delete obj['status'];
    },
    prepareForUpdate(next, stored, subresource) {
      if (!hasStatus) return next;
      if (subresource === 'main') return withFrom(next, stored, (k) => k === 'status');
      const out = cloneJson(stored);
      if (next['status'] === undefined) delete out['status'];
      else out['status'] = cloneJson(next['status']);
      // Only the resourceVersion of the request matters (it was checked already).
      return out;
    },
    applyDefaults: noDefaults,
    specChanged: (prev, next) => !jsonEqual(outside(prev), outside(next)),
  };
}

/** The strategy of a resource: the built-ins by kind, anything else as a custom resource. */
export function strategyFor(type: ResourceType): KindStrategy {
  if (type.group === '' && type.version === 'v1') {
    if (type.resource === 'nodes') return NODE;
    if (type.resource === 'services') return SERVICE;
    if (type.resource === 'events') return EVENT;
  }
  if (type.group === 'coordination.k8s.io' && type.resource === 'leases') return LEASE;
  if (type.group === '' && type.version === 'v1' && type.resource === 'secrets') return SECRET;
  if (type.group === '' && type.version === 'v1' && type.resource === 'namespaces') return NAMESPACE;
  if (PLAIN_RESOURCES.has(`${type.group}/${type.version}/${type.resource}`)) return PLAIN;
  return customResourceStrategy(type.hasStatus);
}
