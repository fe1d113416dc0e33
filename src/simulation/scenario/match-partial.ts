/**
 * Partial matching for `expect`: an expected value written as a fragment of the actual object.
 * Maps match by subset (unlisted keys are ignored); lists match item by item, each item itself
 * partially, either in order with the same length (`equal`) or as an any-order subset
 * (`contains`); scalars match by strict equality.
 *
 * As the Kubernetes wire format omits empty lists (Go's `omitempty`), an expected `[]` also
 * matches an absent field, and an expected `null` means "absent or null".
 *
 * @module
 */
import { formatPath } from './field-path.js';
import type { ListMode } from './scenario-types.js';

/** The outcome of {@link matchPartial}: ok, or one line per difference naming its path. */
export interface MatchResult {
  ok: boolean;
  /** `status.addresses[0].address: expected "10.0.0.1", got "10.0.0.2"` */
  mismatches: string[];
}

type Path = (string | number)[];

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? typeof value;
}

function where(path: Path): string {
  return path.length === 0 ? '(root)' : formatPath(path);
}

/**
 * Matches `actual` against the partial `expected`.
 *
 * @example
 * ```ts
 * matchPartial(node, { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } });
 * // { ok: false, mismatches: ['status.addresses[0].address: expected "10.0.0.1", got "10.0.0.2"'] }
 * ```
 */
export function matchPartial(actual: unknown, expected: unknown, listMode: ListMode = 'equal'): MatchResult {
  const mismatches: string[] = [];
  compare(actual, expected, [], listMode, mismatches);
  return { ok: mismatches.length === 0, mismatches };
}

function compare(actual: unknown, expected: unknown, path: Path, mode: ListMode, out: string[]): void {
  if (expected === null) {
    if (actual !== null && actual !== undefined) out.push(`${where(path)}: expected nothing, got ${show(actual)}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (expected.length === 0 && (actual === undefined || actual === null)) return;
    if (!Array.isArray(actual)) {
      out.push(`${where(path)}: expected a list, got ${show(actual)}`);
      return;
    }
    if (mode === 'contains') containsAll(actual, expected, path, out);
    else {
      if (actual.length !== expected.length) out.push(`${where(path)}: expected ${expected.length} item(s), got ${actual.length}: ${show(actual)}`);
      const n = Math.min(actual.length, expected.length);
      for (let i = 0; i < n; i++) compare(actual[i], expected[i], [...path, i], mode, out);
    }
    return;
  }
  if (isMap(expected)) {
    if (!isMap(actual)) {
      out.push(`${where(path)}: expected a map, got ${show(actual)}`);
      return;
    }
    for (const [key, value] of Object.entries(expected)) compare(actual[key], value, [...path, key], mode, out);
    return;
  }
  if (!Object.is(actual, expected) && !(actual === 0 && expected === 0)) {
    out.push(`${where(path)}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/**
 * Every expected item must match a distinct actual item. Items are assigned greedily in order,
 * with backtracking, so `[{a: 1}, {a: 1, b: 2}]` still finds both items when a looser expectation
 * would otherwise take the only item that satisfies the stricter one.
 */
function containsAll(actual: readonly unknown[], expected: readonly unknown[], path: Path, out: string[]): void {
  const fits = expected.map((e) => actual.map((a) => matches(a, e)));
  const used = new Array<boolean>(actual.length).fill(false);
  const assign = (i: number): boolean => {
    if (i === expected.length) return true;
    for (let j = 0; j < actual.length; j++) {
      if (used[j] === true || fits[i]?.[j] !== true) continue;
      used[j] = true;
      if (assign(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  if (assign(0)) return;
  // Name the items nothing matches; when each fits somewhere but not all at once, say so.
  let named = false;
  expected.forEach((e, i) => {
    if (fits[i]?.includes(true) !== true) {
      named = true;
      out.push(`${where(path)}: no item matches ${show(e)}; got ${show(actual)}`);
    }
  });
  if (!named) out.push(`${where(path)}: expected items cannot each match a different item; got ${show(actual)}`);
}

function matches(actual: unknown, expected: unknown): boolean {
  const out: string[] = [];
  compare(actual, expected, [], 'contains', out);
  return out.length === 0;
}
