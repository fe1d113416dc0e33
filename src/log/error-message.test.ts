import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorMessage } from './error-message.js';

describe('errorMessage', () => {
  const cases: ReadonlyArray<readonly [string, unknown, string]> = [
    ['an Error gives its message', new Error('boom'), 'boom'],
    ['an Error subclass gives its message, not its name', new RangeError('out of range'), 'out of range'],
    ['an Error with an empty message gives the empty string', new Error(''), ''],
    ['a thrown string is itself', 'plain', 'plain'],
    ['a thrown number is rendered', 42, '42'],
    ['undefined is rendered', undefined, 'undefined'],
    ['null is rendered', null, 'null'],
    ['an object that is no Error renders as String does', { message: 'not an Error' }, '[object Object]'],
  ];
  for (const [name, thrown, want] of cases) {
    it(name, () => assert.equal(errorMessage(thrown), want));
  }
});
