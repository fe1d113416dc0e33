/**
 * The one way Outrigger reads a YAML (or JSON) configuration file: bounded read, YAML parsed
 * with positions kept and resource limits (size, alias expansion, nesting — an alias bomb or
 * `[[[[…` is a one-line error, not an exhausted heap or a stack overflow), then validated with a
 * zod schema, every problem reported as `file:line:column: field.path: what is wrong`.
 *
 * Callers with their own error class (LeaderMigrationConfigError, LocalConfigError, …) pass an
 * `error` factory; their semantic checks after the schema use {@link YamlConfig.fail} so those
 * errors carry the same file, line and field.
 *
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { formatFieldPath } from './field-path.js';
import type { FieldPath } from './field-path.js';
import { oneLine } from './one-line.js';
import { DEFAULT_INPUT_FILE_LIMIT_BYTES, formatByteSize, readInputText } from './read-input-file.js';

// Kept importable from here, where the config parsers' users have always found them.
export { formatFieldPath };
export type { FieldPath };

/** A 1-based place in the text. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
}

/** One problem found in a configuration document. */
export interface ConfigProblem {
  /** The file, when known. */
  readonly file: string | undefined;
  /** Where in the text, when the problem has a place. */
  readonly position: TextPosition | undefined;
  /** Path of the offending field; empty for the document itself. */
  readonly path: FieldPath;
  /** What is wrong, without the place. */
  readonly detail: string;
}

/** The default error of a bad configuration: `<file>:<line>:<col>: <field>: <detail>`. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** Formatted path of the offending field, `''` for the document. */
  readonly field: string;
  readonly detail: string;

  constructor(problem: ConfigProblem) {
    const where = `${problem.file ?? '<config>'}${problem.position === undefined ? '' : `:${problem.position.line}:${problem.position.column}`}`;
    const field = formatFieldPath(problem.path);
    super(oneLine(`${where}: ${field === '' ? '' : `${field}: `}${problem.detail}`));
    this.file = problem.file;
    this.line = problem.position?.line;
    this.column = problem.position?.column;
    this.field = field;
    this.detail = problem.detail;
  }
}

/** Default cap on alias expansion (the `yaml` package's own default): a config needs few aliases. */
export const DEFAULT_MAX_ALIAS_COUNT = 100;

/** Options of {@link parseYamlConfig}. */
export interface YamlConfigOptions {
  /** The file name used in messages. */
  readonly file?: string | undefined;
  /** Largest text accepted, in bytes of UTF-8 (default 4 MiB, as {@link readInputText}). */
  readonly maxBytes?: number;
  /** Alias expansion limit (`yaml`'s `maxAliasCount`; default {@link DEFAULT_MAX_ALIAS_COUNT}). */
  readonly maxAliasCount?: number;
  /** Builds the caller's error for a problem (default {@link ConfigFileError}). */
  readonly error?: (problem: ConfigProblem) => Error;
}

/** Where a problem about a field points: its value, or its key (unknown and missing fields). */
export type FieldPlace = 'value' | 'key';

