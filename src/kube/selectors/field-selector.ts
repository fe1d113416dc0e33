/**
 * Field selectors: the `fieldSelector` query syntax of list/watch (apimachinery `fields`
 * package) and the fields kube-apiserver lets each built-in kind be selected by.
 *
 * @module
 */
import { SelectorError } from './selector-error.js';

/** One `field=value` or `field!=value` term (`==` is read as `=`). */
export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

/** Reads one selectable field of an object as the string the apiserver compares. */
export type FieldGetters = ReadonlyMap<string, (obj: unknown) => string>;

/** A parsed field selector. */
export interface FieldSelector {
  /** True when there are no terms, so every object matches. */
  readonly empty: boolean;
  /** The terms, sorted as upstream sorts them. */
  readonly requirements: readonly FieldRequirement[];
  /**
   * Whether `obj` satisfies every term, reading fields through `fields`. A field with no getter
   * reads as `''`, as upstream's field sets do; call {@link checkFieldSelector} first to reject them.
   */
  matches(obj: unknown, fields: FieldGetters): boolean;
  /** The canonical text form, values escaped. */
  toString(): string;
}

/**
 * Parses the `fieldSelector` query syntax: comma-separated `field=value`, `field==value` or
 * `field!=value` terms. Values may escape `\`, `,` and `=` with a backslash; nothing is trimmed
 * (a space is part of the field or value, as upstream). The empty string selects everything.
 *
 * @throws {SelectorError} for a term without an operator or a bad escape in a value.
 * @example
 * parseFieldSelector('involvedObject.kind=Node,type!=Normal');
 */
export function parseFieldSelector(text: string): FieldSelector {
  // Sorted like upstream, which sorts the raw terms before parsing them.
  const terms = splitTerms(text).sort();
  const requirements: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (split === undefined) throw new SelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    requirements.push({ field: split.field, op: split.op === '!=' ? '!=' : '=', value: unescapeValue(split.rawValue) });
  }
  return new TermSelector(requirements);
}

/**
 * Rejects a selector naming a field `fields` does not support, with the apiserver's message
 * (`field label not supported: <field>`, answered as 400 BadRequest).
 *
 * @throws {SelectorError}
 */
export function checkFieldSelector(sel: FieldSelector, fields: FieldGetters): void {
  for (const { field } of sel.requirements) {
    if (!fields.has(field)) throw new SelectorError(`field label not supported: ${field}`);
  }
}

/**
 * The selectable fields of a kind, as kube-apiserver registers them: `metadata.name` for every
 * kind and `metadata.namespace` for namespaced ones, plus Node `spec.unschedulable`, Service
 * `spec.clusterIP` and `spec.type`, and the core/v1 Event fields (`involvedObject.*`, `reason`,
 * `reportingComponent`, `source`, `type`). A kind it does not know gets the metadata pair, as the
 * apiserver gives custom resources.
 */
export function fieldGettersFor(group: string, kind: string): FieldGetters {
  if (group === '') {
    if (kind === 'Node') return NODE_FIELDS;
    if (kind === 'Service') return SERVICE_FIELDS;
    if (kind === 'Event') return EVENT_FIELDS;
  }
  return NAMESPACED_METADATA_FIELDS;
}

// ---- getters ----

/** The string at `path` inside `obj`, `''` when absent or not a string. */
function stringAt(obj: unknown, ...path: string[]): string {
  let node = obj;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, key)) return '';
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' ? node : '';
}

function getter(...path: string[]): (obj: unknown) => string {
  return (obj) => stringAt(obj, ...path);
}

const NAME: readonly [string, (obj: unknown) => string] = ['metadata.name', getter('metadata', 'name')];
const NAMESPACE: readonly [string, (obj: unknown) => string] = ['metadata.namespace', getter('metadata', 'namespace')];

function fieldsOf(entries: ReadonlyArray<readonly [string, (obj: unknown) => string]>): FieldGetters {
  return new Map(entries);
}

const NAMESPACED_METADATA_FIELDS = fieldsOf([NAME, NAMESPACE]);

// Nodes are cluster-scoped: no metadata.namespace.
const NODE_FIELDS = fieldsOf([
  NAME,
  [
    'spec.unschedulable',
    (obj) => {
      const spec = typeof obj === 'object' && obj !== null ? (obj as { spec?: unknown }).spec : undefined;
      const flag = typeof spec === 'object' && spec !== null ? (spec as { unschedulable?: unknown }).unschedulable : undefined;
      // The apiserver formats the bool; absent means false.
      return flag === true ? 'true' : 'false';
    },
  ],
]);

const SERVICE_FIELDS = fieldsOf([NAME, NAMESPACE, ['spec.clusterIP', getter('spec', 'clusterIP')], ['spec.type', getter('spec', 'type')]]);

const EVENT_FIELDS = fieldsOf([
  NAME,
  NAMESPACE,
  ['involvedObject.kind', getter('involvedObject', 'kind')],
  ['involvedObject.namespace', getter('involvedObject', 'namespace')],
  ['involvedObject.name', getter('involvedObject', 'name')],
  ['involvedObject.uid', getter('involvedObject', 'uid')],
  ['involvedObject.apiVersion', getter('involvedObject', 'apiVersion')],
  ['involvedObject.resourceVersion', getter('involvedObject', 'resourceVersion')],
  ['involvedObject.fieldPath', getter('involvedObject', 'fieldPath')],
  ['reason', getter('reason')],
  ['reportingComponent', getter('reportingComponent')],
  // As the apiserver: `source` is source.component, falling back to the reporting controller.
  ['source', (obj) => stringAt(obj, 'source', 'component') || stringAt(obj, 'reportingComponent')],
  ['type', getter('type')],
]);

// ---- parsing ----

/** Splits on commas not escaped by a backslash; escapes stay in the terms. */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (escaped) escaped = false;
    else if (ch === '\\') escaped = true;
    else if (ch === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

/** Splits at the first operator; `==` is tried before `=` so no `=` is left on the value. */
function splitTerm(term: string): { field: string; op: (typeof TERM_OPERATORS)[number]; rawValue: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i), op, rawValue: term.slice(i + op.length) };
    }
  }
  return undefined;
}

function unescapeValue(raw: string): string {
  let out = '';
  let escaped = false;
  for (const ch of raw) {
    if (escaped) {
      if (ch !== '\\' && ch !== ',' && ch !== '=') {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${ch}`);
      }
      out += ch;
      escaped = false;
    } else if (ch === '\\') {
      escaped = true;
    } else if (ch === ',' || ch === '=') {
      throw new SelectorError(`invalid field selector: unescaped character in value: ${ch}`);
    } else {
      out += ch;
    }
  }
  if (escaped) throw new SelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

function escapeValue(value: string): string {
  return value.replace(/[\\,=]/g, (ch) => `\\${ch}`);
}

class TermSelector implements FieldSelector {
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: readonly FieldRequirement[]) {
    this.requirements = Object.freeze(requirements.map((r) => Object.freeze({ ...r })));
  }

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(obj: unknown, fields: FieldGetters): boolean {
    return this.requirements.every(({ field, op, value }) => {
      const actual = fields.get(field)?.(obj) ?? '';
      return op === '=' ? actual === value : actual !== value;
    });
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.op}${escapeValue(r.value)}`).join(',');
  }
}
