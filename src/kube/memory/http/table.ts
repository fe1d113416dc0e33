/**
 * Table answers (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`) of the simulated API's
 * HTTP face: the columns kube-apiserver's own printers define for each kind the sandbox serves,
 * so `kubectl get svc` shows TYPE, CLUSTER-IP, EXTERNAL-IP and PORT(S), and `-o wide` adds the
 * priority-1 columns. As the apiserver, every cell is computed (wide included) and kubectl hides
 * priority-1 columns unless asked. Column names and cells follow kube-apiserver 1.37's printers
 * (checked against the real test cluster in test/e2e/kubectl-fidelity.test.ts); the code is ours.
 *
 * @module
 */
import { isJsonObject } from '../../json-value.js';
import type { JsonObject } from '../../json-value.js';
import type { ResourceType } from '../../resources.js';
import { humanDuration } from './human-duration.js';

/** One `metav1.TableColumnDefinition`. */
export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly format: '' | 'name';
  readonly description: string;
  readonly priority: 0 | 1;
}

/** `includeObject` of a table request: what each row carries besides its cells. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

type Cell = string | number;
type Printer = (obj: JsonObject, now: number) => Cell[];

function col(name: string, description: string, priority: 0 | 1 = 0, type: TableColumn['type'] = 'string', format: TableColumn['format'] = ''): TableColumn {
  return { name, type, format, description, priority };
}

const NAME = col('Name', 'Name of the object, unique within its namespace.', 0, 'string', 'name');
const AGE = col('Age', 'Time since the object was created (metadata.creationTimestamp).');

function obj(value: unknown): JsonObject {
  return isJsonObject(value) ? value : {};
}
function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}
function meta(o: JsonObject): JsonObject {
  return obj(o['metadata']);
}

/** Age of a timestamp, `<unknown>` when it is absent or unparsable (translateTimestampSince). */
function since(timestamp: unknown, now: number): string {
  const t = typeof timestamp === 'string' && timestamp !== '' ? Date.parse(timestamp) : NaN;
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}
function age(o: JsonObject, now: number): string {
  return since(meta(o)['creationTimestamp'], now);
}

