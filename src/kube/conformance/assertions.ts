/**
 * Assertions shared by the KubeClient conformance suite and the simulated API server's own
 * tests: expect a typed API error, read a number of watch events.
 *
 * @module
 */
import assert from 'node:assert/strict';
import type { WatchEvent, WatchStream } from '../client.js';
import { KubeApiError } from '../errors.js';
import type { KubeObject } from '../resources.js';

/** Resolves with the KubeApiError `promise` rejects with; fails the test otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<KubeApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  assert.fail('expected the request to fail with a KubeApiError');
}

/** Asserts that `promise` rejects with a KubeApiError of this status and reason (and message). */
export async function expectError(promise: Promise<unknown>, status: number, reason: string, message?: RegExp): Promise<KubeApiError> {
  const err = await rejection(promise);
  assert.equal(err.status, status, `${err.status} ${err.reason}: ${err.message}`);
  assert.equal(err.reason, reason);
  if (message !== undefined) assert.match(err.message, message);
  return err;
}

/** Reads `n` events (fewer if the stream ends). */
export async function take<T extends KubeObject>(stream: WatchStream<T>, n: number): Promise<Array<WatchEvent<T>>> {
  const it = stream[Symbol.asyncIterator]();
  const out: Array<WatchEvent<T>> = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done === true) break;
    out.push(r.value);
  }
  return out;
}
