/**
 * Label selectors: the `labelSelector` query syntax of list/watch and the structured
 * `metav1.LabelSelector` of object specs, with apimachinery's grammar, validation and matching.
 *
 * @module
 */
import { SelectorError } from './selector-error.js';
import { labelKeyErrors, labelValueErrors } from './label-names.js';

/**
 * A requirement operator, spelled as apimachinery's `selection.Operator`: `!` is "does not
 * exist", `gt`/`lt` compare integers.
 */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a label selector; all of a selector's requirements must hold. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** One value for `=`, `==`, `!=`, `gt`, `lt`; at least one for `in`/`notin`; none otherwise. */
  readonly values: readonly string[];
}

/** A parsed label selector. */
export interface LabelSelector {
  /** True when the selector has no requirements and so matches every object. */
  readonly empty: boolean;
  /** The requirements, sorted by key. */
  readonly requirements: readonly LabelRequirement[];
  /** Whether an object carrying `labels` (absent: none) satisfies every requirement. */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** The canonical text form (sorted requirements, sorted values), parseable again. */
  toString(): string;
}

/** `metav1.LabelSelectorRequirement`: operator `In`, `NotIn`, `Exists` or `DoesNotExist`. */
export interface LabelSelectorRequirementObject {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | null | undefined;
}

/** `metav1.LabelSelector` as found in object specs. */
export interface LabelSelectorObject {
  readonly matchLabels?: Readonly<Record<string, string>> | null | undefined;
  readonly matchExpressions?: readonly LabelSelectorRequirementObject[] | null | undefined;
}

/**
 * Parses the `labelSelector` query syntax: comma-separated requirements `k=v`, `k==v`, `k!=v`,
 * `k in (a,b)`, `k notin (a)`, `k` (exists), `!k` (does not exist), `k>1`, `k<1`; whitespace is
 * ignored between tokens. Keys and values are validated as the apiserver does. The empty string
 * selects everything.
 *
 * @throws {SelectorError} when the text is malformed or a key/value is invalid.
 * @example
 * parseLabelSelector('tier in (web, api), !node-role.kubernetes.io/control-plane').matches({ tier: 'web' }); // true
 */
export function parseLabelSelector(text: string): LabelSelector {
  return new RequirementSelector(new Parser(text).parse());
}

/**
 * Builds a selector from a `metav1.LabelSelector`. As apimachinery's `LabelSelectorAsSelector`:
 * `null`/`undefined` selects nothing, an empty selector selects everything, `matchLabels` entries
 * are equality requirements and `matchExpressions` use `In`, `NotIn`, `Exists`, `DoesNotExist`.
 *
 * @throws {SelectorError} for an unknown operator, a wrong number of values, or an invalid key/value.
 */
export function labelSelectorFromMatch(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return NOTHING;
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    requirements.push(newRequirement(key, '=', [value], `matchLabels[${key}]`));
  }
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const where = `matchExpressions[${i}]`;
    const operator = MATCH_OPERATORS.get(expr.operator);
    if (operator === undefined) throw new SelectorError(`${where}.operator: "${expr.operator}" is not a valid label selector operator`);
    requirements.push(newRequirement(expr.key, operator, [...(expr.values ?? [])], where));
  });
  return new RequirementSelector(requirements);
}

const MATCH_OPERATORS: ReadonlyMap<string, LabelOperator> = new Map<string, LabelOperator>([
  ['In', 'in'],
  ['NotIn', 'notin'],
  ['Exists', 'exists'],
  ['DoesNotExist', '!'],
]);

