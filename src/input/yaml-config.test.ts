import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { InputFileError } from './read-input-file.js';
import { ConfigFileError, formatFieldPath, parseYamlConfig, readYamlConfigFile } from './yaml-config.js';

const FILE = 'cfg.yaml';

function problem(text: string, schema?: z.ZodType, maxBytes?: number): ConfigFileError {
  try {
    const doc = parseYamlConfig(text, { file: FILE, ...(maxBytes === undefined ? {} : { maxBytes }) });
    if (schema !== undefined) doc.validate(schema);
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected a ConfigFileError, got ${String(err)}`);
    return err;
  }
  return assert.fail('expected a problem');
}

/** Nine aliases of nine aliases of …: 9^6 ≈ 531,441 nodes from 60 lines of text. */
const ALIAS_BOMB = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdef'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${'abcdef'[i]}`).join(', ')}]`), 'g: [*f, *f, *f, *f, *f, *f, *f, *f, *f]'].join('\n');

describe('parseYamlConfig limits', () => {
  // Before: `doc.toJS()` threw a bare ReferenceError (exit 1 with a stack) in the leader-migration
  // and local configs; with no limit the expansion would exhaust the heap.
  it('refuses an alias bomb with a one-line error', () => {
    const err = problem(ALIAS_BOMB);
    assert.match(err.message, /^cfg\.yaml: YAML aliases expand to too many nodes \(more than 100 alias expansions allowed\)/);
  });

  it('accepts a few aliases', () => {
    assert.deepEqual(parseYamlConfig('a: &x [1, 2]\nb: *x\n').value, { a: [1, 2], b: [1, 2] });
  });

  it('refuses nesting deep enough to overflow the parser', () => {
    assert.match(problem('['.repeat(100_000)).message, /nested too deeply/);
  });

  it('refuses text over the size limit, saying the limit', () => {
    assert.match(problem('a: 12345\n', undefined, 8).message, /^cfg\.yaml: larger than the 8 bytes limit/);
  });

  it('refuses duplicate keys at their line', () => {
    assert.match(problem('a: 1\na: 2\n').message, /^cfg\.yaml:2:1: YAML syntax error: Map keys must be unique/);
  });
});

describe('YamlConfig.validate', () => {
  const schema = z.strictObject({
    name: z.string(),
    pools: z.array(z.strictObject({ name: z.string(), size: z.number().int().min(1) })).optional(),
    mode: z.enum(['a', 'b']).optional(),
  });
  const cases: [string, string, string][] = [
    ['an unknown field at its key', 'name: x\nbogus: 1\n', 'cfg.yaml:2:1: bogus: unknown field'],
    ['a missing field at its parent', 'pools: []\n', 'cfg.yaml:1:1: name: required field is missing'],
    ['a wrong type at the value', 'name: [1]\n', 'cfg.yaml:1:7: name: expected a string, got a list'],
    ['a bound at the value', 'name: x\npools:\n  - name: p\n    size: 0\n', 'cfg.yaml:4:11: pools[0].size: must be at least 1, got 0'],
    ['an enum', 'name: x\nmode: c\n', 'cfg.yaml:2:7: mode: expected one of "a", "b", got "c"'],
    ['a missing field in a list item at the item', 'name: x\npools:\n  - size: 1\n', 'cfg.yaml:3:5: pools[0].name: required field is missing'],
  ];
  for (const [name, text, message] of cases) {
    it(`reports ${name}`, () => assert.equal(problem(text, schema).message, message));
  }

  it('lets the caller fail at a field after validation', () => {
    const doc = parseYamlConfig('name: x\npools:\n  - name: p\n    size: 2\n', { file: FILE });
    const cfg = doc.validate(schema);
    assert.equal(cfg.pools?.[0]?.size, 2);
    assert.throws(() => doc.fail(['pools', 0, 'name'], 'taken'), (err: unknown) => err instanceof ConfigFileError && err.message === 'cfg.yaml:3:11: pools[0].name: taken');
  });

  it('uses the caller error class', () => {
    class MyError extends Error {}
    assert.throws(() => parseYamlConfig('a: [', { error: (p) => new MyError(`at ${p.position?.line}`) }), MyError);
  });
});

describe('readYamlConfigFile', () => {
  it('refuses /dev/zero naming the source before parsing anything', async () => {
    await assert.rejects(readYamlConfigFile('/dev/zero', { source: '--leader-migration-config' }), (err: unknown) => err instanceof InputFileError && /^--leader-migration-config: "\/dev\/zero" is a character device/.test(err.message));
  });
});

describe('hostile YAML (property)', () => {
  // Any text ends in a value or a ConfigFileError — never another exception type. Bounded by
  // construction: at most 2,000 characters from a YAML-heavy alphabet.
  it('any text parses to a value or a ConfigFileError', () => {
    const yamlish = fc.string({ unit: fc.constantFrom('a', ':', ' ', '\n', '-', '[', ']', '{', '}', '&', '*', '!', '|', '>', '"', "'", '#', ',', '?', '%', '@', '`', '\t', '1', 'x'), maxLength: 2000 });
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.string({ maxLength: 500 })), (text) => {
        try {
          parseYamlConfig(text, { file: FILE });
        } catch (err) {
          assert.ok(err instanceof ConfigFileError, `${String(err)} for ${JSON.stringify(text)}`);
          assert.ok(!err.message.includes('\n'), 'one line');
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('formatFieldPath', () => {
  it('writes paths as an author addresses fields', () => {
    assert.equal(formatFieldPath(['pools', 1, 'ranges', 0]), 'pools[1].ranges[0]');
    assert.equal(formatFieldPath(['labels', 'topology.kubernetes.io/zone']), 'labels["topology.kubernetes.io/zone"]');
  });
});
