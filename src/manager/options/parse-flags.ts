/**
 * pflag-compatible parsing of the upstream CCM command line, on yargs configured to behave like
 * pflag: `--flag=value` and `--flag value`, `-v=4`, no `--no-x` negation, no camelCase copies,
 * strict (unknown flag ⇒ error), last value wins for scalars and repeated list flags append (as
 * pflag's StringSlice), values typed and checked by our own coercion so every error is a
 * {@link FlagError} naming the flag.
 *
 * @module
 */
import { isIP } from 'node:net';
import yargs from 'yargs';
import { DurationParseError, formatGoDuration, parseGoDuration } from './duration.js';
import { FlagError } from './flag-error.js';
import type { FlagSpec, FlagValue } from './flag-table.js';
import { FLAGS, FLAGS_BY_NAME } from './flag-table.js';

/** The result of parsing a command line. */
export interface ParsedFlags {
  /** Every flag's value: the parsed one if given, else the default. */
  readonly values: ReadonlyMap<string, FlagValue>;
  /** Names of the flags given on the command line. */
  readonly explicit: ReadonlySet<string>;
  /** pflag-style deprecation warnings and notes about flags accepted without effect. */
  readonly warnings: readonly string[];
}

// strconv.ParseBool's accepted spellings, which pflag uses.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function invalid(spec: FlagSpec, raw: string, why: string): FlagError {
  return new FlagError(`--${spec.name}`, raw, `invalid argument ${JSON.stringify(raw)} for "--${spec.name}" flag: ${why}`);
}

/** Turns the text of one occurrence into a typed value (lists are handled by the caller). */
export function coerceFlagValue(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.type) {
    case 'bool':
      // A bare `--flag` means true, as pflag's NoOptDefVal for booleans.
      if (raw === '' || TRUE.has(raw)) return true;
      if (FALSE.has(raw)) return false;
      throw invalid(spec, raw, 'strconv.ParseBool: parsing: invalid syntax (expected true or false)');
    case 'int':
      if (!/^[+-]?\d+$/.test(raw)) throw invalid(spec, raw, 'expected an integer');
      if (!Number.isSafeInteger(Number(raw))) throw invalid(spec, raw, 'value out of range');
      if (spec.max !== undefined && Number(raw) > spec.max) throw invalid(spec, raw, `value out of range: at most ${spec.max}`);
      return Number(raw);
    case 'float': {
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(n)) throw invalid(spec, raw, 'expected a number');
      return n;
    }
    case 'duration':
      try {
        return parseGoDuration(raw);
      } catch (err) {
        if (err instanceof DurationParseError) throw invalid(spec, raw, `${err.message.replace(/^invalid duration "[^"]*": /, '')}`);
        throw err;
      }
    case 'string':
      return raw;
    case 'ip':
      // As pflag's IPVar (net.ParseIP): an address, never a host name to look up. Zones (`%eth0`)
      // are not IPs to Go either.
      if (isIP(raw) === 0 || raw.includes('%')) throw invalid(spec, raw, `failed to parse IP: ${JSON.stringify(raw)}`);
      return raw;
    case 'stringList':
      return raw === '' ? [] : raw.split(',');
  }
}

