import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KubeApiError } from '../errors.js';
import { decodeContinue, encodeContinue } from './continue-token.js';

describe('continue tokens', () => {
  it('round-trip the snapshot version and last key', () => {
    const position = { rv: 42, after: 'kube-system/coredns' };
    assert.deepEqual(decodeContinue(encodeContinue(position)), position);
  });

  const bad: Array<[string, string]> = [
    ['not base64 JSON', '%%%'],
    ['a JSON value that is not an object', Buffer.from('7').toString('base64url')],
    ['an unknown version', Buffer.from(JSON.stringify({ v: 'x', rv: 1, start: 'a' })).toString('base64url')],
    ['a missing resourceVersion', Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', start: 'a' })).toString('base64url')],
    ['an empty start key', Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 3, start: '' })).toString('base64url')],
  ];
  for (const [name, token] of bad) {
    it(`rejects ${name} with 400 BadRequest`, () => {
      assert.throws(
        () => decodeContinue(token),
        (err: unknown) => err instanceof KubeApiError && err.status === 400 && /continue key is not valid/.test(err.message),
      );
    });
  }
});
