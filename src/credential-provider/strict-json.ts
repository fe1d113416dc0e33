/**
 * A strict JSON reader for the credential provider protocol. The kubelet decodes responses with
 * apimachinery's strict mode, where a duplicated field is an error; `JSON.parse` silently keeps the
 * last one, so a plugin tested with `JSON.parse` alone could pass here and fail on a node. This
 * reader refuses duplicates, bounds nesting and reports the offset of the first problem.
 *
 * @module
 */

/** A JSON value as read; objects have no prototype, so `__proto__` is an ordinary key. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Why a text is not acceptable JSON: the message says what and at which character. */
export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
  /** Character offset of the problem. */
  readonly offset: number;

  constructor(detail: string, offset: number) {
    super(`${detail} at character ${offset}`);
    this.offset = offset;
  }
}

/** Nesting deeper than this is refused; the protocol's documents are three levels deep. */
const MAX_DEPTH = 64;

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Parses `text` as one JSON value, refusing duplicate object keys and trailing data.
 * @throws StrictJsonError
 */
export function parseStrictJson(text: string): JsonValue {
  let i = 0;

  const fail = (detail: string): never => {
    throw new StrictJsonError(detail, i);
  };
  const skipSpace = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };

  const readString = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') fail('control character in string');
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      const e = text[i + 1] ?? '';
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else {
        const v = ESCAPES[e];
        if (v === undefined) fail('invalid escape');
        out += v;
        i += 2;
      }
    }
  };

  const readValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj = Object.create(null) as { [key: string]: JsonValue };
      skipSpace();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail('expected a field name');
        const keyAt = i;
        const key = readString();
        if (Object.hasOwn(obj, key)) throw new StrictJsonError(`duplicate field ${JSON.stringify(key)}`, keyAt);
        skipSpace();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        obj[key] = readValue(depth + 1);
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      skipSpace();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(readValue(depth + 1));
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return readString();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (literal === null) return fail(i >= text.length ? 'unexpected end of input' : 'invalid character');
    i += literal[0].length;
    if (literal[0] === 'true') return true;
    if (literal[0] === 'false') return false;
    if (literal[0] === 'null') return null;
    return Number(literal[0]);
  };

  const value = readValue(0);
  skipSpace();
  if (i < text.length) fail('unexpected data after the JSON value');
  return value;
}

/** Whether `v` is a JSON object (not an array, not null). */
export function isJsonObject(v: JsonValue | undefined): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
