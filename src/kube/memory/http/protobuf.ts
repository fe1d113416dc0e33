/**
 * Reads the few protobuf request bodies kubectl sends to the simulated API's HTTP face: kubectl's
 * typed clients post review objects (`kubectl auth can-i`, `auth whoami`) and the objects of
 * `kubectl create namespace|configmap|secret|serviceaccount` as
 * `application/vnd.kubernetes.protobuf`, with no JSON fallback. This decodes kube-apiserver's
 * envelope (`k8s\0` + runtime.Unknown) and those kinds' fields into their JSON form; the answer
 * goes back as JSON, which client-go decodes by the response's Content-Type. Every other protobuf
 * body is still refused 415 (docs/deviations.md).
 *
 * @module
 */
import { apiErrors } from '../../errors.js';
import type { JsonObject } from '../../json-value.js';

/**
 * A message layout: field number → name and how to read it (`map`: map<string,string>;
 * `bytesMap`: map<string,bytes>, base64 in JSON; `bool`: a varint).
 */
type Layout = Readonly<Record<number, readonly [name: string, kind: 'string' | 'strings' | 'bool' | 'map' | 'bytesMap' | Layout]>>;

const RESOURCE_ATTRIBUTES: Layout = {
  1: ['namespace', 'string'],
  2: ['verb', 'string'],
  3: ['group', 'string'],
  4: ['version', 'string'],
  5: ['resource', 'string'],
  6: ['subresource', 'string'],
  7: ['name', 'string'],
};
const NON_RESOURCE_ATTRIBUTES: Layout = { 1: ['path', 'string'], 2: ['verb', 'string'] };
const OBJECT_META: Layout = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  11: ['labels', 'map'],
  12: ['annotations', 'map'],
  14: ['finalizers', 'strings'],
};
const SUBJECT_ACCESS_REVIEW: Layout = {
  1: ['metadata', OBJECT_META],
  2: [
    'spec',
    { 1: ['resourceAttributes', RESOURCE_ATTRIBUTES], 2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES], 3: ['user', 'string'], 4: ['groups', 'strings'], 6: ['uid', 'string'] },
  ],
};

/** The review kinds whose protobuf form is understood. */
const LAYOUTS: Readonly<Record<string, Layout>> = {
  SelfSubjectAccessReview: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['resourceAttributes', RESOURCE_ATTRIBUTES], 2: ['nonResourceAttributes', NON_RESOURCE_ATTRIBUTES] }] },
  SubjectAccessReview: SUBJECT_ACCESS_REVIEW,
  LocalSubjectAccessReview: SUBJECT_ACCESS_REVIEW,
  SelfSubjectRulesReview: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['namespace', 'string'] }] },
  SelfSubjectReview: { 1: ['metadata', OBJECT_META] },
  TokenReview: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['token', 'string'], 2: ['audiences', 'strings'] }] },
  // What `kubectl create namespace|configmap|secret|serviceaccount` send.
  Namespace: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', 'strings'] }] },
  ConfigMap: { 1: ['metadata', OBJECT_META], 2: ['data', 'map'], 3: ['binaryData', 'bytesMap'], 4: ['immutable', 'bool'] },
  Secret: { 1: ['metadata', OBJECT_META], 2: ['data', 'bytesMap'], 3: ['type', 'string'], 4: ['stringData', 'map'], 5: ['immutable', 'bool'] },
  ServiceAccount: {
    1: ['metadata', OBJECT_META],
    3: ['imagePullSecrets', { 1: ['name', 'string'] }],
    4: ['automountServiceAccountToken', 'bool'],
  },
};

/** Message fields that are lists (repeated) rather than single messages. */
const REPEATED_MESSAGES = new Set(['imagePullSecrets']);

/** Media type of kube-apiserver's protobuf encoding. */
export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

class Reader {
  #pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.#pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    // At most 10 bytes per varint; anything longer is corrupt.
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.buf.length) throw new Error('truncated varint');
      const byte = this.buf[this.#pos++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    throw new Error('varint too long');
  }
  bytes(): Uint8Array {
    const len = this.varint();
    if (this.#pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return out;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytes();
    else if (wireType === 1) this.#pos += 8;
    else if (wireType === 5) this.#pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function decodeMessage(buf: Uint8Array, layout: Layout): JsonObject {
  const out: JsonObject = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    const spec = layout[field];
    if (spec !== undefined && spec[1] === 'bool' && wire === 0) {
      out[spec[0]] = r.varint() !== 0;
      continue;
    }
    if (spec === undefined || wire !== 2) {
      r.skip(wire);
      continue;
    }
    const [name, kind] = spec;
    const bytes = r.bytes();
    if (kind === 'string') out[name] = Buffer.from(bytes).toString('utf8');
    else if (kind === 'strings') out[name] = [...(Array.isArray(out[name]) ? (out[name] as string[]) : []), Buffer.from(bytes).toString('utf8')];
    else if (kind === 'map' || kind === 'bytesMap') {
      const entry = decodeEntry(bytes);
      const map = (typeof out[name] === 'object' && out[name] !== null ? out[name] : {}) as Record<string, string>;
      map[Buffer.from(entry.key).toString('utf8')] = kind === 'map' ? Buffer.from(entry.value).toString('utf8') : Buffer.from(entry.value).toString('base64');
      out[name] = map;
    } else if (kind === 'bool') r.skip(wire);
    else if (REPEATED_MESSAGES.has(name)) out[name] = [...(Array.isArray(out[name]) ? (out[name] as JsonObject[]) : []), decodeMessage(bytes, kind)];
    else out[name] = decodeMessage(bytes, kind);
  }
  return out;
}

/**
 * Decodes a protobuf review body into its JSON form.
 * @throws KubeApiError 415 when the body is not a review kind we read, 400 when it is corrupt.
 */
export function decodeProtobuf(body: Buffer, expectedKind: string): JsonObject {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) throw apiErrors.badRequest('the protobuf body does not start with the k8s envelope');
  try {
    const envelope = decodeMessage(body.subarray(4), { 1: ['typeMeta', { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] }] });
    const raw = readRaw(body.subarray(4));
    const typeMeta = (envelope['typeMeta'] ?? {}) as JsonObject;
    const kind = typeof typeMeta['kind'] === 'string' && typeMeta['kind'] !== '' ? typeMeta['kind'] : expectedKind;
    const layout = LAYOUTS[kind];
    if (layout === undefined) throw apiErrors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json`);
    return { apiVersion: typeMeta['apiVersion'], kind, ...decodeMessage(raw, layout) };
  } catch (err) {
    if (err instanceof Error && !('status' in err)) throw apiErrors.badRequest(`the protobuf body could not be decoded: ${err.message}`);
    throw err;
  }
}

/** One map entry (field 1 key, field 2 value). */
function decodeEntry(buf: Uint8Array): { key: Uint8Array; value: Uint8Array } {
  const r = new Reader(buf);
  let key: Uint8Array = new Uint8Array(0);
  let value: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const tag = r.varint();
    if (tag === (1 << 3) + 2) key = r.bytes();
    else if (tag === (2 << 3) + 2) value = r.bytes();
    else r.skip(tag % 8);
  }
  return { key, value };
}

/** Whether a protobuf body of `kind` can be read here. */
export function readsProtobuf(kind: string): boolean {
  return LAYOUTS[kind] !== undefined;
}

/** Field 2 (raw) of runtime.Unknown. */
function readRaw(buf: Uint8Array): Uint8Array {
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.varint();
    if (tag === (2 << 3) + 2) return r.bytes();
    r.skip(tag % 8);
  }
  return new Uint8Array(0);
}
