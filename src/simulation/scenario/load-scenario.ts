/**
 * Reads a scenario file: YAML (JSON is YAML too) parsed with positions kept and the limits of every
 * YAML input (size, aliases, nesting), validated against {@link scenarioSchema}, every problem
 * reported at its line and column with the field's path. The positions stay with the result
 * (`source`), so a problem found while the scenario runs is reported at its line too.
 *
 * @module
 */
import type { z } from 'zod';
import { parseYamlConfig } from '../../input/yaml-config.js';
import { formatPath } from './field-path.js';
import { ScenarioError } from './scenario-error.js';
import type { ScenarioIssue } from './scenario-error.js';
import { SCENARIO_KINDS, scenarioSchema, STEP_KINDS } from './scenario-schema.js';
import type { ScenarioFile, ScenarioSource } from './scenario-types.js';

type Path = (string | number)[];
type ZodIssue = z.core.$ZodIssue;

/**
 * Parses and validates a scenario.
 *
 * @example
 * ```ts
 * const scenario = loadScenario(await readFile(path, 'utf8'), path);
 * for (const step of scenario.steps) if ('advance' in step) await clock.advance(step.advance);
 * ```
 * @param file the name used in messages (`examples/scenarios/x.yaml`).
 * @throws ScenarioError listing every problem as `file:line:col path: message`.
 */
export function loadScenario(text: string, file: string): ScenarioFile {
  // Bounded as every YAML input is (size, alias expansion, nesting): an alias bomb is one line.
  const doc = parseYamlConfig(text, {
    file,
    maxAliasCount: MAX_ALIAS_COUNT,
    error: (p) => new ScenarioError([{ file, ...(p.position === undefined ? {} : { line: p.position.line, column: p.position.column }), path: formatPath(p.path), message: p.detail }]),
  });
  const at = (path: Path, place: 'value' | 'key' = 'value'): Pick<ScenarioIssue, 'line' | 'column'> => {
    const pos = doc.position(path, place);
    return pos === undefined ? {} : { line: pos.line, column: pos.column };
  };
  if (!doc.isMapping) {
    const message = doc.isEmpty ? 'empty scenario: expected a mapping with name, provider and steps' : 'expected a mapping (a scenario with name, provider and steps)';
    throw new ScenarioError([{ file, ...(doc.isEmpty ? {} : at([])), path: '', message }]);
  }
  const raw = doc.value;
  const issue = (path: Path, message: string, place: 'value' | 'key' = 'value'): ScenarioIssue => ({ file, ...at(path, place), path: formatPath(path), message });

  const issues: ScenarioIssue[] = [];
  const badSteps = new Set<number>();
  const steps = valueAt(raw, ['steps']);
  if (Array.isArray(steps)) {
    steps.forEach((step: unknown, i) => {
      if (typeof step !== 'object' || step === null || Array.isArray(step)) return;
      const keys = Object.keys(step);
      const expected = `expected one of ${STEP_KINDS.join(', ')}`;
      const unknown = keys.filter((k) => !(STEP_KINDS as string[]).includes(k));
      if (keys.length === 0) issues.push(issue(['steps', i], `empty step (${expected})`));
      else if (unknown.length > 0) for (const key of unknown) issues.push(issue(['steps', i, key], `unknown step ${JSON.stringify(key)} (${expected})`, 'key'));
      else if (keys.length > 1) issues.push(issue(['steps', i], `a step has exactly one key, this one has ${keys.join(', ')}: split it into ${keys.length} steps`));
      else return;
      badSteps.add(i);
    });
  }

  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    for (const zodIssue of parsed.error.issues) {
      for (const found of flatten(zodIssue, [], raw)) {
        const head = found.path[0];
        const index = found.path[1];
        if (head === 'steps' && typeof index === 'number' && badSteps.has(index)) continue;
        issues.push(issue(found.path, found.message, found.place));
      }
    }
  }
  if (issues.length > 0 || !parsed.success) {
    issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new ScenarioError(dedupe(issues));
  }
  const { $schema: _ignored, ...scenario } = parsed.data;
  const source: ScenarioSource = { file, position: (path) => doc.position(path) };
  // The schema guarantees the shape; zod types optional keys as `T | undefined`, which
  // exactOptionalPropertyTypes distinguishes from absent, but zod never emits absent keys.
  return { ...(scenario as ScenarioFile), source };
}

/**
 * Alias expansions a scenario may use: more than a config file (a scenario may share a manifest
 * or an expectation many times), few enough that an alias bomb stays small.
 */