/** Validates a requirement as apimachinery's `NewRequirement`. */
function newRequirement(key: string, operator: LabelOperator, values: string[], where: string): LabelRequirement {
  const problems: string[] = [];
  const keyErrors = labelKeyErrors(key);
  if (keyErrors.length > 0) problems.push(`key "${key}": ${keyErrors.join('; ')}`);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) problems.push("values: for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) problems.push('values: exact-match compatibility requires one single value');
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) problems.push('values: values set must be empty for exists and does not exist');
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) problems.push("values: for 'gt', 'lt' operators, exactly one value is required");
      for (const value of values) {
        if (parseInt64(value) === undefined) problems.push(`values: for 'gt', 'lt' operators, the value must be an integer, got "${value}"`);
      }
      break;
  }
  for (const value of values) {
    const valueErrors = labelValueErrors(value);
    if (valueErrors.length > 0) problems.push(`value "${value}" for key "${key}": ${valueErrors.join('; ')}`);
  }
  if (problems.length > 0) throw new SelectorError(`invalid label selector${where === '' ? '' : ` (${where})`}: ${problems.join(', ')}`);
  return { key, operator, values };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, within int64. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return value !== undefined && r.values.includes(value);
    case '!=':
    case 'notin':
      // As upstream: an object without the label satisfies an exclusion.
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      const actual = value === undefined ? undefined : parseInt64(value);
      const bound = r.values.length === 1 ? parseInt64(r.values[0] as string) : undefined;
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

const OPERATOR_TEXT: Readonly<Record<LabelOperator, string>> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  in: ' in ',
  notin: ' notin ',
  exists: '',
  '!': '',
  gt: '>',
  lt: '<',
};

function requirementText(r: LabelRequirement): string {
  if (r.operator === '!') return `!${r.key}`;
  if (r.operator === 'exists') return r.key;
  const values = [...r.values].sort().join(',');
  const body = r.operator === 'in' || r.operator === 'notin' ? `(${values})` : values;
  return `${r.key}${OPERATOR_TEXT[r.operator]}${body}`;
}

/** A selector that is the conjunction of its requirements. */
class RequirementSelector implements LabelSelector {
  readonly requirements: readonly LabelRequirement[];

  constructor(requirements: readonly LabelRequirement[]) {
    // Sorted by key, as upstream, so equal selectors print alike.
    this.requirements = Object.freeze(
      [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((r) => Object.freeze({ ...r, values: Object.freeze([...r.values]) })),
    );
  }

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }

  toString(): string {
    return this.requirements.map(requirementText).join(',');
  }
}

/** Selects nothing: what a nil `metav1.LabelSelector` means. */
const NOTHING: LabelSelector = Object.freeze({
  empty: false,
  requirements: Object.freeze([]),
  matches: () => false,
  toString: () => '',
});

// ---- lexer and parser (apimachinery `labels.Parse` grammar) ----

type TokenType = 'end' | 'id' | 'error' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';

interface Token {
  readonly type: TokenType;
  readonly text: string;
}

const SYMBOL_TOKENS: ReadonlyMap<string, TokenType> = new Map<string, TokenType>([
  ['(', '('],
  [')', ')'],
  [',', ','],
  ['!', '!'],
  ['=', '='],
  ['==', '=='],
  ['!=', '!='],
  ['>', '>'],
  ['<', '<'],
]);

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSymbol(ch: string): boolean {
  return ch === '=' || ch === '!' || ch === '(' || ch === ')' || ch === ',' || ch === '>' || ch === '<';
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && isWhitespace(text[pos] as string)) pos++;
    if (pos >= text.length) {
      tokens.push({ type: 'end', text: '' });
      return tokens;
    }
    if (isSymbol(text[pos] as string)) {
      // Longest run of symbol characters that still forms an operator (`!=` over `!`).
      let buffer = '';
      let last: Token | undefined;
      while (pos < text.length && isSymbol(text[pos] as string)) {
        const next = buffer + (text[pos] as string);
        const type = SYMBOL_TOKENS.get(next);
        if (type !== undefined) last = { type, text: next };
        else if (last !== undefined) break;
        buffer = next;
        pos++;
      }
      tokens.push(last ?? { type: 'error', text: buffer });
      if (last === undefined) return tokens;
    } else {
      let end = pos;
      while (end < text.length && !isSymbol(text[end] as string) && !isWhitespace(text[end] as string)) end++;
      const word = text.slice(pos, end);
      pos = end;
      tokens.push({ type: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'id', text: word });
    }
  }
}

/** Tokens that can follow a key, and the operator each stands for. */
const BINARY_OPERATORS: ReadonlyMap<TokenType, LabelOperator> = new Map<TokenType, LabelOperator>([
  ['in', 'in'],
  ['notin', 'notin'],
  ['=', '='],
  ['==', '=='],
  ['!=', '!='],
  ['>', 'gt'],
  ['<', 'lt'],
]);