/** Formats a value as it would be typed on the command line (the inverse of parsing). */
export function formatFlagValue(spec: FlagSpec, value: FlagValue): string {
  if (spec.type === 'duration' && typeof value === 'number') return formatGoDuration(value);
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** The yargs "Unknown argument(s): a, b" message → a FlagError naming the first one. */
function unknownArgumentError(message: string, argv: readonly string[]): FlagError {
  const match = /^Unknown arguments?: (.*)$/.exec(message);
  const first = match?.[1]?.split(', ')[0] ?? '';
  const asFlag = argv.find((a) => a === `--${first}` || a.startsWith(`--${first}=`) || a === `-${first}` || a.startsWith(`-${first}=`));
  if (asFlag === undefined && argv.includes(first)) {
    return new FlagError('', first, `unexpected argument ${JSON.stringify(first)}: cloud-controller-manager takes flags only`);
  }
  const typed = asFlag?.startsWith('--') === true || first.length > 1 ? `--${first}` : `-${first}`;
  return new FlagError(typed, undefined, `unknown flag: ${typed}`);
}

function asStrings(value: unknown): string[] {
  if (value === undefined) return [];
  // Every option is declared as a string, so yargs hands back strings (or arrays of them).
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return [typeof value === 'string' ? value : JSON.stringify(value)];
}

/**
 * Parses `argv` (without the program name) against the flag table.
 * @throws FlagError for unknown flags, stray arguments, and values of the wrong type.
 */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  let parser = yargs([...argv])
    .parserConfiguration({
      'boolean-negation': false,
      'camel-case-expansion': false,
      // Deviation from a plain "last wins": we collect repeats and decide per flag type below, so
      // list flags append as pflag's StringSlice does while scalars keep the last value.
      'duplicate-arguments-array': true,
      'short-option-groups': false,
      'strip-aliased': true,
      'dot-notation': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'greedy-arrays': false,
      'halt-at-non-option': false,
    })
    .help(false)
    .version(false)
    .strict()
    .exitProcess(false)
    .fail((message: string | undefined, err: Error | undefined) => {
      if (err !== undefined) throw err;
      throw unknownArgumentError(message ?? 'Unknown argument: ', argv);
    });
  for (const spec of FLAGS) {
    // Every flag is read as text and typed by coerceFlagValue, so a bad boolean is an error (yargs
    // would silently read `--leader-elect=bogus` as false).
    parser = parser.option(spec.name, { type: 'string', ...(spec.name === 'help' ? { alias: 'h' } : {}) });
  }
  const raw = parser.parseSync() as Record<string, unknown>;
  const values = new Map<string, FlagValue>();
  const explicit = new Set<string>();
  const warnings: string[] = [];
  for (const spec of FLAGS) {
    values.set(spec.name, spec.default);
    if (!(spec.name in raw)) continue;
    const occurrences = asStrings(raw[spec.name]);
    if (occurrences.length === 0) continue;
    explicit.add(spec.name);
    if (spec.type === 'stringList') {
      values.set(spec.name, occurrences.flatMap((o) => coerceFlagValue(spec, o) as string[]));
    } else {
      values.set(spec.name, coerceFlagValue(spec, occurrences[occurrences.length - 1] ?? ''));
    }
    // pflag's wording for deprecated flags, so log scrapers keep working.
    if (spec.deprecated !== undefined) warnings.push(`Flag --${spec.name} has been deprecated, ${spec.deprecated}`);
    else if (spec.inert !== undefined) warnings.push(`Flag --${spec.name} is accepted for compatibility but has no effect: ${spec.inert}`);
  }
  return { values, explicit, warnings };
}

/** The value of a known flag, typed by the caller's expectation. */
export function flagValue(parsed: ParsedFlags, name: string): FlagValue {
  const value = parsed.values.get(name);
  if (value === undefined || !FLAGS_BY_NAME.has(name)) throw new Error(`no flag named --${name}`);
  return value;
}

/** `--help` text with upstream's section headings. */
export function formatHelp(command: string): string {
  const groups = new Map<string, FlagSpec[]>();
  for (const spec of FLAGS) {
    const list = groups.get(spec.group) ?? [];
    list.push(spec);
    groups.set(spec.group, list);
  }
  const lines = [
    `${command} is Outrigger's cloud-controller-manager: a long-running daemon that runs the Kubernetes control loops that depend on a cloud provider.`,
    '',
    'Usage:',
    `  ${command} [flags]`,
  ];
  const typeLabel: Record<FlagSpec['type'], string> = { bool: '', int: ' int', float: ' float32', string: ' string', ip: ' ip', duration: ' duration', stringList: ' strings' };
  const flagColumn = (spec: FlagSpec): string =>
    `  ${spec.name === 'v' ? '-v, --v' : spec.name === 'help' ? '-h, --help' : `    --${spec.name}`}${typeLabel[spec.type]}`;
  // As pflag: one usage column for every flag, two spaces past the longest flag.
  const width = Math.max(...FLAGS.map((f) => flagColumn(f).length)) + 2;
  for (const [group, specs] of groups) {
    lines.push('', `${group.replace(/^./, (c) => c.toUpperCase())} flags:`, '');
    for (const spec of specs) {
      const def = formatFlagValue(spec, spec.default);
      const showDefault = def !== '' && def !== 'false' && !(spec.type === 'int' && def === '0') && !(spec.type === 'duration' && def === '0s');
      let usage = spec.usage;
      if (showDefault) usage += ` (default ${spec.type === 'string' ? JSON.stringify(def) : spec.type === 'stringList' ? `[${def}]` : def})`;
      if (spec.deprecated !== undefined) usage += ` (DEPRECATED: ${spec.deprecated})`;
      if (spec.inert !== undefined) usage += ` [no effect in Outrigger: ${spec.inert}]`;
      lines.push(flagColumn(spec).padEnd(width) + usage);
    }
  }
  return `${lines.join('\n')}\n`;
}
