import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { labelSelectorFromMatch, parseLabelSelector } from './label-selector.js';
import type { LabelSelectorObject } from './label-selector.js';
import { SelectorError } from './selector-error.js';

type Labels = Readonly<Record<string, string>> | undefined;

describe('parseLabelSelector', () => {
  const web: Labels = { tier: 'web', env: 'prod', 'node.kubernetes.io/exclude-from-external-load-balancers': '' };
  const rows: ReadonlyArray<{ selector: string; labels: Labels; want: boolean }> = [
    { selector: '', labels: web, want: true },
    { selector: '', labels: undefined, want: true },
    { selector: 'tier=web', labels: web, want: true },
    { selector: 'tier==web', labels: web, want: true },
    { selector: 'tier=api', labels: web, want: false },
    { selector: 'tier=web', labels: undefined, want: false },
    { selector: 'tier!=api', labels: web, want: true },
    { selector: 'tier!=web', labels: web, want: false },
    { selector: 'missing!=x', labels: web, want: true },
    { selector: 'tier in (api, web)', labels: web, want: true },
    { selector: 'tier in (api)', labels: web, want: false },
    { selector: 'tier notin (api)', labels: web, want: true },
    { selector: 'tier notin (api,web)', labels: web, want: false },
    { selector: 'missing notin (x)', labels: web, want: true },
    { selector: 'missing in (x)', labels: web, want: false },
    { selector: 'tier', labels: web, want: true },
    { selector: 'missing', labels: web, want: false },
    { selector: '!missing', labels: web, want: true },
    { selector: '!tier', labels: web, want: false },
    { selector: '!tier', labels: undefined, want: true },
    { selector: 'node.kubernetes.io/exclude-from-external-load-balancers', labels: web, want: true },
    { selector: '!node.kubernetes.io/exclude-from-external-load-balancers', labels: web, want: false },
    { selector: 'tier=web,env=prod', labels: web, want: true },
    { selector: 'tier=web,env=dev', labels: web, want: false },
    { selector: '  tier  =  web ,\tenv in ( prod )  ', labels: web, want: true },
    { selector: 'tier=', labels: { tier: '' }, want: true },
    { selector: 'tier=', labels: web, want: false },
    { selector: 'tier in ()', labels: { tier: '' }, want: true },
    { selector: 'tier in (,web)', labels: { tier: '' }, want: true },
    { selector: 'x in (in, notin)', labels: { x: 'notin' }, want: true },
    { selector: 'x=in', labels: { x: 'in' }, want: true },
    { selector: 'gen>3', labels: { gen: '4' }, want: true },
    { selector: 'gen>3', labels: { gen: '3' }, want: false },
    { selector: 'gen<3', labels: { gen: '2' }, want: true },
    { selector: 'gen<3', labels: { gen: 'two' }, want: false },
    { selector: 'gen>3', labels: undefined, want: false },
  ];

  for (const { selector, labels, want } of rows) {
    it(`"${selector}" ${want ? 'matches' : 'does not match'} ${JSON.stringify(labels)}`, () => {
      assert.equal(parseLabelSelector(selector).matches(labels), want);
    });
  }

  it('is empty only without requirements', () => {
    assert.equal(parseLabelSelector('').empty, true);
    assert.equal(parseLabelSelector('  ').empty, true);
    assert.equal(parseLabelSelector('a').empty, false);
  });

  it('does not see inherited properties as labels', () => {
    assert.equal(parseLabelSelector('constructor').matches({}), false);
    assert.equal(parseLabelSelector('!toString').matches({}), true);
  });

  const canonical: ReadonlyArray<readonly [string, string]> = [
    ['b=1, a in (z, y, z)', 'a in (y,z),b=1'],
    ['!c,b notin (x),a==1', 'a==1,b notin (x),!c'],
    ['k in ()', 'k in ()'],
    ['g > 5', 'g>5'],
  ];
  for (const [input, want] of canonical) {
    it(`prints "${input}" canonically as "${want}"`, () => {
      assert.equal(parseLabelSelector(input).toString(), want);
    });
  }

  const malformed: ReadonlyArray<readonly [string, string]> = [
    ['a=b,', 'a trailing comma'],
    [',a=b', 'a leading comma'],
    ['a=b c=d', 'two requirements without a comma'],
    ['a in b', 'a value set without parentheses'],
    ['a in (b', 'an unclosed value set'],
    ['a in (b c)', 'values without a comma'],
    ['a notin', 'notin without a value set'],
    ['!a=b', 'a negated key with an operator'],
    ['!', 'a bare "!"'],
    ['=b', 'a missing key'],
    ['a=(b)', 'a parenthesis as an exact value'],
    ['a>b', 'a non-integer bound for >'],
    ['a==b==c', 'a second operator'],
    ['-a=b', 'a key starting with a dash'],
    ['a/b/c=d', 'a key with two slashes'],
    ['Example.com/a=b', 'an upper-case key prefix'],
    ['/a=b', 'an empty key prefix'],
    [`${'k'.repeat(64)}=v`, 'a key name longer than 63 characters'],
    [`${'p'.repeat(254)}/k=v`, 'a key prefix longer than 253 characters'],
    [`k=${'v'.repeat(64)}`, 'a value longer than 63 characters'],
    ['k=-v', 'a value starting with a dash'],
    ['k in (a, b_)', 'a value ending with an underscore'],
  ];
  for (const [input, what] of malformed) {
    it(`rejects ${what}: "${input.length > 40 ? `${input.slice(0, 40)}…` : input}"`, () => {
      assert.throws(() => parseLabelSelector(input), SelectorError);
    });
  }

  it('accepts the longest valid key and value', () => {
    const key = `${'p'.repeat(63)}.${'q'.repeat(63)}.${'r'.repeat(63)}.${'s'.repeat(61)}/${'k'.repeat(63)}`;
    const value = 'v'.repeat(63);
    assert.equal(parseLabelSelector(`${key}=${value}`).matches({ [key]: value }), true);
  });

  it('re-parses its own text to an equivalent selector (property)', () => {
    const name = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,6}[a-z0-9])?$/);
    const key = fc.oneof(name, fc.tuple(fc.constantFrom('example.com', 'k8s.io'), name).map(([p, n]) => `${p}/${n}`));
    const value = fc.oneof(fc.constant(''), name);
    const requirement = fc.oneof(
      fc.tuple(key, fc.constantFrom('=', '==', '!='), value).map(([k, op, v]) => `${k}${op}${v}`),
      fc.tuple(key, fc.constantFrom(' in ', ' notin '), fc.array(value, { minLength: 1, maxLength: 3 })).map(([k, op, vs]) => `${k}${op}(${vs.join(',')})`),
      key,
      key.map((k) => `!${k}`),
    );
    const labels = fc.dictionary(key, value, { noNullPrototype: true });
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 4 }), labels, (reqs, ls) => {
        const selector = parseLabelSelector(reqs.join(','));
        const again = parseLabelSelector(selector.toString());
        assert.equal(again.toString(), selector.toString());
        assert.equal(again.matches(ls), selector.matches(ls));
      }),
    );
  });
});

