/**
 * JSON patch (RFC 6902, `application/json-patch+json`) with JSON Pointers (RFC 6901), as
 * kube-apiserver applies it. The operation list arrives from untrusted input, so its shape is
 * validated here before anything is applied.
 *
 * @module
 */
import { PatchError } from './patch-error.js';
import { cloneJson, getOwn, isJsonObject, jsonEqual, setOwn } from '../json-value.js';
import type { JsonObject } from '../json-value.js';

type OpName = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

const OP_NAMES: ReadonlySet<string> = new Set<OpName>(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** One validated operation: pointers already split into unescaped reference tokens. */
interface Operation {
  readonly op: OpName;
  readonly path: readonly string[];
  readonly from: readonly string[];
  readonly value: unknown;
}

/**
 * Applies an RFC 6902 JSON patch: `add`, `remove`, `replace`, `move`, `copy` and `test`, in order,
 * all or nothing. Never mutates `target` or `ops`.
 *
 * Throws {@link PatchError} `bad-request` when `ops` is not a well-formed operation list (not an
 * array, unknown op, missing member, bad pointer syntax) and `invalid` when an operation cannot
 * apply (a path that does not exist, an index out of range, a failed `test`).
 *
 * @example
 * applyJsonPatch({ a: [1] }, [{ op: 'add', path: '/a/-', value: 2 }]); // { a: [1, 2] }
 */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  const operations = parseOperations(ops);
  let doc = cloneJson(target);
  for (const operation of operations) doc = applyOperation(doc, operation);
  return doc;
}

function parseOperations(ops: unknown): Operation[] {
  if (!Array.isArray(ops)) {
    throw new PatchError('bad-request', 'a JSON patch must be an array of operations');
  }
  return ops.map((raw: unknown, index): Operation => {
    if (!isJsonObject(raw)) throw new PatchError('bad-request', `operation ${index} is not an object`);
    const op = getOwn(raw, 'op');
    if (typeof op !== 'string') throw new PatchError('bad-request', `operation ${index} has no "op"`);
    if (!OP_NAMES.has(op)) throw new PatchError('bad-request', `operation ${index}: unknown op "${op}"`);
    const name = op as OpName;
    const path = parsePointerMember(raw, 'path', index);
    const from = name === 'move' || name === 'copy' ? parsePointerMember(raw, 'from', index) : [];
    // `value` must be present for add/replace/test, but may legitimately be null.
    if ((name === 'add' || name === 'replace' || name === 'test') && !Object.hasOwn(raw, 'value')) {
      throw new PatchError('bad-request', `operation ${index} (${name}) has no "value"`);
    }
    return { op: name, path, from, value: getOwn(raw, 'value') };
  });
}

function parsePointerMember(raw: JsonObject, member: 'path' | 'from', index: number): string[] {
  const pointer = getOwn(raw, member);
  if (typeof pointer !== 'string') {
    throw new PatchError('bad-request', `operation ${index} has no "${member}" string`);
  }
  return parsePointer(pointer, index);
}

/** Splits an RFC 6901 pointer into reference tokens, undoing the `~1` and `~0` escapes. */
function parsePointer(pointer: string, index: number): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw new PatchError('bad-request', `operation ${index}: JSON pointer "${pointer}" must start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      // RFC 6901: `~` is only legal as the start of `~0` or `~1`.
      if (/~(?![01])/.test(token)) {
        throw new PatchError('bad-request', `operation ${index}: bad escape in JSON pointer "${pointer}"`);
      }
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

/** The dotted/indexed field path of a pointer, for error reports (`/a/0/b` → `a[0].b`). */
function fieldOf(tokens: readonly string[]): string {
  let field = '';
  for (const token of tokens) {
    if (/^\d+$/.test(token) || token === '-') field += `[${token}]`;
    else field += field === '' ? token : `.${token}`;
  }
  return field;
}

function pointerOf(tokens: readonly string[]): string {
  return tokens.map((t) => `/${t.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/** An array index token: `0` or digits without a leading zero (RFC 6901 §4). */
function arrayIndex(token: string, length: number, allowEnd: boolean, tokens: readonly string[]): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) {
    throw new PatchError('invalid', `"${token}" is not a valid array index in ${pointerOf(tokens)}`, fieldOf(tokens));
  }
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) {
    throw new PatchError('invalid', `array index ${index} out of range in ${pointerOf(tokens)}`, fieldOf(tokens));
  }
  return index;
}

