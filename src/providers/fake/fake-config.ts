/**
 * The fake provider's cloud config (`--cloud-config`): JSON text, validated strictly — every
 * unknown field, wrong type or bad value is reported with its path (`instances[1].zone`).
 *
 * JSON only: no YAML parser is a dependency of Outrigger, and the fake does not justify one.
 *
 * @module
 */
import { isIP } from 'node:net';
import type { NodeAddress } from 'kubernetes-types/core/v1.js';
import { describeValue } from '../../cloud/describe-value.js';
import { oneLine } from '../../input/one-line.js';
import { ImplementedElsewhereError, InstanceNotFoundError, NotImplementedError, RetryError } from '../../cloud/errors.js';
import type { LoadBalancerIngress, LoadBalancerIPMode, LoadBalancerStatus, PortStatus } from '../../cloud/load-balancer.js';
import type { Zone } from '../../cloud/zones.js';
import type { FakeFailure, FakeFailureRule, FakeMethodSelector } from './fake-faults.js';
import type { FakeInstanceSpec } from './fake-instances.js';
import { FAKE_CAPABILITIES, FAKE_METHODS, isFakeMethod } from './fake-methods.js';
import type { FakeAsyncMethod, FakeCapability } from './fake-methods.js';
import type { FakeCloudProviderOptions } from './fake-provider.js';
import { parseIpRange } from './ip-range.js';
import { deepFreeze } from '../../kube/json-value.js';
import { errorMessage } from '../../log/error-message.js';

/** The options a config file can set (everything but the name, clock and hook). */
export type FakeConfigOptions = Omit<FakeCloudProviderOptions, 'name' | 'clock' | 'onCall'>;

/** The kinds of error a config `failures` entry can inject. */
export const FAKE_FAILURE_KINDS = ['Error', 'InstanceNotFound', 'NotImplemented', 'ImplementedElsewhere', 'Retry'] as const;

/** One of {@link FAKE_FAILURE_KINDS}. */
export type FakeFailureKind = (typeof FAKE_FAILURE_KINDS)[number];

/** The cloud config is not valid; the message names the file, the field and the problem. */
export class FakeConfigError extends Error {
  override readonly name = 'FakeConfigError';
  /** A configuration mistake: the manager exits 2 with the message alone. */
  readonly isInputError = true;
  /** The config file, when known. */
  readonly file: string | undefined;
  /** Path of the offending field (`instances[0].zone`), `''` for the document itself. */
  readonly field: string;

  constructor(file: string | undefined, field: string, detail: string) {
    // One line whatever the file holds (a JSON.parse message quotes the text, line breaks included).
    super(oneLine(`invalid fake cloud config${file === undefined ? '' : ` ${JSON.stringify(file)}`}: ${field === '' ? '' : `${field}: `}${detail}`));
    this.file = file;
    this.field = field;
  }
}

