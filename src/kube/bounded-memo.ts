/**
 * A bounded memo of a pure function of a string.
 *
 * @module
 */

/**
 * `compute`, with its answers remembered for up to `limit` distinct keys and all forgotten at
 * once when that many are held. Forgetting at once rather than least-recently-used keeps a hit
 * free of bookkeeping, and what repeats often is soon remembered again. Keep `limit` well under
 * ten thousand: a Map's table for more than about 4,000 entries is a large object, which V8
 * allocates straight into its old generation each time the memo regrows.
 *
 * @param compute - a pure function; an `undefined` answer is computed again on every call.
 */
export function boundedMemo<T>(limit: number, compute: (key: string) => T): (key: string) => T {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`boundedMemo limit must be an integer >= 1, got ${limit}`);
  const answers = new Map<string, T>();
  return (key) => {
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = compute(key);
      if (answers.size >= limit) answers.clear();
      answers.set(key, answer);
    }
    return answer;
  };
}