/** `k=v,…` sorted by key, `<none>` when empty (labels.FormatLabels). */
function formatLabels(map: unknown): string {
  const entries = Object.entries(obj(map)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${text(v)}`).join(',');
}

/** The first three items and how many more (listWithMoreString). */
function listWithMore(list: readonly string[], count: number, unset: string): string {
  const shown = list.slice(0, 3).join(',');
  if (count > 3) return `${shown} + ${count - 3} more...`;
  return shown === '' ? unset : shown;
}

// --- services ---------------------------------------------------------------------------------

function portString(ports: unknown): string {
  return arr(ports)
    .map((p) => {
      const port = obj(p);
      const proto = text(port['protocol']);
      return num(port['nodePort']) > 0 ? `${num(port['port'])}:${num(port['nodePort'])}/${proto}` : `${num(port['port'])}/${proto}`;
    })
    .join(',');
}

function serviceExternalIP(svc: JsonObject): string {
  const spec = obj(svc['spec']);
  const externalIPs = arr(spec['externalIPs']).map(text);
  switch (spec['type']) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      // Wide (the apiserver always prints wide): no truncation of long address lists.
      const ingress = arr(obj(obj(svc['status'])['loadBalancer'])['ingress'])
        .map((i) => text(obj(i)['ip']) || text(obj(i)['hostname']))
        .filter((a) => a !== '');
      const all = [...ingress, ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return text(spec['externalName']);
    default:
      return '<unknown>';
  }
}

const printService: Printer = (svc, now) => {
  const spec = obj(svc['spec']);
  const ips = arr(spec['clusterIPs']).map(text);
  const ports = portString(spec['ports']);
  return [text(meta(svc)['name']), text(spec['type']), ips[0] ?? '<none>', serviceExternalIP(svc), ports === '' ? '<none>' : ports, age(svc, now), formatLabels(spec['selector'])];
};

// --- nodes ------------------------------------------------------------------------------------

function nodeAddress(node: JsonObject, type: string): string {
  const found = arr(obj(node['status'])['addresses']).find((a) => obj(a)['type'] === type);
  return found === undefined ? '<none>' : text(obj(found)['address']);
}

function nodeRoles(node: JsonObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(obj(meta(node)['labels']))) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role !== '') roles.add(role);
    } else if (k === 'kubernetes.io/role' && text(v) !== '') roles.add(text(v));
  }
  const list = [...roles].sort();
  return list.length === 0 ? '<none>' : list.join(',');
}

const printNode: Printer = (node, now) => {
  const status = obj(node['status']);
  const ready = arr(status['conditions']).find((c) => obj(c)['type'] === 'Ready');
  const states = ready === undefined ? ['Unknown'] : [obj(ready)['status'] === 'True' ? 'Ready' : 'NotReady'];
  if (obj(node['spec'])['unschedulable'] === true) states.push('SchedulingDisabled');
  const info = obj(status['nodeInfo']);
  const orUnknown = (v: unknown): string => text(v) || '<unknown>';
  const arch = text(info['architecture']);
  return [
    text(meta(node)['name']),
    states.join(','),
    nodeRoles(node),
    age(node, now),
    text(info['kubeletVersion']),
    nodeAddress(node, 'InternalIP'),
    nodeAddress(node, 'ExternalIP'),
    orUnknown(info['osImage']),
    // As kube-apiserver's node printer: the architecture follows the kernel version.
    arch === '' ? orUnknown(info['kernelVersion']) : `${orUnknown(info['kernelVersion'])} (${arch})`,
    orUnknown(info['containerRuntimeVersion']),
  ];
};

// --- events (core/v1 and events.k8s.io/v1) ----------------------------------------------------

/** The fields the event printer reads, from either API version. */
interface EventView {
  first: unknown;
  last: unknown;
  eventTime: unknown;
  seriesLast: unknown;
  seriesCount: number | undefined;
  count: number;
  involved: JsonObject;
  component: string;
  host: string;
  type: string;
  reason: string;
  message: string;
}

function coreEventView(ev: JsonObject): EventView {
  const source = obj(ev['source']);
  const series = isJsonObject(ev['series']) ? ev['series'] : undefined;
  return {
    first: ev['firstTimestamp'],
    last: ev['lastTimestamp'],
    eventTime: ev['eventTime'],
    seriesLast: series?.['lastObservedTime'],
    seriesCount: series === undefined ? undefined : num(series['count']),
    count: num(ev['count']),
    involved: obj(ev['involvedObject']),
    component: text(source['component']) || text(ev['reportingComponent']),
    host: text(source['host']) || text(ev['reportingInstance']),
    type: text(ev['type']),
    reason: text(ev['reason']),
    message: text(ev['message']),
  };
}

function eventsV1View(ev: JsonObject): EventView {
  const source = obj(ev['deprecatedSource']);
  const series = isJsonObject(ev['series']) ? ev['series'] : undefined;
  return {
    first: ev['deprecatedFirstTimestamp'],
    last: ev['deprecatedLastTimestamp'],
    eventTime: ev['eventTime'],
    seriesLast: series?.['lastObservedTime'],
    seriesCount: series === undefined ? undefined : num(series['count']),
    count: num(ev['deprecatedCount']),
    involved: obj(ev['regarding']),
    component: text(source['component']) || text(ev['reportingController']),
    host: text(source['host']) || text(ev['reportingInstance']),
    type: text(ev['type']),
    reason: text(ev['reason']),
    message: text(ev['note']),
  };
}

function printEventView(ev: JsonObject, v: EventView, now: number): Cell[] {
  const first = typeof v.first === 'string' && v.first !== '' ? since(v.first, now) : since(v.eventTime, now);
  let last = typeof v.last === 'string' && v.last !== '' ? since(v.last, now) : first;
  let count = v.count;
  if (v.seriesCount !== undefined) {
    last = since(v.seriesLast, now);
    count = v.seriesCount;
  } else if (count === 0) count = 1;
  const kind = text(v.involved['kind']).toLowerCase();
  const name = text(v.involved['name']);
  const target = name === '' ? kind : `${kind}/${name}`;
  const source = v.host === '' ? v.component : `${v.component}, ${v.host}`;
  return [last, v.type, v.reason, target, text(v.involved['fieldPath']), source, v.message.trim(), first, count, text(meta(ev)['name'])];
}

// --- the rest ---------------------------------------------------------------------------------

function endpointsString(ep: JsonObject): string {
  const subsets = arr(ep['subsets']);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const s of subsets) {
    for (const p of arr(obj(s)['ports'])) {
      for (const a of arr(obj(s)['addresses'])) {
        const ip = text(obj(a)['ip']);
        const host = ip.includes(':') ? `[${ip}]` : ip;
        if (list.length < 3) list.push(`${host}:${num(obj(p)['port'])}`);
        count++;
      }
    }
  }
  const shown = list.join(',');
  return count > 3 ? `${shown} + ${count - 3} more...` : shown;
}

function sliceEndpoints(slice: JsonObject): string {
  const all = arr(slice['endpoints']).flatMap((e) => arr(obj(e)['addresses']).map(text));
  return listWithMore(all, all.length, '<unset>');
}

function slicePorts(slice: JsonObject): string {
  const all = arr(slice['ports']).map((p) => {
    const port = obj(p);
    if (typeof port['port'] === 'number') return String(port['port']);
    return typeof port['name'] === 'string' ? port['name'] : '<unset>';
  });
  return listWithMore(all, all.length, '<unset>');
}

function bindingCells(b: JsonObject, now: number): Cell[] {
  const ref = obj(b['roleRef']);
  const subjects = arr(b['subjects']).map(obj);
  const of = (kind: string): JsonObject[] => subjects.filter((s) => s['kind'] === kind);
  return [
    text(meta(b)['name']),
    `${text(ref['kind'])}/${text(ref['name'])}`,
    age(b, now),
    of('User').map((s) => text(s['name'])).join(', '),
    of('Group').map((s) => text(s['name'])).join(', '),
    of('ServiceAccount').map((s) => `${text(s['namespace'])}/${text(s['name'])}`).join(', '),
  ];
}

interface KindPrinter {
  readonly columns: readonly TableColumn[];
  readonly print: Printer;
}

const EVENT_COLUMNS: readonly TableColumn[] = [
  col('Last Seen', 'Time of the last occurrence.'),
  col('Type', 'Type of the event (Normal, Warning).'),
  col('Reason', 'Short, machine-understandable reason.'),
  col('Object', 'The object the event is about.'),
  col('Subobject', 'The part of the object the event is about (fieldPath).', 1),
  col('Source', 'The component (and host) that reported the event.', 1),
  col('Message', 'Human-readable description.'),
  col('First Seen', 'Time of the first occurrence.', 1),
  col('Count', 'Number of occurrences.', 1),
  col('Name', 'Name of the event object.', 1, 'string', 'name'),
];

const BINDING_COLUMNS: readonly TableColumn[] = [
  NAME,
  col('Role', 'The role bound (roleRef).'),
  AGE,
  col('Users', 'Users bound.', 1),
  col('Groups', 'Groups bound.', 1),
  col('ServiceAccounts', 'Service accounts bound.', 1),
];

const ROLE: KindPrinter = {
  columns: [NAME, col('Created At', 'When the role was created.', 0, 'date')],
  print: (o) => [text(meta(o)['name']), text(meta(o)['creationTimestamp'])],
};

const PRINTERS: Readonly<Record<string, KindPrinter>> = {
  '/v1/services': {
    columns: [
      NAME,
      col('Type', 'How the service is exposed (spec.type).'),
      col('Cluster-IP', 'The cluster IP (spec.clusterIPs[0]).'),
      col('External-IP', 'Load-balancer ingress and external IPs.'),
      col('Port(s)', 'Ports, with node ports, and protocols.'),
      AGE,
      col('Selector', 'The pod selector (spec.selector).', 1),
    ],
    print: printService,
  },
  '/v1/nodes': {
    columns: [
      NAME,
      col('Status', 'The status of the node.'),
      col('Roles', 'The roles of the node.'),
      AGE,
      col('Version', 'Kubelet version.'),
      col('Internal-IP', 'First InternalIP address.', 1),
      col('External-IP', 'First ExternalIP address.', 1),
      col('OS-Image', 'OS image reported by the node.', 1),
      col('Kernel-Version', 'Kernel version reported by the node.', 1),
      col('Container-Runtime', 'Container runtime reported by the node.', 1),
    ],
    print: printNode,
  },
  '/v1/events': { columns: EVENT_COLUMNS, print: (ev, now) => printEventView(ev, coreEventView(ev), now) },
  'events.k8s.io/v1/events': { columns: EVENT_COLUMNS, print: (ev, now) => printEventView(ev, eventsV1View(ev), now) },
  '/v1/namespaces': {
    columns: [NAME, col('Status', 'The phase of the namespace.'), AGE],
    print: (ns, now) => [text(meta(ns)['name']), text(obj(ns['status'])['phase']), age(ns, now)],
  },
  'coordination.k8s.io/v1/leases': {
    columns: [NAME, col('Holder', 'The current holder (spec.holderIdentity).'), AGE],
    print: (l, now) => [text(meta(l)['name']), text(obj(l['spec'])['holderIdentity']), age(l, now)],
  },
  '/v1/configmaps': {
    columns: [NAME, col('Data', 'Number of data and binaryData keys.'), AGE],
    print: (cm, now) => [text(meta(cm)['name']), Object.keys(obj(cm['data'])).length + Object.keys(obj(cm['binaryData'])).length, age(cm, now)],
  },
  '/v1/secrets': {
    columns: [NAME, col('Type', 'The secret type.'), col('Data', 'Number of data keys.'), AGE],
    print: (s, now) => [text(meta(s)['name']), text(s['type']), Object.keys(obj(s['data'])).length, age(s, now)],
  },
  '/v1/serviceaccounts': { columns: [NAME, AGE], print: (sa, now) => [text(meta(sa)['name']), age(sa, now)] },
  '/v1/endpoints': {
    columns: [NAME, col('Endpoints', 'Addresses and ports (first three).'), AGE],
    print: (ep, now) => [text(meta(ep)['name']), endpointsString(ep), age(ep, now)],
  },
  'discovery.k8s.io/v1/endpointslices': {
    columns: [NAME, col('AddressType', 'The address type.'), col('Ports', 'Ports (first three).'), col('Endpoints', 'Addresses (first three).'), AGE],
    print: (s, now) => [text(meta(s)['name']), text(s['addressType']), slicePorts(s), sliceEndpoints(s), age(s, now)],
  },
  'rbac.authorization.k8s.io/v1/roles': ROLE,
  'rbac.authorization.k8s.io/v1/clusterroles': ROLE,
  'rbac.authorization.k8s.io/v1/rolebindings': { columns: BINDING_COLUMNS, print: bindingCells },
  'rbac.authorization.k8s.io/v1/clusterrolebindings': { columns: BINDING_COLUMNS, print: bindingCells },
};

/** Kinds without a printer of their own: NAME and AGE (the apiserver's default table). */
const DEFAULT_PRINTER: KindPrinter = { columns: [NAME, AGE], print: (o, now) => [text(meta(o)['name']), age(o, now)] };

/** Whether an Accept header asks for a meta.k8s.io/v1 Table. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim());
    return params.includes('as=Table') && params.includes('g=meta.k8s.io') && (params.includes('v=v1') || params.includes('v=v1beta1'));
  });
}

/** The table version an Accept header asks for first (v1 preferred when both are offered). */
export function tableApiVersion(accept: string | undefined): string {
  const parts = (accept ?? '').split(',').map((p) => p.split(';').map((x) => x.trim()));
  const v1 = parts.some((p) => p.includes('as=Table') && p.includes('v=v1'));
  return v1 ? 'meta.k8s.io/v1' : 'meta.k8s.io/v1beta1';
}

/** Reads `includeObject` (default Metadata, as the apiserver); anything else is refused upstream too. */
export function parseIncludeObject(value: string | null): IncludeObject | undefined {
  if (value === null || value === '') return 'Metadata';
  return value === 'None' || value === 'Metadata' || value === 'Object' ? value : undefined;
}

/** The printer columns of a resource. */
export function tableColumns(type: Pick<ResourceType, 'group' | 'version' | 'resource'>): readonly TableColumn[] {
  return (PRINTERS[`${type.group}/${type.version}/${type.resource}`] ?? DEFAULT_PRINTER).columns;
}

/** Builds a Table of `objects` (the items of a list, or the one object of a get). */
export function toTable(
  type: Pick<ResourceType, 'group' | 'version' | 'resource'>,
  objects: readonly JsonObject[],
  options: { now: number; includeObject: IncludeObject; apiVersion?: string; listMeta?: JsonObject },
): JsonObject {
  const printer = PRINTERS[`${type.group}/${type.version}/${type.resource}`] ?? DEFAULT_PRINTER;
  const rows = objects.map((o) => {
    const row: JsonObject = { cells: printer.print(o, options.now) };
    if (options.includeObject === 'Object') row['object'] = o;
    else if (options.includeObject === 'Metadata') row['object'] = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta(o) };
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: options.apiVersion ?? 'meta.k8s.io/v1',
    metadata: options.listMeta ?? {},
    columnDefinitions: printer.columns,
    rows,
  };
}