const MAX_ALIAS_COUNT = 1000;

/** zod's type names as an author reading YAML knows them. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

interface FoundIssue {
  path: Path;
  message: string;
  place: 'value' | 'key';
}

function dedupe(issues: ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.line}:${i.column}:${i.path}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function cleanPath(path: readonly PropertyKey[]): Path {
  return path.filter((p): p is string | number => typeof p !== 'symbol');
}

/** Turns a zod issue into author-facing issues, choosing the union branch the author meant. */
function flatten(zodIssue: ZodIssue, base: Path, raw: unknown): FoundIssue[] {
  const path = [...base, ...cleanPath(zodIssue.path)];
  const value = valueAt(raw, path);
  switch (zodIssue.code) {
    case 'invalid_union': {
      const branches = zodIssue.errors;
      // string | number style unions: every branch rejects the value's type itself.
      const typeOnly = branches.every((b) => b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0);
      if (branches.length === 0 || typeOnly) {
        if (value === undefined) return [{ path, message: 'required field is missing', place: 'key' }];
        const expected = [...new Set(branches.map((b) => (b[0]?.code === 'invalid_type' ? (TYPE_NAMES[b[0].expected] ?? b[0].expected) : '')).filter((e) => e !== ''))];
        const what = path[0] === 'steps' && path.length === 2 ? ` (a step is a mapping with one of ${STEP_KINDS.join(', ')})` : '';
        return [{ path, message: `expected ${expected.join(' or ')}, got ${describe(value)}${what}`, place: 'value' }];
      }
      // The branch the author meant is the one whose own keys are present: fewest issues about
      // unknown or missing keys at the union's level.
      let best = branches[0] ?? [];
      let bestScore = Number.POSITIVE_INFINITY;
      for (const branch of branches) {
        let score = 0;
        for (const i of branch) {
          if (i.code === 'unrecognized_keys' && i.path.length === 0) score += i.keys.length;
          else if (i.path.length === 1 && valueAt(raw, [...path, ...cleanPath(i.path)]) === undefined) score += 1;
        }
        if (score < bestScore) {
          best = branch;
          bestScore = score;
        }
      }
      return best.flatMap((i) => flatten(i, path, raw));
    }
    case 'unrecognized_keys':
      return zodIssue.keys.map((key) => ({ path: [...path, key], message: 'unknown field', place: 'key' as const }));
    case 'invalid_type':
      if (value === undefined) return [{ path, message: 'required field is missing', place: 'key' }];
      return [{ path, message: `expected ${TYPE_NAMES[zodIssue.expected] ?? zodIssue.expected}, got ${describe(value)}`, place: 'value' }];
    case 'invalid_value': {
      const allowed = zodIssue.values.map((v) => JSON.stringify(v)).join(', ');
      if (path.at(-1) === 'kind' && typeof value === 'string') {
        return [{ path, message: `unknown kind ${JSON.stringify(value)} (the simulator knows ${Object.entries(SCENARIO_KINDS).map(([k, v]) => `${k} ${v}`).join(', ')})`, place: 'value' }];
      }
      return [{ path, message: `expected one of ${allowed}, got ${describe(value)}`, place: 'value' }];
    }
    case 'too_small':
    case 'too_big': {
      // zod's default wording ("Too small: expected number to be >=1") reads as a type error.
      if (!/^Too (small|big)/.test(zodIssue.message)) return [{ path, message: zodIssue.message, place: 'value' }];
      const bound = zodIssue.code === 'too_small' ? `at least ${String(zodIssue.minimum)}` : `at most ${String(zodIssue.maximum)}`;
      if (typeof value === 'number') return [{ path, message: `must be ${bound}, got ${value}`, place: 'value' }];
      if (zodIssue.code === 'too_small' && Number(zodIssue.minimum) === 1 && (typeof value === 'string' || Array.isArray(value))) return [{ path, message: 'must not be empty', place: 'value' }];
      return [{ path, message: `must have ${bound} ${Array.isArray(value) ? 'items' : 'characters'}`, place: 'value' }];
    }
    case 'custom':
    case 'invalid_element':
    case 'invalid_format':
    case 'invalid_key':
    case 'not_multiple_of':
      return [{ path, message: zodIssue.message, place: 'value' }];
  }
}

/** A value for messages: scalars as JSON, collections by kind. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value) ?? typeof value;
}

/** The plain value at `path`, or undefined. */
function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let current = root;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}