/** zod's type names as an author reading YAML knows them. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** A value for messages: scalars as JSON, collections by kind. */
export function describeConfigValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The plain value at `path`, or undefined when any step is missing. */
export function valueAtPath(root: unknown, path: FieldPath): unknown {
  let current = root;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

type ZodIssue = z.core.$ZodIssue;

/** A zod issue as an author-facing problem: the path it concerns, where to point, what to say. */
export interface DescribedIssue {
  readonly path: FieldPath;
  readonly place: FieldPlace;
  readonly detail: string;
}

/** The default wording of a zod issue (the first of an `invalid_union` branch's when it has one). */
export function describeZodIssue(issue: ZodIssue, root: unknown): DescribedIssue {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const value = valueAtPath(root, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0] ?? '';
      return { path: [...path, key], place: 'key', detail: 'unknown field' };
    }
    case 'invalid_type':
      if (value === undefined) return { path, place: 'key', detail: 'required field is missing' };
      return { path, place: 'value', detail: `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeConfigValue(value)}` };
    case 'invalid_value':
      return { path, place: 'value', detail: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeConfigValue(value)}` };
    case 'too_small':
    case 'too_big': {
      // zod's default wording ("Too small: expected number to be >=1") reads as a type error.
      if (!/^Too (small|big)/.test(issue.message)) return { path, place: 'value', detail: issue.message };
      const bound = issue.code === 'too_small' ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
      if (typeof value === 'number') return { path, place: 'value', detail: `must be ${bound}, got ${value}` };
      const unit = Array.isArray(value) ? ' items' : typeof value === 'string' ? ' characters' : '';
      return { path, place: 'value', detail: `must have ${bound}${unit}` };
    }
    case 'invalid_union': {
      const first = issue.errors[0]?.[0];
      if (first !== undefined && issue.errors.every((b) => b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0)) {
        if (value === undefined) return { path, place: 'key', detail: 'required field is missing' };
        const expected = issue.errors.map((b) => (b[0]?.code === 'invalid_type' ? TYPE_NAMES[b[0].expected] ?? b[0].expected : ''));
        return { path, place: 'value', detail: `expected ${expected.join(' or ')}, got ${describeConfigValue(value)}` };
      }
      return { path, place: 'value', detail: issue.message };
    }
    case 'custom':
    case 'invalid_element':
    case 'invalid_format':
    case 'invalid_key':
    case 'not_multiple_of':
      return { path, place: 'value', detail: issue.message };
  }
}

/** Options of {@link YamlConfig.validate}. */
export interface ValidateOptions {
  /** Rewords an issue; `undefined` keeps the default wording ({@link describeZodIssue}). */
  readonly describe?: (issue: ZodIssue, described: DescribedIssue) => DescribedIssue | undefined;
}

/** A parsed document: its plain value, the positions of its fields, and failing at a field. */
export class YamlConfig {
  /** The document as plain data (`null` for an empty document). */
  readonly value: unknown;
  readonly file: string | undefined;
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #error: (problem: ConfigProblem) => Error;

  /** @internal use {@link parseYamlConfig}. */
  constructor(doc: Document, lines: LineCounter, value: unknown, file: string | undefined, error: (problem: ConfigProblem) => Error) {
    this.#doc = doc;
    this.#lines = lines;
    this.value = value;
    this.file = file;
    this.#error = error;
  }

  /** Whether the document holds nothing (an empty file or only comments). */
  get isEmpty(): boolean {
    return this.#doc.contents === null;
  }

  /** Whether the document is a mapping. */
  get isMapping(): boolean {
    return isMap(this.#doc.contents);
  }

  /**
   * Where `path` is: a scalar's or flow collection's value, a block collection's key (its value
   * starts on a later line), the key of an unknown or missing field (`place: 'key'`), or the
   * deepest existing ancestor when the path runs past the document.
   */
  position(path: FieldPath, place: FieldPlace = 'value'): TextPosition | undefined {
    const offset = offsetOf(this.#doc, path, place);
    if (offset === undefined) return undefined;
    const pos = this.#lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** The problem at `path`, as the caller's error. */
  problem(path: FieldPath, detail: string, place: FieldPlace = 'value'): Error {
    return this.#error({ file: this.file, position: this.position(path, place), path, detail });
  }

  /** Throws the problem at `path`. */
  fail(path: FieldPath, detail: string, place: FieldPlace = 'value'): never {
    throw this.problem(path, detail, place);
  }

  /**
   * Validates the document with `schema`; the first issue (in zod's order, which follows the
   * schema) is thrown at its field.
   */
  validate<S extends z.ZodType>(schema: S, options: ValidateOptions = {}): z.output<S> {
    const parsed = schema.safeParse(this.value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    if (issue === undefined) return this.fail([], 'invalid');
    const described = describeZodIssue(issue, this.value);
    const chosen = options.describe?.(issue, described) ?? described;
    return this.fail(chosen.path, chosen.detail, chosen.place);
  }
}

/**
 * Parses YAML (JSON is YAML too) with limits: at most `maxBytes` of text, duplicate keys refused,
 * alias expansion capped, nesting deep enough to overflow the parser reported as an error.
 *
 * @example
 * ```ts
 * const doc = parseYamlConfig(text, { file: path });
 * const cfg = doc.validate(schema);
 * if (cfg.pools.length === 0) doc.fail(['pools'], 'at least one pool is needed');
 * ```
 * @throws the caller's error (default {@link ConfigFileError}) at the first syntax error or limit.
 */
export function parseYamlConfig(text: string, options: YamlConfigOptions = {}): YamlConfig {
  const error = options.error ?? ((p: ConfigProblem) => new ConfigFileError(p));
  const file = options.file;
  const maxBytes = options.maxBytes ?? DEFAULT_INPUT_FILE_LIMIT_BYTES;
  // Cheap check first: a string of N characters is at least N bytes of UTF-8.
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw error({ file, position: undefined, path: [], detail: `larger than the ${formatByteSize(maxBytes)} limit for a configuration document` });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): TextPosition | undefined => {
    if (offset === undefined) return undefined;
    const pos = lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const first = doc.errors[0];
  if (first !== undefined) {
    // The parser reports a stack overflow from very deep nesting as an error of its own.
    const detail = /call stack/i.test(first.message) ? 'nested too deeply' : `YAML syntax error: ${first.message.split('\n')[0] ?? ''}`;
    throw error({ file, position: at(first.pos[0]), path: [], detail });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT });
  } catch (err) {
    // `yaml` throws a ReferenceError for an alias bomb, a RangeError for a stack overflow.
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw error({
        file,
        position: undefined,
        path: [],
        detail: `YAML aliases expand to too many nodes (more than ${options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT} alias expansions allowed): write the values out instead`,
      });
    }
    if (err instanceof RangeError) throw error({ file, position: undefined, path: [], detail: 'nested too deeply' });
    throw err;
  }
  return new YamlConfig(doc, lines, value, file, error);
}

/** Options of {@link readYamlConfigFile}. */
export interface ReadYamlConfigFileOptions extends Omit<YamlConfigOptions, 'file'> {
  /** The flag or field that named the file, for read errors (`--leader-migration-config`). */
  readonly source: string;
}

/**
 * Reads `path` with {@link readInputText} (regular file, bounded) and parses it with
 * {@link parseYamlConfig}, the path serving as the file name in messages.
 * @throws InputFileError when the file cannot be read; the caller's error for its content.
 */
export async function readYamlConfigFile(path: string, options: ReadYamlConfigFileOptions): Promise<YamlConfig> {
  const text = await readInputText(path, { source: options.source, ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }) });
  return parseYamlConfig(text, { ...options, file: path });
}

/**
 * The source offset for a path (see {@link YamlConfig.position}).
 */
function offsetOf(doc: Document, path: FieldPath, place: FieldPlace): number | undefined {
  let node: unknown = doc.contents;
  // An empty document: point at its start.
  let offset: number | undefined = doc.contents?.range?.[0] ?? 0;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(part));
      if (pair === undefined) return offset;
      const keyOffset = (pair.key as YamlNode | null)?.range?.[0];
      const valueNode = pair.value as YamlNode | null;
      const isBlock = (isMap(valueNode) || isSeq(valueNode)) && valueNode.flow !== true;
      offset = place === 'key' || valueNode === null || isBlock ? keyOffset ?? offset : valueNode.range?.[0] ?? keyOffset;
      node = valueNode;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as YamlNode | undefined;
      if (item === undefined) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}