const NODE_ADDRESS_TYPES = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];
const IP_MODES: readonly LoadBalancerIPMode[] = ['VIP', 'Proxy'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

/**
 * Parses the fake provider's config. `undefined` or blank text means "all defaults".
 *
 * Fields (all optional): `capabilities` (names), `hasClusterID`, `defaultZone`
 * (`{ failureDomain, region }`), `clusters` (name → address), `instances` (as `setInstance`),
 * `loadBalancerIPRange`, `loadBalancerIPMode`, `loadBalancerStatuses` (service key → status),
 * `routeNodeAddresses`, `failures` (`{ method, kind?, message?, retryAfterMs?, times? }`, no
 * `times` = every call), `latencyMs` (method or `*` → ms), `callHistoryLimit`.
 *
 * @example
 * ```json
 * { "capabilities": ["instancesV2", "loadBalancer"],
 *   "instances": [{ "nodeName": "n1", "zone": "z1", "instanceType": "small" }],
 *   "failures": [{ "method": "ensureLoadBalancer", "kind": "Retry", "retryAfterMs": 5000, "times": 2 }] }
 * ```
 * @throws FakeConfigError naming the field at fault.
 */
export function parseFakeConfig(contents: string | undefined, file?: string): FakeConfigOptions {
  if (contents === undefined || contents.trim() === '') return {};
  const v = new Validator(file);
  let document: unknown;
  try {
    document = JSON.parse(contents);
  } catch (err) {
    throw new FakeConfigError(file, '', describeSyntaxError(contents, err));
  }
  const root = v.object(document, '');
  v.keys(root, '', [
    'capabilities',
    'hasClusterID',
    'defaultZone',
    'clusters',
    'instances',
    'loadBalancerIPRange',
    'loadBalancerIPMode',
    'loadBalancerStatuses',
    'routeNodeAddresses',
    'failures',
    'latencyMs',
    'callHistoryLimit',
  ]);
  const options: { -readonly [K in keyof FakeConfigOptions]: FakeConfigOptions[K] } = {};
  if (root['capabilities'] !== undefined) options.capabilities = v.capabilities(root['capabilities'], 'capabilities');
  if (root['hasClusterID'] !== undefined) options.hasClusterID = v.boolean(root['hasClusterID'], 'hasClusterID');
  if (root['defaultZone'] !== undefined) options.defaultZone = v.zone(root['defaultZone'], 'defaultZone');
  if (root['clusters'] !== undefined) options.clusters = v.stringRecord(root['clusters'], 'clusters', true);
  if (root['instances'] !== undefined) {
    options.instances = v.array(root['instances'], 'instances').map((item, i) => v.instance(item, `instances[${i}]`));
    v.distinctInstances(options.instances, 'instances');
  }
  if (root['loadBalancerIPRange'] !== undefined) options.loadBalancerIPRange = v.ipRange(root['loadBalancerIPRange'], 'loadBalancerIPRange');
  if (root['loadBalancerIPMode'] !== undefined) options.loadBalancerIPMode = v.oneOf(root['loadBalancerIPMode'], 'loadBalancerIPMode', IP_MODES);
  if (root['loadBalancerStatuses'] !== undefined) options.loadBalancerStatuses = v.statuses(root['loadBalancerStatuses'], 'loadBalancerStatuses');
  if (root['routeNodeAddresses'] !== undefined) options.routeNodeAddresses = v.boolean(root['routeNodeAddresses'], 'routeNodeAddresses');
  if (root['failures'] !== undefined) options.failures = v.array(root['failures'], 'failures').map((item, i) => v.failure(item, `failures[${i}]`));
  if (root['latencyMs'] !== undefined) options.latencyMs = v.latency(root['latencyMs'], 'latencyMs');
  if (root['callHistoryLimit'] !== undefined) options.callHistoryLimit = v.integer(root['callHistoryLimit'], 'callHistoryLimit', 0);
  return options;
}

/** A JSON syntax error with the line and column V8 only gives as an offset. */
function describeSyntaxError(contents: string, err: unknown): string {
  const message = errorMessage(err);
  const match = /^(.*?)(?: in JSON)? at position (\d+)/.exec(message);
  if (match === null) return `not valid JSON: ${message}`;
  const offset = Number(match[2]);
  const before = contents.slice(0, offset).split('\n');
  const line = before.length;
  const column = (before.at(-1)?.length ?? 0) + 1;
  return `line ${line}, column ${column}: not valid JSON: ${match[1] ?? message}`;
}

/** Appends a member to a field path: `.name` for identifiers, `["key"]` otherwise. */
function member(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

class Validator {
  readonly #file: string | undefined;

  constructor(file: string | undefined) {
    this.#file = file;
  }

  fail(path: string, detail: string): never {
    throw new FakeConfigError(this.#file, path, detail);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `expected a JSON object, got ${describeValue(value)}`);
    }
    return value as Record<string, unknown>;
  }

  keys(record: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) this.fail(member(path, key), `unknown field (expected one of: ${allowed.join(', ')})`);
    }
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, got ${describeValue(value)}`);
    return value as unknown[];
  }

  string(value: unknown, path: string, nonEmpty = false): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, got ${describeValue(value)}`);
    if (nonEmpty && value === '') this.fail(path, 'must not be empty');
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, `expected true or false, got ${describeValue(value)}`);
    return value;
  }

  integer(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const got = typeof value === 'number' ? String(value) : describeValue(value);
      this.fail(path, `expected an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}, got ${got}`);
    }
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      const got = typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
      this.fail(path, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${got}`);
    }
    return value as T;
  }

  stringRecord(value: unknown, path: string, nonEmpty: boolean): Record<string, string> {
    const record = this.object(value, path);
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(record)) out[key] = this.string(item, member(path, key), nonEmpty);
    return out;
  }

  capabilities(value: unknown, path: string): FakeCapability[] {
    const seen = new Set<FakeCapability>();
    return this.array(value, path).map((item, i) => {
      const capability = this.oneOf(item, `${path}[${i}]`, FAKE_CAPABILITIES);
      if (seen.has(capability)) this.fail(`${path}[${i}]`, `${JSON.stringify(capability)} is listed twice`);
      seen.add(capability);
      return capability;
    });
  }

  zone(value: unknown, path: string): Zone {
    const record = this.object(value, path);
    this.keys(record, path, ['failureDomain', 'region']);
    return {
      failureDomain: record['failureDomain'] === undefined ? '' : this.string(record['failureDomain'], member(path, 'failureDomain')),
      region: record['region'] === undefined ? '' : this.string(record['region'], member(path, 'region')),
    };
  }

  ipRange(value: unknown, path: string): string {
    const text = this.string(value, path, true);
    try {
      return parseIpRange(text).cidr;
    } catch (err) {
      return this.fail(path, errorMessage(err));
    }
  }

  instance(value: unknown, path: string): FakeInstanceSpec {
    const record = this.object(value, path);
    const fields = ['nodeName', 'providerID', 'instanceID', 'exists', 'shutdown', 'instanceType', 'zone', 'region', 'addresses', 'additionalLabels'];
    this.keys(record, path, fields);
    const spec: { -readonly [K in keyof FakeInstanceSpec]: FakeInstanceSpec[K] } = {};
    const at = (key: string): string => member(path, key);
    if (record['nodeName'] !== undefined) spec.nodeName = this.string(record['nodeName'], at('nodeName'), true);
    if (record['providerID'] !== undefined) spec.providerID = this.string(record['providerID'], at('providerID'));
    if (record['instanceID'] !== undefined) spec.instanceID = this.string(record['instanceID'], at('instanceID'), true);
    if (record['exists'] !== undefined) spec.exists = this.boolean(record['exists'], at('exists'));
    if (record['shutdown'] !== undefined) spec.shutdown = this.boolean(record['shutdown'], at('shutdown'));
    if (record['instanceType'] !== undefined) spec.instanceType = this.string(record['instanceType'], at('instanceType'));
    if (record['zone'] !== undefined) spec.zone = this.string(record['zone'], at('zone'));
    if (record['region'] !== undefined) spec.region = this.string(record['region'], at('region'));
    if (record['addresses'] !== undefined) spec.addresses = this.array(record['addresses'], at('addresses')).map((a, i) => this.address(a, `${at('addresses')}[${i}]`));
    if (record['additionalLabels'] !== undefined) spec.additionalLabels = this.stringRecord(record['additionalLabels'], at('additionalLabels'), false);
    if (spec.nodeName === undefined && (spec.providerID === undefined || spec.providerID === '')) {
      this.fail(path, 'an instance needs a "nodeName" or a non-empty "providerID"');
    }
    // Frozen: the instance store then keeps this spec instead of a copy (a generated cluster
    // configures 10,000 instances).
    return deepFreeze(spec);
  }

  /**
   * Two entries naming one instance (same node name or same providerID) are a mistake, not a
   * replacement. (The provider's constructor also catches a providerID derived from an
   * instanceID, which depends on the provider's name.)
   */
  distinctInstances(instances: readonly FakeInstanceSpec[], path: string): void {
    const names = new Map<string, number>();
    const ids = new Map<string, number>();
    for (const [i, spec] of instances.entries()) {
      const sameName = spec.nodeName === undefined ? undefined : names.get(spec.nodeName);
      const sameID = spec.providerID === undefined || spec.providerID === '' ? undefined : ids.get(spec.providerID);
      if (sameName !== undefined) this.fail(`${path}[${i}]`, `names the same instance as ${path}[${sameName}] (node name ${JSON.stringify(spec.nodeName)})`);
      if (sameID !== undefined) this.fail(`${path}[${i}]`, `names the same instance as ${path}[${sameID}] (providerID ${JSON.stringify(spec.providerID)})`);
      if (spec.nodeName !== undefined) names.set(spec.nodeName, i);
      if (spec.providerID !== undefined && spec.providerID !== '') ids.set(spec.providerID, i);
    }
  }

  address(value: unknown, path: string): NodeAddress {
    const record = this.object(value, path);
    this.keys(record, path, ['type', 'address']);
    return {
      type: this.oneOf(record['type'], member(path, 'type'), NODE_ADDRESS_TYPES),
      address: this.string(record['address'], member(path, 'address'), true),
    };
  }

  statuses(value: unknown, path: string): Record<string, LoadBalancerStatus> {
    const record = this.object(value, path);
    const out: Record<string, LoadBalancerStatus> = {};
    for (const [key, item] of Object.entries(record)) {
      const slash = key.indexOf('/');
      if (slash <= 0 || slash === key.length - 1 || key.indexOf('/', slash + 1) >= 0) {
        this.fail(member(path, key), 'expected a service key of the form "namespace/name"');
      }
      out[key] = this.status(item, member(path, key));
    }
    return out;
  }

  status(value: unknown, path: string): LoadBalancerStatus {
    const record = this.object(value, path);
    this.keys(record, path, ['ingress']);
    if (record['ingress'] === undefined) this.fail(path, 'missing field "ingress" (use [] for no ingress)');
    return { ingress: this.array(record['ingress'], member(path, 'ingress')).map((item, i) => this.ingress(item, `${member(path, 'ingress')}[${i}]`)) };
  }

  ingress(value: unknown, path: string): LoadBalancerIngress {
    const record = this.object(value, path);
    this.keys(record, path, ['ip', 'hostname', 'ipMode', 'ports']);
    const ingress: LoadBalancerIngress = {};
    if (record['ip'] !== undefined) {
      const ip = this.string(record['ip'], member(path, 'ip'));
      if (isIP(ip) === 0) this.fail(member(path, 'ip'), `${JSON.stringify(ip)} is not an IP address`);
      ingress.ip = ip;
    }
    if (record['hostname'] !== undefined) ingress.hostname = this.string(record['hostname'], member(path, 'hostname'), true);
    if (ingress.ip === undefined && ingress.hostname === undefined) this.fail(path, 'an ingress point needs an "ip" or a "hostname"');
    if (record['ipMode'] !== undefined) {
      // As the apiserver's validation: ipMode only means something for an IP.
      if (ingress.ip === undefined) this.fail(member(path, 'ipMode'), 'only allowed together with "ip"');
      ingress.ipMode = this.oneOf(record['ipMode'], member(path, 'ipMode'), IP_MODES);
    }
    if (record['ports'] !== undefined) {
      ingress.ports = this.array(record['ports'], member(path, 'ports')).map((item, i) => this.portStatus(item, `${member(path, 'ports')}[${i}]`));
    }
    return ingress;
  }

  portStatus(value: unknown, path: string): PortStatus {
    const record = this.object(value, path);
    this.keys(record, path, ['port', 'protocol', 'error']);
    const status: PortStatus = {
      port: this.integer(record['port'], member(path, 'port'), 1, 65535),
      protocol: this.oneOf(record['protocol'], member(path, 'protocol'), PROTOCOLS),
    };
    if (record['error'] !== undefined) status.error = this.string(record['error'], member(path, 'error'), true);
    return status;
  }

  failure(value: unknown, path: string): FakeFailureRule {
    const record = this.object(value, path);
    this.keys(record, path, ['method', 'kind', 'message', 'retryAfterMs', 'times']);
    const method = this.methodSelector(record['method'], member(path, 'method'));
    const kind: FakeFailureKind = record['kind'] === undefined ? 'Error' : this.oneOf(record['kind'], member(path, 'kind'), FAKE_FAILURE_KINDS);
    const message = record['message'] === undefined ? undefined : this.string(record['message'], member(path, 'message'), true);
    if (message !== undefined && kind !== 'Error' && kind !== 'Retry') {
      this.fail(member(path, 'message'), `not allowed with kind ${JSON.stringify(kind)}: its message is fixed`);
    }
    let retryAfterMs: number | undefined;
    if (kind === 'Retry') {
      if (record['retryAfterMs'] === undefined) this.fail(path, 'kind "Retry" needs "retryAfterMs"');
      retryAfterMs = this.integer(record['retryAfterMs'], member(path, 'retryAfterMs'), 0);
    } else if (record['retryAfterMs'] !== undefined) {
      this.fail(member(path, 'retryAfterMs'), 'only allowed with kind "Retry"');
    }
    const error = failureFactory(kind, message, retryAfterMs ?? 0);
    if (record['times'] === undefined) return { method, error };
    return { method, error, times: this.integer(record['times'], member(path, 'times'), 1) };
  }

  methodSelector(value: unknown, path: string): FakeMethodSelector {
    if (value === '*' || isFakeMethod(value)) return value;
    const got = typeof value === 'string' ? JSON.stringify(value) : describeValue(value);
    return this.fail(path, `expected "*" or a provider method name (${FAKE_METHODS.join(', ')}), got ${got}`);
  }

  latency(value: unknown, path: string): Partial<Record<FakeMethodSelector<FakeAsyncMethod>, number>> {
    const record = this.object(value, path);
    const out: Partial<Record<FakeMethodSelector<FakeAsyncMethod>, number>> = {};
    for (const [key, ms] of Object.entries(record)) {
      const method = this.methodSelector(key, member(path, key));
      if (method === 'setInformers') this.fail(member(path, key), 'setInformers is synchronous and cannot be delayed');
      out[method] = this.integer(ms, member(path, key), 0);
    }
    return out;
  }
}

/** A fresh error per failing call, so stack traces and `cause` chains never leak between calls. */
function failureFactory(kind: FakeFailureKind, message: string | undefined, retryAfterMs: number): FakeFailure {
  switch (kind) {
    case 'Error':
      return (call) => new Error(message ?? `fake cloud provider: injected failure of ${call.method}`);
    case 'InstanceNotFound':
      return () => new InstanceNotFoundError();
    case 'NotImplemented':
      return () => new NotImplementedError();
    case 'ImplementedElsewhere':
      return () => new ImplementedElsewhereError();
    case 'Retry':
      return () => new RetryError(message ?? 'fake cloud provider: injected retry', retryAfterMs);
  }
}