/** Where a token is read: in value position the keywords `in`/`notin` are plain identifiers. */
type Context = 'operator' | 'values';

class Parser {
  readonly #tokens: Token[];
  #pos = 0;

  constructor(text: string) {
    this.#tokens = tokenize(text);
  }

  #peek(context: Context = 'values'): Token {
    return this.#asContext(this.#tokens[Math.min(this.#pos, this.#tokens.length - 1)] as Token, context);
  }

  #next(context: Context = 'values'): Token {
    const token = this.#peek(context);
    if (this.#pos < this.#tokens.length - 1) this.#pos++;
    return token;
  }

  #asContext(token: Token, context: Context): Token {
    return context === 'values' && (token.type === 'in' || token.type === 'notin') ? { type: 'id', text: token.text } : token;
  }

  #fail(message: string): never {
    throw new SelectorError(`unable to parse label selector: ${message}`);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const token = this.#peek();
      if (token.type === 'end') return requirements;
      if (token.type !== 'id' && token.type !== '!') this.#fail(`found '${token.text}', expected: !, identifier, or 'end of string'`);
      requirements.push(this.#requirement());
      const after = this.#next();
      if (after.type === 'end') return requirements;
      if (after.type !== ',') this.#fail(`found '${after.text}', expected: ',' or 'end of string'`);
      const following = this.#peek();
      if (following.type !== 'id' && following.type !== '!') this.#fail(`found '${following.text}', expected: identifier after ','`);
    }
  }

  #requirement(): LabelRequirement {
    let negated = false;
    let token = this.#next();
    if (token.type === '!') {
      negated = true;
      token = this.#next();
    }
    if (token.type !== 'id') this.#fail(`found '${token.text}', expected: identifier`);
    const key = token.text;
    const keyErrors = labelKeyErrors(key);
    if (keyErrors.length > 0) throw new SelectorError(`invalid label key "${key}": ${keyErrors.join('; ')}`);
    const lookahead = this.#peek();
    if (negated) return newRequirement(key, '!', [], '');
    if (lookahead.type === 'end' || lookahead.type === ',') return newRequirement(key, 'exists', [], '');

    const op = this.#next('operator');
    const operator = BINARY_OPERATORS.get(op.type);
    if (operator === undefined) this.#fail(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
    const values = operator === 'in' || operator === 'notin' ? this.#valueSet() : [this.#exactValue()];
    return newRequirement(key, operator, values, '');
  }

  /** `( v, v, … )`; empty members are the empty value, as upstream (`(,)` selects `""`). */
  #valueSet(): string[] {
    const open = this.#next();
    if (open.type !== '(') this.#fail(`found '${open.text}', expected: '('`);
    const first = this.#peek();
    if (first.type === ')') {
      this.#next();
      return [''];
    }
    if (first.type !== 'id' && first.type !== ',') this.#fail(`found '${first.text}', expected: ',', ')' or identifier`);
    const values = new Set<string>();
    for (;;) {
      const token = this.#next();
      if (token.type === 'id') {
        values.add(token.text);
        const after = this.#peek();
        if (after.type === ')') break;
        if (after.type !== ',') this.#fail(`found '${after.text}', expected: ',' or ')'`);
      } else if (token.type === ',') {
        // A comma with nothing before or after it stands for the empty value.
        if (values.size === 0) values.add('');
        const after = this.#peek();
        if (after.type === ')') {
          values.add('');
          break;
        }
        if (after.type === ',') values.add('');
      } else {
        this.#fail(`found '${token.text}', expected: ',', or identifier`);
      }
    }
    this.#next(); // the ')'
    return [...values].sort();
  }

  /** The value after `=`, `==`, `!=`, `>`, `<`; nothing before `,`/end is the empty value. */
  #exactValue(): string {
    const token = this.#peek();
    if (token.type === 'end' || token.type === ',') return '';
    this.#next();
    if (token.type !== 'id') this.#fail(`found '${token.text}', expected: identifier`);
    return token.text;
  }
}
