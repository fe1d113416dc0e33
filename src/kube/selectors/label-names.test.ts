import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { dnsSubdomainErrors, labelKeyErrors, labelValueErrors } from './label-names.js';

describe('labelKeyErrors', () => {
  const rows: ReadonlyArray<{ key: string; valid: boolean }> = [
    { key: 'app', valid: true },
    { key: 'A_b.c-9', valid: true },
    { key: 'node-role.kubernetes.io/control-plane', valid: true },
    { key: 'k'.repeat(63), valid: true },
    { key: 'k'.repeat(64), valid: false },
    { key: '', valid: false },
    { key: '_a', valid: false },
    { key: 'a.', valid: false },
    { key: 'a b', valid: false },
    { key: 'example.com/', valid: false },
    { key: '/name', valid: false },
    { key: 'Example.com/name', valid: false },
    { key: 'example_com/name', valid: false },
    { key: 'a/b/c', valid: false },
  ];
  for (const { key, valid } of rows) {
    it(`${valid ? 'accepts' : 'rejects'} the key "${key.length > 20 ? `${key.slice(0, 20)}…(${key.length})` : key}"`, () => {
      assert.equal(labelKeyErrors(key).length === 0, valid);
    });
  }

  it('reports every problem of a key at once', () => {
    assert.equal(labelKeyErrors('/').length, 3);
  });
});

describe('labelValueErrors', () => {
  const rows: ReadonlyArray<{ value: string; valid: boolean }> = [
    { value: '', valid: true },
    { value: 'v1.2_3-x', valid: true },
    { value: 'v'.repeat(63), valid: true },
    { value: 'v'.repeat(64), valid: false },
    { value: '-v', valid: false },
    { value: 'v/1', valid: false },
    { value: 'ü', valid: false },
  ];
  for (const { value, valid } of rows) {
    it(`${valid ? 'accepts' : 'rejects'} the value "${value.length > 20 ? `${value.slice(0, 20)}…(${value.length})` : value}"`, () => {
      assert.equal(labelValueErrors(value).length === 0, valid);
    });
  }
});

describe('dnsSubdomainErrors', () => {
  it('accepts lower-case dotted labels up to 253 characters and rejects the rest', () => {
    assert.deepEqual(dnsSubdomainErrors('kubernetes.io'), []);
    assert.deepEqual(dnsSubdomainErrors(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`), []);
    assert.equal(dnsSubdomainErrors(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`).length, 1);
    assert.notDeepEqual(dnsSubdomainErrors('a..b'), []);
    assert.notDeepEqual(dnsSubdomainErrors('-a.b'), []);
  });
});