/** The value `tokens` refers to; throws `invalid` when any step does not exist. */
function resolve(doc: unknown, tokens: readonly string[]): unknown {
  let node = doc;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const upTo = tokens.slice(0, i + 1);
    if (Array.isArray(node)) {
      node = node[arrayIndex(token, node.length, false, upTo)];
    } else if (isJsonObject(node) && Object.hasOwn(node, token)) {
      node = node[token];
    } else {
      throw new PatchError('invalid', `path ${pointerOf(upTo)} does not exist`, fieldOf(upTo));
    }
  }
  return node;
}

/** The container holding the last token of `tokens` (which must be non-empty). */
function parentOf(doc: unknown, tokens: readonly string[]): { parent: unknown; last: string } {
  return { parent: resolve(doc, tokens.slice(0, -1)), last: tokens[tokens.length - 1] as string };
}

function add(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, true, tokens), 0, value);
  } else if (isJsonObject(parent)) {
    // RFC 6902 §4.1: add on an existing member replaces it.
    setOwn(parent, last, value);
  } else {
    throw new PatchError('invalid', `cannot add ${pointerOf(tokens)}: parent is not an object or array`, fieldOf(tokens));
  }
  return doc;
}

function remove(doc: unknown, tokens: readonly string[]): unknown {
  if (tokens.length === 0) throw new PatchError('invalid', 'cannot remove the whole document');
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    parent.splice(arrayIndex(last, parent.length, false, tokens), 1);
  } else if (isJsonObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    throw new PatchError('invalid', `path ${pointerOf(tokens)} does not exist`, fieldOf(tokens));
  }
  return doc;
}

function replace(doc: unknown, tokens: readonly string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(doc, tokens);
  if (Array.isArray(parent)) {
    parent[arrayIndex(last, parent.length, false, tokens)] = value;
  } else if (isJsonObject(parent) && Object.hasOwn(parent, last)) {
    setOwn(parent, last, value);
  } else {
    // RFC 6902 §4.3: the target location must exist.
    throw new PatchError('invalid', `path ${pointerOf(tokens)} does not exist`, fieldOf(tokens));
  }
  return doc;
}

function isProperPrefix(prefix: readonly string[], tokens: readonly string[]): boolean {
  return prefix.length < tokens.length && prefix.every((t, i) => t === tokens[i]);
}

function applyOperation(doc: unknown, operation: Operation): unknown {
  const { path, from } = operation;
  switch (operation.op) {
    case 'add':
      return add(doc, path, cloneJson(operation.value));
    case 'remove':
      return remove(doc, path);
    case 'replace':
      return replace(doc, path, cloneJson(operation.value));
    case 'move': {
      // RFC 6902 §4.4: a location cannot be moved into one of its own children.
      if (isProperPrefix(from, path)) {
        throw new PatchError('invalid', `cannot move ${pointerOf(from)} into its own child ${pointerOf(path)}`, fieldOf(path));
      }
      const value = resolve(doc, from);
      if (from.length === path.length && from.every((t, i) => t === path[i])) return doc;
      return add(remove(doc, from), path, value);
    }
    case 'copy':
      return add(doc, path, cloneJson(resolve(doc, from)));
    case 'test': {
      const actual = resolve(doc, path);
      if (!jsonEqual(actual, operation.value)) {
        throw new PatchError('invalid', `test failed: value at ${pointerOf(path) || '/'} differs`, fieldOf(path));
      }
      return doc;
    }
  }
}
