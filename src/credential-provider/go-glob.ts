/**
 * Go's `path/filepath.Match` on a Unix host, which the kubelet applies to each host label of a
 * `matchImages` entry: `*` is any run of characters except `/`, `?` one character except `/`,
 * `[abc]`, `[a-z]`, `[^a-z]` a class, `\x` a literal `x`. A malformed pattern is an error, which
 * the kubelet treats as "no match" — even when an earlier part of the name already failed.
 *
 * @module
 */

/** Go's `filepath.ErrBadPattern`. */
export class BadGlobPatternError extends Error {
  override readonly name = 'BadGlobPatternError';
  constructor(pattern: string) {
    super(`syntax error in pattern ${JSON.stringify(pattern)}`);
  }
}

type Token =
  | { readonly t: 'star' }
  | { readonly t: 'one' }
  | { readonly t: 'lit'; readonly c: string }
  | { readonly t: 'class'; readonly negated: boolean; readonly ranges: readonly (readonly [number, number])[] };

/** Splits a pattern into tokens, validating it whole as Go does before it answers. */
function tokenize(pattern: string): Token[] {
  const cs = Array.from(pattern); // code points, as Go walks runes
  const tokens: Token[] = [];
  const bad = (): never => {
    throw new BadGlobPatternError(pattern);
  };
  let i = 0;
  // One possibly-escaped character of a class; `-` and `]` must be escaped to be literal there.
  const classChar = (): number => {
    let c = cs[i];
    if (c === undefined || c === '-' || c === ']') return bad();
    if (c === '\\') {
      i++;
      c = cs[i];
      if (c === undefined) return bad();
    }
    i++;
    return c.codePointAt(0) ?? bad();
  };
  while (i < cs.length) {
    const c = cs[i] as string;
    if (c === '*') {
      tokens.push({ t: 'star' });
      i++;
    } else if (c === '?') {
      tokens.push({ t: 'one' });
      i++;
    } else if (c === '\\') {
      const next = cs[i + 1];
      if (next === undefined) bad();
      tokens.push({ t: 'lit', c: next as string });
      i += 2;
    } else if (c === '[') {
      i++;
      let negated = false;
      if (cs[i] === '^') {
        negated = true;
        i++;
      }
      const ranges: [number, number][] = [];
      for (;;) {
        if (cs[i] === ']' && ranges.length > 0) {
          i++;
          break;
        }
        const lo = classChar();
        let hi = lo;
        if (cs[i] === '-') {
          i++;
          hi = classChar();
        }
        ranges.push([lo, hi]);
      }
      tokens.push({ t: 'class', negated, ranges });
    } else {
      tokens.push({ t: 'lit', c });
      i++;
    }
  }
  return tokens;
}

function matchFrom(tokens: readonly Token[], ti: number, name: readonly string[], ni: number): boolean {
  for (; ti < tokens.length; ti++) {
    const tok = tokens[ti] as Token;
    if (tok.t === 'star') {
      // Try every split point, never crossing a separator.
      for (let k = ni; k <= name.length; k++) {
        if (matchFrom(tokens, ti + 1, name, k)) return true;
        if (name[k] === '/') return false;
      }
      return false;
    }
    const ch = name[ni];
    if (ch === undefined) return false;
    if (tok.t === 'one') {
      if (ch === '/') return false;
    } else if (tok.t === 'lit') {
      if (ch !== tok.c) return false;
    } else {
      const cp = ch.codePointAt(0) ?? -1;
      const inClass = tok.ranges.some(([lo, hi]) => lo <= cp && cp <= hi);
      if (inClass === tok.negated) return false;
    }
    ni++;
  }
  return ni === name.length;
}

/**
 * Whether `name` matches the Go glob `pattern`.
 * @throws BadGlobPatternError when the pattern is malformed (Go's ErrBadPattern).
 */
export function goFilepathMatch(pattern: string, name: string): boolean {
  return matchFrom(tokenize(pattern), 0, Array.from(name), 0);
}