describe('labelSelectorFromMatch', () => {
  const rows: ReadonlyArray<{ name: string; sel: LabelSelectorObject | null | undefined; labels: Labels; want: boolean }> = [
    { name: 'an empty selector matches everything', sel: {}, labels: undefined, want: true },
    { name: 'a null selector matches nothing', sel: null, labels: { a: 'b' }, want: false },
    { name: 'an undefined selector matches nothing', sel: undefined, labels: undefined, want: false },
    { name: 'matchLabels requires every pair', sel: { matchLabels: { a: '1', b: '2' } }, labels: { a: '1', b: '2', c: '3' }, want: true },
    { name: 'matchLabels fails on one different value', sel: { matchLabels: { a: '1', b: '2' } }, labels: { a: '1', b: '3' }, want: false },
    { name: 'In matches a listed value', sel: { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, labels: { a: '2' }, want: true },
    { name: 'NotIn matches an object without the label', sel: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, labels: {}, want: true },
    { name: 'Exists needs the label', sel: { matchExpressions: [{ key: 'a', operator: 'Exists' }] }, labels: { b: '1' }, want: false },
    { name: 'DoesNotExist matches without the label', sel: { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: [] }] }, labels: { b: '1' }, want: true },
    {
      name: 'matchLabels and matchExpressions are ANDed',
      sel: { matchLabels: { a: '1' }, matchExpressions: [{ key: 'b', operator: 'Exists' }] },
      labels: { a: '1' },
      want: false,
    },
  ];
  for (const { name, sel, labels, want } of rows) {
    it(name, () => {
      assert.equal(labelSelectorFromMatch(sel).matches(labels), want);
    });
  }

  it('reports emptiness like apimachinery (nil selects nothing and is not empty)', () => {
    assert.equal(labelSelectorFromMatch({}).empty, true);
    assert.equal(labelSelectorFromMatch(null).empty, false);
    assert.equal(labelSelectorFromMatch({ matchLabels: { b: '1' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['y', 'x'] }] }).toString(), 'a in (x,y),b=1');
  });

  const invalid: ReadonlyArray<{ name: string; sel: LabelSelectorObject }> = [
    { name: 'an unknown operator', sel: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['1'] }] } },
    { name: 'a lower-case operator', sel: { matchExpressions: [{ key: 'a', operator: 'in', values: ['1'] }] } },
    { name: 'In without values', sel: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } },
    { name: 'Exists with values', sel: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['1'] }] } },
    { name: 'an invalid matchLabels key', sel: { matchLabels: { 'a b': '1' } } },
    { name: 'an invalid matchLabels value', sel: { matchLabels: { a: 'not valid' } } },
  ];
  for (const { name, sel } of invalid) {
    it(`rejects ${name}`, () => {
      assert.throws(() => labelSelectorFromMatch(sel), SelectorError);
    });
  }
});
