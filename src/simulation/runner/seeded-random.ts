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
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return () => `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random() * 4)).toString(16)}${hex(3)}-${hex(12)}`;
}
