/**
 * The fake cloud's instances: configured by tests, addressable by node name and by providerID,
 * and the answers the Instances, InstancesV2 and Zones capabilities give about them.
 *
 * @module
 */
import type { Node, NodeAddress } from 'kubernetes-types/core/v1.js';
import { InstanceNotFoundError } from '../../cloud/errors.js';
import type { InstanceMetadata } from '../../cloud/instances-v2.js';
import type { Zone } from '../../cloud/zones.js';
import { cloneJson, deepFreeze, isDeepFrozen } from '../../kube/json-value.js';

/**
 * How a test describes an instance. At least one of `nodeName` and `providerID` is required.
 *
 * Defaults: `instanceID` is the part of `providerID` after `://` (the whole providerID if it has
 * no scheme), else `nodeName`; `providerID` is `<provider name>://<instanceID>`, so
 * `{ nodeName: 'n1' }` on a provider named `fake` is the instance `fake://n1`. An explicit
 * `providerID: ''` means the cloud reports none (initialisation of a Node without one then fails).
 */
export interface FakeInstanceSpec {
  /** The name of the Node this instance backs. */
  readonly nodeName?: string;
  /** The instance's providerID; see the defaults above. */
  readonly providerID?: string;
  /** What `instanceID(nodeName)` answers; see the defaults above. */
  readonly instanceID?: string;
  /** Default true. `false` makes the instance answer exactly as an unknown one, while keeping its configuration. */
  readonly exists?: boolean;
  /** Default false. A shut-down instance still exists (as upstream requires). */
  readonly shutdown?: boolean;
  /** Default `''` (not provided). */
  readonly instanceType?: string;
  /** Default: the provider's default zone. */
  readonly zone?: string;
  /** Default: the provider's default region. */
  readonly region?: string;
  /** Default `[]`. */
  readonly addresses?: readonly NodeAddress[];
  /** Default `{}`; only InstancesV2 metadata reports them. */
  readonly additionalLabels?: Readonly<Record<string, string>>;
}

/** A configured instance with every default applied (frozen). */
export interface FakeInstance {
  readonly nodeName: string | undefined;
  /** `''` when the cloud reports no providerID. */
  readonly providerID: string;
  readonly instanceID: string;
  readonly exists: boolean;
  readonly shutdown: boolean;
  readonly instanceType: string;
  /** Undefined: the provider's default zone applies. */
  readonly zone: string | undefined;
  /** Undefined: the provider's default region applies. */
  readonly region: string | undefined;
  readonly addresses: readonly Readonly<NodeAddress>[];
  readonly additionalLabels: Readonly<Record<string, string>>;
}

/**
 * Names a configured instance: `{ nodeName }`, `{ providerID }`, or a string tried as a
 * providerID first and then as a node name.
 */
export type FakeInstanceRef = string | { readonly nodeName: string } | { readonly providerID: string };

interface Entry {
  readonly spec: FakeInstanceSpec;
  readonly instance: FakeInstance;
}

function describeRef(ref: FakeInstanceRef): string {
  if (typeof ref === 'string') return JSON.stringify(ref);
  return 'nodeName' in ref ? `with node name ${JSON.stringify(ref.nodeName)}` : `with providerID ${JSON.stringify(ref.providerID)}`;
}

/** The instance store and the semantics of every instance-related answer. */
export class FakeInstanceStore {
  readonly #providerName: string;
  #defaultZone: Zone;
  #entries: Entry[] = [];
  readonly #byName = new Map<string, Entry>();
  readonly #byProviderID = new Map<string, Entry>();

  /** @param providerName - scheme of derived providerIDs. @param defaultZone - zone of instances without one. */
  constructor(providerName: string, defaultZone: Zone) {
    this.#providerName = providerName;
    this.#defaultZone = { ...defaultZone };
  }

