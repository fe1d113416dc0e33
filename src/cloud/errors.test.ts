import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CloudProviderError,
  DiskNotFoundError,
  findCloudProviderError,
  findRetryError,
  ImplementedElsewhereError,
  InstanceNotFoundError,
  isDiskNotFound,
  isImplementedElsewhere,
  isInstanceNotFound,
  isNotImplemented,
  isProviderContractError,
  isRetryError,
  NotImplementedError,
  ProviderContractError,
  RetryError,
} from './errors.js';

function wrap(err: unknown, depth: number): unknown {
  let current = err;
  for (let i = 0; i < depth; i++) current = new Error(`layer ${i}`, { cause: current });
  return current;
}

describe('cloud provider errors', () => {
  const cases = [
    { make: () => new InstanceNotFoundError(), code: 'InstanceNotFound', message: 'instance not found', name: 'InstanceNotFoundError' },
    { make: () => new NotImplementedError(), code: 'NotImplemented', message: 'unimplemented', name: 'NotImplementedError' },
    {
      make: () => new ImplementedElsewhereError(),
      code: 'ImplementedElsewhere',
      message: 'implemented by alternate to cloud provider',
      name: 'ImplementedElsewhereError',
    },
    { make: () => new DiskNotFoundError(), code: 'DiskNotFound', message: 'disk is not found', name: 'DiskNotFoundError' },
    { make: () => new RetryError('lb still provisioning', 5000), code: 'Retry', message: 'lb still provisioning', name: 'RetryError' },
  ];
  for (const c of cases) {
    it(`${c.name} has code ${c.code} and upstream's message`, () => {
      const err = c.make();
      assert.ok(err instanceof CloudProviderError);
      assert.ok(err instanceof Error);
      assert.equal(err.code, c.code);
      assert.equal(err.message, c.message);
      assert.equal(err.name, c.name);
    });
  }

  it('keeps the cause when given and leaves it absent otherwise', () => {
    const root = new Error('HTTP 404 from compute API');
    assert.equal(new InstanceNotFoundError({ cause: root }).cause, root);
    assert.equal(new RetryError('wait', 1, { cause: root }).cause, root);
    assert.equal('cause' in new NotImplementedError(), false);
  });

  it('RetryError carries retryAfterMs and rejects negative or non-finite delays', () => {
    assert.equal(new RetryError('x', 0).retryAfterMs, 0);
    assert.equal(new RetryError('x', 30_000).retryAfterMs, 30_000);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new RetryError('x', bad), RangeError);
    }
  });

  it('ProviderContractError names the provider in its message', () => {
    const err = new ProviderContractError('acme', 'ensureLoadBalancer returned no status');
    assert.equal(err.code, 'ProviderContractError');
    assert.equal(err.provider, 'acme');
    assert.equal(err.message, 'cloud provider "acme" broke the provider contract: ensureLoadBalancer returned no status');
    assert.ok(isProviderContractError(new Error('sync failed', { cause: err })));
  });
});

describe('error predicates', () => {
  it('identity-compared sentinels match only the error itself, never a wrapped one', () => {
    const table: Array<{ predicate: (e: unknown) => boolean; make: () => Error }> = [
      { predicate: isInstanceNotFound, make: () => new InstanceNotFoundError() },
      { predicate: isImplementedElsewhere, make: () => new ImplementedElsewhereError() },
      { predicate: isDiskNotFound, make: () => new DiskNotFoundError() },
    ];
    for (const { predicate, make } of table) {
      const err = make();
      assert.equal(predicate(err), true, err.name);
      assert.equal(predicate(new Error('wrapped', { cause: err })), false, `wrapped ${err.name}`);
    }
  });

  it('never matches by message text', () => {
    assert.equal(isInstanceNotFound(new Error('instance not found')), false);
    assert.equal(isNotImplemented(new Error('unimplemented')), false);
    assert.equal(isImplementedElsewhere(new Error('implemented by alternate to cloud provider')), false);
  });

  it('recognises errors from another copy of the module by code', () => {
    class ForeignNotFound extends Error {
      readonly code = 'InstanceNotFound';
    }
    class ForeignRetry extends Error {
      readonly code = 'Retry';
      readonly retryAfterMs = 250;
    }
    assert.equal(isInstanceNotFound(new ForeignNotFound('gone')), true);
    assert.equal(findRetryError(new Error('outer', { cause: new ForeignRetry('later') }))?.retryAfterMs, 250);
  });

  it('ignores non-errors and plain objects carrying a code', () => {
    for (const value of [undefined, null, 'InstanceNotFound', 42, { code: 'InstanceNotFound' }, { code: 'Retry', retryAfterMs: 1 }]) {
      assert.equal(isInstanceNotFound(value), false);
      assert.equal(isRetryError(value), false);
    }
  });

  it('isNotImplemented looks through the cause chain and AggregateError members, as errors.Is', () => {
    const inner = new NotImplementedError();
    assert.equal(isNotImplemented(inner), true);
    assert.equal(isNotImplemented(wrap(inner, 3)), true);
    assert.equal(isNotImplemented(new AggregateError([new Error('a'), wrap(inner, 1)], 'joined')), true);
    assert.equal(isNotImplemented(new AggregateError([new Error('a')], 'joined')), false);
  });

  it('findRetryError returns the wrapped RetryError itself, as errors.As', () => {
    const retry = new RetryError('provisioning', 10_000);
    assert.equal(findRetryError(retry), retry);
    assert.equal(findRetryError(wrap(retry, 2)), retry);
    assert.equal(findRetryError(new Error('plain')), undefined);
    assert.equal(isRetryError(wrap(retry, 1)), true);
  });

  it('findCloudProviderError returns the first match depth-first and survives cause cycles', () => {
    const first = new RetryError('first', 1);
    const second = new RetryError('second', 2);
    const joined = new AggregateError([wrap(first, 1), second], 'both');
    assert.equal(findCloudProviderError(joined, 'Retry'), first);

    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.equal(findCloudProviderError(a, 'Retry'), undefined);
  });

  it('finds a RetryError at any wrapping depth, keeping its delay (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.nat(), (depth, delay) => {
        const found = findRetryError(wrap(new RetryError('r', delay), depth));
        assert.equal(found?.retryAfterMs, delay);
        assert.equal(isInstanceNotFound(wrap(new InstanceNotFoundError(), depth)), depth === 0);
      }),
    );
  });
});
