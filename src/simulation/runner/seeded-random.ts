/**
 * Deterministic randomness for the simulator: every jitter, uid and injected cloud failure comes
 * from one seed, so a scenario replays identically.
 *
 * @module
 */

/** A uniform generator in [0, 1) from a 32-bit seed (mulberry32: tiny, fast, good enough for jitter). */
export function seededRandom(seed: number): () => number {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** RFC 4122 version-4-shaped uids drawn from `random` (deterministic object uids). */
export function seededUid(random: () => number): () => string {
  // One flat string from character codes: the same draws in the same order as digit by digit,
  // without building (and keeping, in every stored object) a rope of small strings.
  const codes = new Array<number>(36);
  const hex = (at: number, n: number): void => {
    for (let i = 0; i < n; i++) codes[at + i] = HEX_CODES[Math.floor(random() * 16)] as number;
  };
  return () => {
    hex(0, 8);
    codes[8] = DASH;
    hex(9, 4);
    codes[13] = DASH;
    codes[14] = HEX_CODES[4] as number;
    hex(15, 3);
    codes[18] = DASH;
    codes[19] = HEX_CODES[8 + Math.floor(random() * 4)] as number;
    hex(20, 3);
    codes[23] = DASH;
    hex(24, 12);
    return String.fromCharCode(...codes);
  };
}

const HEX_CODES: readonly number[] = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const DASH = '-'.charCodeAt(0);
