/**
 * Validation of the simulated API server (a test double): the subset of kube-apiserver's
 * `ValidateObjectMeta`, `ValidateNode`, `ValidateService` and `ValidateLease` rules that the
 * cloud-controller-manager can trip over, reported as `StatusCause`s with the apiserver's cause
 * reasons (`FieldValueRequired`, `FieldValueInvalid`, …) and field paths.
 *
 * Wrong JSON types are reported apart ({@link ValidationResult.typeErrors}) because the apiserver
 * rejects them while decoding, before validation runs (400 for a body, 422 for a patch result).
 *
 * @module
 */
import { isIP } from 'node:net';
import { boundedMemo } from '../bounded-memo.js';
import type { StatusCause } from '../errors.js';
import { dnsSubdomainErrors, labelKeyErrors, labelValueErrors } from '../selectors/index.js';
import { isJsonObject, jsonEqual } from '../json-value.js';
import type { JsonObject } from '../json-value.js';

/** Formats a value the way apimachinery field errors quote it: strings quoted, numbers bare. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? 'null';
}

/** Constructors for field errors, shaped as apimachinery's `field.Error` rendered into a cause. */
export const fieldErrors = {
  required(field: string, detail?: string): StatusCause {
    return { reason: 'FieldValueRequired', field, message: detail === undefined ? 'Required value' : `Required value: ${detail}` };
  },
  invalid(field: string, value: unknown, detail: string): StatusCause {
    return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${show(value)}: ${detail}` };
  },
  notSupported(field: string, value: unknown, supported: readonly string[]): StatusCause {
    const list = supported.map((s) => JSON.stringify(s)).join(', ');
    return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${show(value)}: supported values: ${list}` };
  },
  duplicate(field: string, value: unknown): StatusCause {
    return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${show(value)}` };
  },
  forbidden(field: string, detail: string): StatusCause {
    return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
  },
  tooLong(field: string, max: number): StatusCause {
    return { reason: 'FieldValueTooLong', field, message: `Too long: may not be more than ${max} bytes` };
  },
  typeInvalid(field: string, value: unknown, expected: JsonType): StatusCause {
    return {
      reason: 'FieldValueTypeInvalid',
      field,
      message: `Invalid value: ${show(value)}: expected ${expected}, got ${jsonTypeOf(value)}`,
    };
  },
} as const;

/** JSON types a field can be declared with. */
export type JsonType = 'string' | 'integer' | 'boolean' | 'object' | 'array';

function jsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

// --- names --------------------------------------------------------------------------------------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** The name syntaxes object names are checked against. */
export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label';

/** Problems with `name` under `rule` (empty when valid), as apimachinery's `IsDNS1123Subdomain` & co. */
export function nameProblems(name: string, rule: NameRule): string[] {
  if (rule === 'dns1123-subdomain') return dnsSubdomainErrors(name);
  const problems: string[] = [];
  if (name.length > 63) problems.push('must be no more than 63 characters');
  if (rule === 'dns1123-label' && !DNS1123_LABEL.test(name)) {
    problems.push("must be a lowercase RFC 1123 label: lower-case alphanumeric characters or '-', starting and ending with an alphanumeric character");
  }
  if (rule === 'dns1035-label' && !DNS1035_LABEL.test(name)) {
    problems.push("must be a DNS-1035 label: lower-case alphanumeric characters or '-', starting with a letter and ending with an alphanumeric character");
  }
  return problems;
}

/**
 * Answers of the pure string checks, remembered: the same label keys and values, namespaces and
 * CIDRs come back on every write of every object. Bounded: forgotten all at once when full.
 * Kept small on purpose: what repeats often (label keys, zone and instance-type values) fits
 * many times over, while what rarely repeats (a hostname label's value) only churns the memo:
 * one of 10,000 regrew through tables of up to 450 KiB, which V8 allocates straight into the old
 * generation, about six times in a 10,000-Node run.
 */
const MEMO_LIMIT = 1024;
const NO_PROBLEMS: readonly string[] = Object.freeze([]);

function frozenProblems(problems: string[]): readonly string[] {
  return problems.length === 0 ? NO_PROBLEMS : Object.freeze(problems);
}

const labelKeyProblems = boundedMemo(MEMO_LIMIT, (key) => frozenProblems(labelKeyErrors(key)));
const labelValueProblems = boundedMemo(MEMO_LIMIT, (value) => frozenProblems(labelValueErrors(value)));
/** Namespace names are few and come with every write: remembered. */
const namespaceProblems = boundedMemo(MEMO_LIMIT, (namespace) => frozenProblems(nameProblems(namespace, 'dns1123-label')));

/**
 * {@link nameProblems} of an object's name, not remembered: at scale an object's name comes back
 * long after a bounded memo forgot it (and an Event's never comes back), so a memo only churned.
 */
function nameProblemsOf(name: string, rule: NameRule): readonly string[] {
  return frozenProblems(nameProblems(name, rule));
}

// --- the checker --------------------------------------------------------------------------------

/** What validation found: decode-time type errors and validation errors, both as causes. */
export interface ValidationResult {
  readonly typeErrors: readonly StatusCause[];
  readonly errors: readonly StatusCause[];
}

/**
 * What {@link validateObject} checks: `full` (types and rules) or `types` only — the decode step,
 * whose answer must not wait for rules that run again once the object is complete.
 */
export type ValidationMode = 'full' | 'types';

/** Collects errors while reading fields with the expected JSON types. */
class Checker {
  readonly typeErrors: StatusCause[] = [];
  readonly errors: StatusCause[] = [];
  /** Whether rules are checked (else only JSON types: rule work is skipped, `add` ignored). */
  readonly rules: boolean;
  readonly #stored: JsonObject | undefined;

  constructor(mode: ValidationMode, stored: JsonObject | undefined) {
    this.rules = mode === 'full';
    this.#stored = stored;
  }

  /**
   * Whether `obj[key]` is the stored object's member unchanged — the same object (an update keeps
   * a stored spec or status) or an equal copy (a client sends back the metadata it read): it
   * passed validation when it was stored, and no rule looks across members. Comparing walks the
   * member without allocating; validating it would build a path string per field.
   */
  kept(obj: JsonObject, key: string): boolean {
    const member = obj[key];
    if (this.#stored === undefined || typeof member !== 'object' || member === null) return false;
    const stored = this.#stored[key];
    return member === stored || jsonEqual(member, stored);
  }

  add(cause: StatusCause): void {
    if (this.rules) this.errors.push(cause);
  }

  // The checks below run for every field of every write: no closure per call, and a path string
  // only for a field that is wrong.

  #wrong(path: string, value: unknown, expected: JsonType): undefined {
    if (value !== undefined && value !== null) this.typeErrors.push(fieldErrors.typeInvalid(path, value, expected));
    return undefined;
  }

  object(path: string, value: unknown): JsonObject | undefined {
    return isJsonObject(value) ? value : this.#wrong(path, value, 'object');
  }

  array(path: string, value: unknown): unknown[] | undefined {
    return Array.isArray(value) ? value : this.#wrong(path, value, 'array');
  }

  string(path: string, value: unknown): string | undefined {
    return typeof value === 'string' ? value : this.#wrong(path, value, 'string');
  }

  integer(path: string, value: unknown): number | undefined {
    return typeof value === 'number' && Number.isInteger(value) ? value : this.#wrong(path, value, 'integer');
  }

  boolean(path: string, value: unknown): boolean | undefined {
    return typeof value === 'boolean' ? value : this.#wrong(path, value, 'boolean');
  }

  /** A `map[string]string` such as labels or annotations (the object itself when every value is a string). */
  stringMap(path: string, value: unknown): Readonly<Record<string, string>> | undefined {
    const obj = this.object(path, value);
    if (obj === undefined) return undefined;
    let wellTyped = true;
    for (const k in obj) if (Object.hasOwn(obj, k) && typeof obj[k] !== 'string') wellTyped = false;
    if (wellTyped) return obj as Readonly<Record<string, string>>;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) {
      const s = this.string(`${path}[${k}]`, v);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }

  /** An array whose items are objects; yields `[path, item]` for the well-typed ones. */
  objects(path: string, value: unknown): Array<[string, JsonObject]> {
    const items = this.array(path, value) ?? [];
    const out: Array<[string, JsonObject]> = [];
    items.forEach((item, i) => {
      const obj = this.object(`${path}[${i}]`, item);
      if (obj !== undefined) out.push([`${path}[${i}]`, obj]);
    });
    return out;
  }

  /** A list of strings. */
  strings(path: string, value: unknown): Array<[string, string]> {
    const items = this.array(path, value) ?? [];
    const out: Array<[string, string]> = [];
    items.forEach((item, i) => {
      const s = this.string(`${path}[${i}]`, item);
      if (s !== undefined) out.push([`${path}[${i}]`, s]);
    });
    return out;
  }

  result(): ValidationResult {
    return { typeErrors: this.typeErrors, errors: this.errors };
  }
}

// --- metadata -----------------------------------------------------------------------------------

/** Annotations may total at most 256 KiB, as apimachinery's `TotalAnnotationSizeLimitB`. */
const MAX_ANNOTATION_BYTES = 256 * 1024;

function checkMetadata(c: Checker, obj: JsonObject, nameRule: NameRule): void {
  const meta = c.object('metadata', obj['metadata']) ?? {};
  const name = c.string('metadata.name', meta['name']);
  const generateName = c.string('metadata.generateName', meta['generateName']);
  const namespace = c.string('metadata.namespace', meta['namespace']);
  c.string('metadata.uid', meta['uid']);
  c.string('metadata.resourceVersion', meta['resourceVersion']);
  c.string('metadata.creationTimestamp', meta['creationTimestamp']);
  c.string('metadata.deletionTimestamp', meta['deletionTimestamp']);
  c.integer('metadata.generation', meta['generation']);
  c.array('metadata.ownerReferences', meta['ownerReferences']);
  const labels = c.stringMap('metadata.labels', meta['labels']) ?? {};
  const annotations = c.stringMap('metadata.annotations', meta['annotations']) ?? {};
  const finalizers = c.strings('metadata.finalizers', meta['finalizers']);
  if (!c.rules) return;

  if (name === undefined || name === '') {
    if (generateName === undefined || generateName === '') {
      c.add(fieldErrors.required('metadata.name', 'name or generateName is required'));
    }
  } else {
    for (const p of nameProblemsOf(name, nameRule)) c.add(fieldErrors.invalid('metadata.name', name, p));
  }
  if (generateName !== undefined && generateName !== '' && (name === undefined || name === '')) {
    // As apimachinery validates prefixes: a trailing '-' is fine since a suffix follows it.
    const masked = generateName.endsWith('-') ? `${generateName.slice(0, -1)}a` : generateName;
    for (const p of nameProblemsOf(masked, nameRule)) c.add(fieldErrors.invalid('metadata.generateName', generateName, p));
  }
  if (namespace !== undefined && namespace !== '') {
    for (const p of namespaceProblems(namespace)) c.add(fieldErrors.invalid('metadata.namespace', namespace, p));
  }

  for (const key in labels) {
    if (!Object.hasOwn(labels, key)) continue;
    const value = labels[key] as string;
    for (const p of labelKeyProblems(key)) c.add(fieldErrors.invalid('metadata.labels', key, p));
    for (const p of labelValueProblems(value)) c.add(fieldErrors.invalid('metadata.labels', value, p));
  }

  let bytes = 0;
  for (const key in annotations) {
    if (!Object.hasOwn(annotations, key)) continue;
    const value = annotations[key] as string;
    // As upstream: annotation keys are checked case-insensitively.
    for (const p of labelKeyProblems(key.toLowerCase())) c.add(fieldErrors.invalid('metadata.annotations', key, p));
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > MAX_ANNOTATION_BYTES) c.add(fieldErrors.tooLong('metadata.annotations', MAX_ANNOTATION_BYTES));

  for (const [path, finalizer] of finalizers) {
    for (const p of labelKeyProblems(finalizer)) c.add(fieldErrors.invalid(path, finalizer, p));
  }
}

// --- per kind -----------------------------------------------------------------------------------

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const IP_MODES = ['VIP', 'Proxy'] as const;
const METAV1_CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

const isCidr = boundedMemo(MEMO_LIMIT, (value): boolean => {
  const [ip = '', bits, ...rest] = value.split('/');
  const family = isIP(ip);
  const max = family === 6 ? 128 : 32;
  const prefix = bits === undefined || !/^\d+$/.test(bits) ? Number.NaN : Number(bits);
  return !(family === 0 || rest.length > 0 || !(prefix >= 0 && prefix <= max));
});

function checkCidr(c: Checker, path: string, value: string): void {
  if (c.rules && !isCidr(value)) c.add(fieldErrors.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
}

/** Node conditions: type and status are required (free-form values, as upstream). */
function checkNodeConditions(c: Checker, path: string, value: unknown): void {
  for (const [p, cond] of c.objects(path, value)) {
    const type = c.string(`${p}.type`, cond['type']);
    const status = c.string(`${p}.status`, cond['status']);
    c.string(`${p}.reason`, cond['reason']);
    c.string(`${p}.message`, cond['message']);
    if (type === undefined || type === '') c.add(fieldErrors.required(`${p}.type`));
    if (status === undefined || status === '') c.add(fieldErrors.required(`${p}.status`));
  }
}

function checkNode(c: Checker, obj: JsonObject): void {
  if (!c.kept(obj, 'spec')) checkNodeSpec(c, obj);
  if (!c.kept(obj, 'status')) checkNodeStatus(c, obj);
}

function checkNodeSpec(c: Checker, obj: JsonObject): void {
  const spec = c.object('spec', obj['spec']) ?? {};
  c.string('spec.providerID', spec['providerID']);
  c.boolean('spec.unschedulable', spec['unschedulable']);
  const podCIDR = c.string('spec.podCIDR', spec['podCIDR']);
  if (podCIDR !== undefined && podCIDR !== '') checkCidr(c, 'spec.podCIDR', podCIDR);
  for (const [path, cidr] of c.strings('spec.podCIDRs', spec['podCIDRs'])) checkCidr(c, path, cidr);

  const seen = new Set<string>();
  for (const [path, taint] of c.objects('spec.taints', spec['taints'])) {
    const key = c.string(`${path}.key`, taint['key']);
    const value = c.string(`${path}.value`, taint['value']);
    const effect = c.string(`${path}.effect`, taint['effect']);
    c.string(`${path}.timeAdded`, taint['timeAdded']);
    if (!c.rules) continue;
    if (key === undefined || key === '') c.add(fieldErrors.required(`${path}.key`));
    else for (const p of labelKeyProblems(key)) c.add(fieldErrors.invalid(`${path}.key`, key, p));
    if (value !== undefined) for (const p of labelValueProblems(value)) c.add(fieldErrors.invalid(`${path}.value`, value, p));
    if (effect === undefined || effect === '') c.add(fieldErrors.required(`${path}.effect`));
    else if (!(TAINT_EFFECTS as readonly string[]).includes(effect)) {
      c.add(fieldErrors.notSupported(`${path}.effect`, effect, TAINT_EFFECTS));
    }
    // As upstream: a node may carry one taint per (key, effect) pair.
    if (key !== undefined && effect !== undefined) {
      const pair = `${key}:${effect}`;
      if (seen.has(pair)) c.add({ ...fieldErrors.duplicate(path, pair), message: `Duplicate value: ${show(pair)}: taints must be unique by key and effect pair` });
      seen.add(pair);
    }
  }

}

function checkNodeStatus(c: Checker, obj: JsonObject): void {
  const status = c.object('status', obj['status']) ?? {};
  for (const [path, address] of c.objects('status.addresses', status['addresses'])) {
    const type = c.string(`${path}.type`, address['type']);
    const addr = c.string(`${path}.address`, address['address']);
    if (type === undefined || type === '') c.add(fieldErrors.required(`${path}.type`));
    if (addr === undefined || addr === '') c.add(fieldErrors.required(`${path}.address`));
  }
  checkNodeConditions(c, 'status.conditions', status['conditions']);
}

function checkService(c: Checker, obj: JsonObject): void {
  if (!c.kept(obj, 'spec')) checkServiceSpec(c, obj);
  if (!c.kept(obj, 'status')) checkServiceStatus(c, obj);
}

function checkServiceSpec(c: Checker, obj: JsonObject): void {
  const spec = c.object('spec', obj['spec']) ?? {};
  const type = c.string('spec.type', spec['type']);
  if (type !== undefined && !(SERVICE_TYPES as readonly string[]).includes(type)) {
    c.add(fieldErrors.notSupported('spec.type', type, SERVICE_TYPES));
  }
  c.string('spec.clusterIP', spec['clusterIP']);
  c.string('spec.externalTrafficPolicy', spec['externalTrafficPolicy']);
  c.string('spec.loadBalancerClass', spec['loadBalancerClass']);
  c.integer('spec.healthCheckNodePort', spec['healthCheckNodePort']);
  c.object('spec.selector', spec['selector']);
  // As kube-apiserver's ValidateService: every Service but a headless or ExternalName one needs a port.
  const ports = spec['ports'];
  if ((type ?? 'ClusterIP') !== 'ExternalName' && spec['clusterIP'] !== 'None' && (ports === undefined || ports === null || (Array.isArray(ports) && ports.length === 0))) {
    c.add(fieldErrors.required('spec.ports'));
  }
  for (const [path, port] of c.objects('spec.ports', spec['ports'])) {
    c.string(`${path}.name`, port['name']);
    const number = c.integer(`${path}.port`, port['port']);
    if (number === undefined) {
      if (port['port'] === undefined || port['port'] === null) c.add(fieldErrors.required(`${path}.port`));
    } else if (number < 1 || number > 65535) {
      c.add(fieldErrors.invalid(`${path}.port`, number, 'must be between 1 and 65535, inclusive'));
    }
    const protocol = c.string(`${path}.protocol`, port['protocol']);
    if (protocol !== undefined && !(PROTOCOLS as readonly string[]).includes(protocol)) {
      c.add(fieldErrors.notSupported(`${path}.protocol`, protocol, PROTOCOLS));
    }
    // After protocol, as validateServicePort (and after defaulting: an omitted targetPort is the port).
    const target = port['targetPort'];
    if (target !== undefined && target !== null && typeof target !== 'string' && !(typeof target === 'number' && Number.isInteger(target))) {
      c.typeErrors.push(fieldErrors.typeInvalid(`${path}.targetPort`, target, 'integer'));
    } else if (typeof target === 'number' && (target < 1 || target > 65535)) {
      c.add(fieldErrors.invalid(`${path}.targetPort`, target, 'must be between 1 and 65535, inclusive'));
    } else if (typeof target === 'string') {
      for (const problem of portNameProblems(target)) c.add(fieldErrors.invalid(`${path}.targetPort`, target, problem));
    }
    const nodePort = c.integer(`${path}.nodePort`, port['nodePort']);
    if (nodePort !== undefined && nodePort !== 0 && (nodePort < 1 || nodePort > 65535)) {
      c.add(fieldErrors.invalid(`${path}.nodePort`, nodePort, 'must be between 1 and 65535, inclusive'));
    }
  }
  checkIpFamilies(c, spec);

}

/** apimachinery's `IsValidPortName`: an IANA service name (a named container port). */
function portNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length > 15) problems.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(name)) problems.push('must contain at least one letter (a-z)');
  if (name.includes('--')) problems.push('must not contain consecutive hyphens');
  if (name.startsWith('-') || name.endsWith('-')) problems.push('must not begin or end with a hyphen');
  return problems;
}

const IP_FAMILIES = ['IPv4', 'IPv6'] as const;
const IP_FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const;

/**
 * ipFamilies and ipFamilyPolicy as kube-apiserver checks them on a single-stack IPv4 cluster
 * (the simulated one): known values only, IPv6 and RequireDualStack are not configured here.
 */
function checkIpFamilies(c: Checker, spec: JsonObject): void {
  const policy = c.string('spec.ipFamilyPolicy', spec['ipFamilyPolicy']);
  const families = c.array('spec.ipFamilies', spec['ipFamilies']) ?? [];
  if (!c.rules) return;
  if (policy !== undefined && !(IP_FAMILY_POLICIES as readonly string[]).includes(policy)) {
    c.add(fieldErrors.notSupported('spec.ipFamilyPolicy', policy, IP_FAMILY_POLICIES));
  } else if (policy === 'RequireDualStack') {
    c.add(fieldErrors.invalid('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services'));
  }
  families.forEach((family, i) => {
    const path = `spec.ipFamilies[${i}]`;
    if (typeof family !== 'string' || !(IP_FAMILIES as readonly string[]).includes(family)) c.add(fieldErrors.notSupported(path, family, IP_FAMILIES));
    else if (family === 'IPv6') c.add(fieldErrors.invalid(path, family, 'not configured on this cluster'));
  });
}

function checkServiceStatus(c: Checker, obj: JsonObject): void {
  const status = c.object('status', obj['status']) ?? {};
  const lb = c.object('status.loadBalancer', status['loadBalancer']) ?? {};
  for (const [path, ingress] of c.objects('status.loadBalancer.ingress', lb['ingress'])) {
    const ip = c.string(`${path}.ip`, ingress['ip']);
    const hostname = c.string(`${path}.hostname`, ingress['hostname']);
    const ipMode = c.string(`${path}.ipMode`, ingress['ipMode']);
    c.array(`${path}.ports`, ingress['ports']);
    if (!c.rules) continue;
    if (ip !== undefined && ip !== '' && isIP(ip) === 0) c.add(fieldErrors.invalid(`${path}.ip`, ip, 'must be a valid IP address'));
    if (hostname !== undefined && hostname !== '') {
      for (const p of nameProblemsOf(hostname, 'dns1123-subdomain')) c.add(fieldErrors.invalid(`${path}.hostname`, hostname, p));
      if (isIP(hostname) !== 0) c.add(fieldErrors.invalid(`${path}.hostname`, hostname, 'must be a DNS name, not an IP address'));
    }
    if (ipMode !== undefined) {
      if (ip === undefined || ip === '') c.add(fieldErrors.forbidden(`${path}.ipMode`, 'may only be specified when `ip` is set'));
      else if (!(IP_MODES as readonly string[]).includes(ipMode)) c.add(fieldErrors.notSupported(`${path}.ipMode`, ipMode, IP_MODES));
    }
  }
  // Service conditions are metav1.Conditions: status is an enum and reason, lastTransitionTime required.
  for (const [path, cond] of c.objects('status.conditions', status['conditions'])) {
    const condType = c.string(`${path}.type`, cond['type']);
    const condStatus = c.string(`${path}.status`, cond['status']);
    const reason = c.string(`${path}.reason`, cond['reason']);
    const since = c.string(`${path}.lastTransitionTime`, cond['lastTransitionTime']);
    c.string(`${path}.message`, cond['message']);
    c.integer(`${path}.observedGeneration`, cond['observedGeneration']);
    if (condType === undefined || condType === '') c.add(fieldErrors.required(`${path}.type`));
    if (condStatus === undefined || condStatus === '') c.add(fieldErrors.required(`${path}.status`));
    else if (!(METAV1_CONDITION_STATUSES as readonly string[]).includes(condStatus)) {
      c.add(fieldErrors.notSupported(`${path}.status`, condStatus, METAV1_CONDITION_STATUSES));
    }
    if (reason === undefined || reason === '') c.add(fieldErrors.required(`${path}.reason`));
    if (since === undefined || since === '') c.add(fieldErrors.required(`${path}.lastTransitionTime`, 'must be set'));
  }
}

function checkLease(c: Checker, obj: JsonObject): void {
  const spec = c.object('spec', obj['spec']) ?? {};
  c.string('spec.holderIdentity', spec['holderIdentity']);
  c.string('spec.acquireTime', spec['acquireTime']);
  c.string('spec.renewTime', spec['renewTime']);
  const duration = c.integer('spec.leaseDurationSeconds', spec['leaseDurationSeconds']);
  if (duration !== undefined && duration <= 0) {
    c.add(fieldErrors.invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  }
  const transitions = c.integer('spec.leaseTransitions', spec['leaseTransitions']);
  if (transitions !== undefined && transitions < 0) {
    c.add(fieldErrors.invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  }
}

/** The name rule of a kind: Services are DNS-1035 labels, everything else DNS-1123 subdomains. */
export function nameRuleFor(group: string, kind: string): NameRule {
  return group === '' && kind === 'Service' ? 'dns1035-label' : 'dns1123-subdomain';
}

/**
 * Validates a whole object as it would be stored (after defaulting). Built-in kinds get their
 * specific rules; Events and other kinds only metadata rules ("accepted as sent"). With
 * `mode: 'types'` only JSON types are checked: the same `typeErrors`, no `errors`. Given the
 * `stored` object an update replaces, a top-level member shared with it unchanged is not walked
 * again (it was valid when stored).
 */
export function validateObject(group: string, kind: string, obj: JsonObject, mode: ValidationMode = 'full', stored?: JsonObject): ValidationResult {
  const c = new Checker(mode, stored);
  if (!c.kept(obj, 'metadata')) checkMetadata(c, obj, nameRuleFor(group, kind));
  if (group === '' && kind === 'Node') checkNode(c, obj);
  else if (group === '' && kind === 'Service') checkService(c, obj);
  else if (group === 'coordination.k8s.io' && kind === 'Lease') checkLease(c, obj);
  return c.result();
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Rules that compare an update with the stored object (apimachinery `ValidateObjectMetaUpdate` and
 * the Node update rules the CCM depends on): uid is immutable, no new finalizers once deletion
 * started, and a Node's providerID / podCIDR(s) may only go from unset to set.
 */
export function validateUpdate(group: string, kind: string, next: JsonObject, prev: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const nextMeta = isJsonObject(next['metadata']) ? next['metadata'] : {};
  const prevMeta = isJsonObject(prev['metadata']) ? prev['metadata'] : {};
  if (nextMeta['uid'] !== prevMeta['uid']) causes.push(fieldErrors.invalid('metadata.uid', nextMeta['uid'], 'field is immutable'));
  if (prevMeta['deletionTimestamp'] !== undefined) {
    const old = new Set(stringList(prevMeta['finalizers']));
    const added = stringList(nextMeta['finalizers']).filter((f) => !old.has(f));
    if (added.length > 0) {
      const goList = `[]string{${added.map((f) => JSON.stringify(f)).join(', ')}}`;
      causes.push(
        fieldErrors.forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${goList}`),
      );
    }
  }
  if (group === '' && kind === 'Node') {
    const nextSpec = isJsonObject(next['spec']) ? next['spec'] : {};
    const prevSpec = isJsonObject(prev['spec']) ? prev['spec'] : {};
    const setOnce = (field: 'providerID' | 'podCIDR', what: string): void => {
      const before = prevSpec[field];
      if (typeof before === 'string' && before !== '' && nextSpec[field] !== before) {
        causes.push(fieldErrors.forbidden(`spec.${field}`, `node updates may not change ${what} except from "" to valid`));
      }
    };
    setOnce('providerID', 'providerID');
    setOnce('podCIDR', 'podCIDR');
    const before = stringList(prevSpec['podCIDRs']);
    const after = stringList(nextSpec['podCIDRs']);
    if (before.length > 0 && (before.length !== after.length || before.some((v, i) => after[i] !== v))) {
      causes.push(fieldErrors.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
    }
  }
  return causes;
}
