/**
 * Plain objects built with their members inside the object, for what the simulated API server (a
 * test double) stores for the whole of a run.
 *
 * Why: V8 gives an object made member by member (`{}` and then assignments, as decoding, copying
 * and patching do) room for four members in the object itself; the others go to a separate,
 * growable property array with a header and spare slots. An object literal with known keys gets
 * exactly its members, in the object. At 10,000 Nodes + 10,000 Services the store holds about
 * 500,000 such objects: rebuilt this way, 12 MB less stays live and 40 MB less is promoted to
 * the old generation (docs/performance.md).
 *
 * A builder is an object literal made with `new Function` for one sequence of keys (a shape); keys
 * enter its source only as JSON string literals. A shape gets one only once it has been met
 * {@link MIN_SIGHTINGS} times, so one-off shapes (a label map with unique keys) cost no code, and
 * both the shapes tracked and the builders made are bounded. Where code cannot be generated
 * (`--disallow-code-generation-from-strings`), objects are simply kept as they are.
 *
 * @module
 */

/** Builds an object with one shape's keys, in order, from their values. */
export type ObjectBuilder = (values: readonly unknown[]) => Record<string, unknown>;

/** Sightings of a shape before a builder is made for it. */
export const MIN_SIGHTINGS = 8;
/** Most keys a shape may have to get a builder (larger objects are rare and kept as they are). */
export const MAX_SHAPE_KEYS = 64;
/** Most shapes (trie nodes) tracked, and most builders made, per process. */
const MAX_TRACKED = 16_384;
const MAX_BUILDERS = 1_024;

interface ShapeNode {
  next: Map<string, ShapeNode> | undefined;
  seen: number;
  build: ObjectBuilder | undefined;
}

const root: ShapeNode = { next: undefined, seen: 0, build: undefined };
let tracked = 0;
let builders = 0;
let codeGeneration = true;

/**
 * The builder for objects with exactly `keys` (in this order), once the shape has been met often
 * enough; `undefined` before that, past the bounds, or for a shape no literal can express.
 */
export function builderFor(keys: readonly string[]): ObjectBuilder | undefined {
  if (keys.length === 0 || keys.length > MAX_SHAPE_KEYS || !codeGeneration) return undefined;
  let node = root;
  for (const key of keys) {
    node.next ??= new Map();
    let child = node.next.get(key);
    if (child === undefined) {
      if (tracked >= MAX_TRACKED) return undefined;
      // In a literal, `__proto__: value` sets the prototype instead of making a member.
      if (key === '__proto__') return undefined;
      child = { next: undefined, seen: 0, build: undefined };
      node.next.set(key, child);
      tracked++;
    }
    node = child;
  }
  if (node.build !== undefined) return node.build;
  node.seen++;
  if (node.seen < MIN_SIGHTINGS || builders >= MAX_BUILDERS) return undefined;
  node.build = compile(keys);
  return node.build;
}

function compile(keys: readonly string[]): ObjectBuilder | undefined {
  const members = keys.map((key, i) => `${JSON.stringify(key)}: v[${i}]`).join(', ');
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point: an object literal of exactly these keys (see the module comment); keys are JSON string literals.
    const build = new Function('v', `return { ${members} };`) as ObjectBuilder;
    builders++;
    return build;
  } catch {
    // Code generation is disallowed in this process: keep objects as they are from now on.
    codeGeneration = false;
    return undefined;
  }
}

/** How many builders this process made (for tests and benchmarks). */
export function compactBuilderCount(): number {
  return builders;
}