  /** The zone reported by `getZone` and for instances without a zone or region of their own. */
  get defaultZone(): Zone {
    return { ...this.#defaultZone };
  }

  set defaultZone(zone: Zone) {
    this.#defaultZone = { failureDomain: zone.failureDomain, region: zone.region };
  }

  /**
   * Adds the instance, or replaces the one with the same node name or providerID.
   * @throws Error when the spec names no instance, or its node name and providerID belong to two
   * different configured instances.
   */
  set(spec: FakeInstanceSpec): FakeInstance {
    const instance = this.#resolve(spec, 'setInstance');
    const byName = instance.nodeName === undefined ? undefined : this.#byName.get(instance.nodeName);
    const byID = instance.providerID === '' ? undefined : this.#byProviderID.get(instance.providerID);
    if (byName !== undefined && byID !== undefined && byName !== byID) {
      throw new Error(
        `fake cloud provider: setInstance: node name ${JSON.stringify(instance.nodeName)} and providerID ` +
          `${JSON.stringify(instance.providerID)} belong to two different instances; remove one of them first`,
      );
    }
    // A deep copy unless it is deep-frozen already (as parsed configs are): update() derives from
    // the stored spec, which must not follow the caller's later edits. A JSON copy shares the
    // (immutable) strings, where structuredClone copies every one: a generated cluster holds
    // 10,000 of these.
    this.#replace(byName ?? byID, { spec: isDeepFrozen(spec) ? spec : deepFreeze(cloneJson(spec)), instance });
    return instance;
  }

  /**
   * Changes some fields of an instance; derived defaults (providerID, instanceID) are derived
   * again from the merged spec.
   * @throws Error when no instance matches `ref`, or the new node name or providerID is taken.
   */
  update(ref: FakeInstanceRef, changes: Partial<FakeInstanceSpec>): FakeInstance {
    const entry = this.#find(ref);
    if (entry === undefined) throw new Error(`fake cloud provider: updateInstance: no instance ${describeRef(ref)}`);
    const spec = { ...entry.spec, ...structuredClone(changes) };
    const instance = this.#resolve(spec, 'updateInstance');
    const byName = instance.nodeName === undefined ? undefined : this.#byName.get(instance.nodeName);
    const byID = instance.providerID === '' ? undefined : this.#byProviderID.get(instance.providerID);
    if ((byName !== undefined && byName !== entry) || (byID !== undefined && byID !== entry)) {
      const taken = byName !== undefined && byName !== entry ? `node name ${JSON.stringify(instance.nodeName)}` : `providerID ${JSON.stringify(instance.providerID)}`;
      throw new Error(`fake cloud provider: updateInstance: another instance already has ${taken}`);
    }
    this.#replace(entry, { spec, instance });
    return instance;
  }

  /** Removes the instance `ref` names; false when there was none. */
  remove(ref: FakeInstanceRef): boolean {
    const entry = this.#find(ref);
    if (entry === undefined) return false;
    this.#entries = this.#entries.filter((e) => e !== entry);
    this.#unindex(entry);
    return true;
  }

  /** The configured instance `ref` names (also when `exists: false`). */
  get(ref: FakeInstanceRef): FakeInstance | undefined {
    return this.#find(ref)?.instance;
  }

  /** Number of configured instances. */
  get size(): number {
    return this.#entries.length;
  }

  /** Every configured instance, in the order they were first added. */
  list(): FakeInstance[] {
    return this.#entries.map((e) => e.instance);
  }

  // ---- Instances (v1) ----

  /** Addresses of the instance backing `nodeName`; InstanceNotFoundError when there is none. */
  nodeAddresses(nodeName: string): NodeAddress[] {
    return copyAddresses(this.#existingByName(nodeName).addresses);
  }

  /** Addresses of the instance with `providerID`; InstanceNotFoundError when there is none. */
  nodeAddressesByProviderID(providerID: string): NodeAddress[] {
    return copyAddresses(this.#existingByProviderID(providerID).addresses);
  }

  /** Instance ID for `nodeName`: InstanceNotFoundError when absent, an answer when merely shut down (as upstream requires). */
  instanceID(nodeName: string): string {
    return this.#existingByName(nodeName).instanceID;
  }

  /** Instance type of the instance backing `nodeName`. */
  instanceType(nodeName: string): string {
    return this.#existingByName(nodeName).instanceType;
  }

  /** Instance type of the instance with `providerID`. */
  instanceTypeByProviderID(providerID: string): string {
    return this.#existingByProviderID(providerID).instanceType;
  }

  /** Whether an instance with `providerID` exists (shut down or not). */
  instanceExistsByProviderID(providerID: string): boolean {
    return this.#existing(this.#byProviderID.get(providerID)) !== undefined;
  }

  /**
   * Whether the instance with `providerID` is shut down; InstanceNotFoundError when absent (which
   * the lifecycle controller reads as "not shut down"). An empty providerID is an ordinary error,
   * as upstream's fake treats it.
   */
  instanceShutdownByProviderID(providerID: string): boolean {
    if (providerID === '') throw new Error('fake cloud provider: instanceShutdownByProviderID: the providerID is empty');
    return this.#existingByProviderID(providerID).shutdown;
  }

  // ---- InstancesV2 ----

  /**
   * The instance behind `node`. By `spec.providerID` first; when that finds nothing (or the Node
   * has none), by node name — but only an instance whose own providerID is empty or equal to the
   * Node's, because a Node naming another providerID refers to a different machine that is gone
   * (a lookup by name would hide a replaced instance from the lifecycle controller).
   */
  forNode(node: Readonly<Node>): FakeInstance | undefined {
    const providerID = node.spec?.providerID ?? '';
    if (providerID !== '') {
      const found = this.#existing(this.#byProviderID.get(providerID));
      if (found !== undefined) return found;
    }
    const name = node.metadata?.name ?? '';
    if (name === '') return undefined;
    const byName = this.#existing(this.#byName.get(name));
    if (byName === undefined) return undefined;
    return providerID === '' || byName.providerID === '' || byName.providerID === providerID ? byName : undefined;
  }

  /** Whether the Node's instance exists (a shut-down instance does). */
  instanceExists(node: Readonly<Node>): boolean {
    return this.forNode(node) !== undefined;
  }

  /** Whether the Node's instance is shut down; InstanceNotFoundError when it does not exist. */
  instanceShutdown(node: Readonly<Node>): boolean {
    return this.#requireForNode(node).shutdown;
  }

  /**
   * The Node's metadata: providerID, instance type, addresses, zone and region (falling back to
   * the default zone), additional labels; empty values are left out ("not provided").
   * InstanceNotFoundError when the instance does not exist.
   */
  instanceMetadata(node: Readonly<Node>): InstanceMetadata {
    const instance = this.#requireForNode(node);
    const zone = this.#zoneOf(instance);
    const metadata: { -readonly [K in keyof InstanceMetadata]: InstanceMetadata[K] } = {
      nodeAddresses: copyAddresses(instance.addresses),
    };
    if (instance.providerID !== '') metadata.providerID = instance.providerID;
    if (instance.instanceType !== '') metadata.instanceType = instance.instanceType;
    if (zone.failureDomain !== '') metadata.zone = zone.failureDomain;
    if (zone.region !== '') metadata.region = zone.region;
    if (Object.keys(instance.additionalLabels).length > 0) metadata.additionalLabels = { ...instance.additionalLabels };
    return metadata;
  }

  // ---- Zones ----

  /** The zone of the instance with `providerID`; InstanceNotFoundError when absent. */
  zoneByProviderID(providerID: string): Zone {
    return this.#zoneOf(this.#existingByProviderID(providerID));
  }

  /** The zone of the instance backing `nodeName`; InstanceNotFoundError when absent. */
  zoneByNodeName(nodeName: string): Zone {
    return this.#zoneOf(this.#existingByName(nodeName));
  }

  // ---- internals ----

  #resolve(spec: FakeInstanceSpec, operation: string): FakeInstance {
    const { nodeName, providerID } = spec;
    if (nodeName === '') throw new Error(`fake cloud provider: ${operation}: nodeName must not be empty (omit it instead)`);
    if (nodeName === undefined && (providerID === undefined || providerID === '')) {
      throw new Error(`fake cloud provider: ${operation}: an instance needs a nodeName or a non-empty providerID`);
    }
    if (spec.instanceID === '') throw new Error(`fake cloud provider: ${operation}: instanceID must not be empty (omit it instead)`);
    let instanceID = spec.instanceID;
    if (instanceID === undefined) {
      if (providerID !== undefined && providerID !== '') {
        const scheme = providerID.indexOf('://');
        instanceID = scheme < 0 ? providerID : providerID.slice(scheme + 3);
      } else {
        instanceID = nodeName ?? '';
      }
    }
    return deepFreeze<FakeInstance>({
      nodeName,
      providerID: providerID ?? `${this.#providerName}://${instanceID}`,
      instanceID,
      exists: spec.exists ?? true,
      shutdown: spec.shutdown ?? false,
      instanceType: spec.instanceType ?? '',
      zone: spec.zone,
      region: spec.region,
      // A frozen list (a stored or parsed spec's) is shared: the instance is frozen too.
      addresses: spec.addresses !== undefined && isDeepFrozen(spec.addresses) ? spec.addresses : copyAddresses(spec.addresses ?? []),
      additionalLabels: spec.additionalLabels === undefined || Object.keys(spec.additionalLabels).length === 0 ? NO_LABELS : { ...spec.additionalLabels },
    });
  }

  #replace(old: Entry | undefined, next: Entry): void {
    const at = old === undefined ? -1 : this.#entries.indexOf(old);
    if (at < 0) this.#entries.push(next);
    else this.#entries[at] = next;
    // Incremental (was: rebuilding both maps from every entry, quadratic when adding n
    // instances). Equivalent because set/update keep node names and providerIDs unique across
    // entries: `next` replaces `old` and takes no key held by any other entry.
    if (old !== undefined) this.#unindex(old);
    if (next.instance.nodeName !== undefined) this.#byName.set(next.instance.nodeName, next);
    if (next.instance.providerID !== '') this.#byProviderID.set(next.instance.providerID, next);
  }

  /** Drops `entry`'s index keys (only those still pointing at it). */
  #unindex(entry: Entry): void {
    const { nodeName, providerID } = entry.instance;
    if (nodeName !== undefined && this.#byName.get(nodeName) === entry) this.#byName.delete(nodeName);
    if (providerID !== '' && this.#byProviderID.get(providerID) === entry) this.#byProviderID.delete(providerID);
  }

  #find(ref: FakeInstanceRef): Entry | undefined {
    if (typeof ref === 'string') return this.#byProviderID.get(ref) ?? this.#byName.get(ref);
    return 'nodeName' in ref ? this.#byName.get(ref.nodeName) : this.#byProviderID.get(ref.providerID);
  }

  #existing(entry: Entry | undefined): FakeInstance | undefined {
    return entry !== undefined && entry.instance.exists ? entry.instance : undefined;
  }

  #existingByName(nodeName: string): FakeInstance {
    const found = this.#existing(this.#byName.get(nodeName));
    if (found === undefined) throw new InstanceNotFoundError();
    return found;
  }

  #existingByProviderID(providerID: string): FakeInstance {
    const found = this.#existing(this.#byProviderID.get(providerID));
    if (found === undefined) throw new InstanceNotFoundError();
    return found;
  }

  #requireForNode(node: Readonly<Node>): FakeInstance {
    const found = this.forNode(node);
    if (found === undefined) throw new InstanceNotFoundError();
    return found;
  }

  #zoneOf(instance: FakeInstance): Zone {
    return { failureDomain: instance.zone ?? this.#defaultZone.failureDomain, region: instance.region ?? this.#defaultZone.region };
  }
}

/** The labels of every instance configured without any (one shared frozen object). */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

function copyAddresses(addresses: readonly Readonly<NodeAddress>[]): NodeAddress[] {
  return addresses.map((a) => ({ type: a.type, address: a.address }));
}
