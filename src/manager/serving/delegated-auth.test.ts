import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClient, ResourceClient } from '../../kube/client.js';
import { FakeClock } from '../../kube/clock.js';
import type { KubeObject, ResourceType } from '../../kube/resources.js';
import { ANONYMOUS_USER, DelegatedAuth } from './delegated-auth.js';
import { ReviewStub } from './review-stub.test-util.js';

function setup(options: { anonymous?: boolean; authzDeniedTtlMs?: number } = {}) {
  const clock = new FakeClock();
  const stub = new ReviewStub();
  stub.users.set('good', { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts'], uid: 'u-1' });
  stub.users.set('admin', { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
  const auth = new DelegatedAuth({ kube: stub.client, clock, ...options });
  return { clock, stub, auth };
}

describe('DelegatedAuth.authenticate', () => {
  it('treats a request without a token as system:anonymous without calling the API (upstream default)', async () => {
    const { stub, auth } = setup();
    assert.deepEqual(await auth.authenticate(undefined), { ok: true, user: ANONYMOUS_USER });
    assert.equal(stub.tokenReviews.length, 0);
  });

  it('refuses a request without a token when anonymous requests are disabled', async () => {
    const { auth } = setup({ anonymous: false });
    const result = await auth.authenticate(undefined);
    assert.equal(result.ok, false);
  });

  it('sends a TokenReview and returns the reviewed user', async () => {
    const { stub, auth } = setup();
    const result = await auth.authenticate('good');
    assert.deepEqual(result, { ok: true, user: { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts'], uid: 'u-1' } });
    assert.deepEqual(stub.tokenReviews, [{ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'good' } }]);
  });

  it('refuses an unknown token with the review error as reason', async () => {
    const { auth } = setup();
    assert.deepEqual(await auth.authenticate('bad'), { ok: false, reason: 'invalid token' });
  });

  it('refuses an empty bearer token without a review', async () => {
    const { stub, auth } = setup();
    assert.equal((await auth.authenticate('')).ok, false);
    assert.equal(stub.tokenReviews.length, 0);
  });

  it('caches both outcomes for 10 s on the clock, then reviews again', async () => {
    const { clock, stub, auth } = setup();
    await auth.authenticate('good');
    await auth.authenticate('bad');
    await clock.advance(9_999);
    await auth.authenticate('good');
    await auth.authenticate('bad');
    assert.equal(stub.tokenReviews.length, 2);
    await clock.advance(1);
    await auth.authenticate('good');
    await auth.authenticate('bad');
    assert.equal(stub.tokenReviews.length, 4);
  });

  it('reports an API failure as unauthenticated with the error, and does not cache it', async () => {
    const { stub, auth } = setup();
    stub.failTokenReviews = true;
    const failed = await auth.authenticate('good');
    assert.equal(failed.ok, false);
    assert.ok(!failed.ok && failed.error !== undefined);
    stub.failTokenReviews = false;
    assert.equal((await auth.authenticate('good')).ok, true);
  });
});

describe('DelegatedAuth.authorize', () => {
  const user = { username: 'prom', groups: ['system:authenticated'] };

  it('sends a SubjectAccessReview with the non-resource path and verb', async () => {
    const { stub, auth } = setup();
    stub.allowed.add('prom get /metrics');
    assert.deepEqual(await auth.authorize(user, { path: '/metrics', verb: 'get' }), { allowed: true, reason: 'RBAC: allowed' });
    assert.deepEqual(stub.accessReviews, [
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: 'prom', groups: ['system:authenticated'], nonResourceAttributes: { path: '/metrics', verb: 'get' } },
      },
    ]);
  });

  it('allows system:masters without a review (upstream always-allow group)', async () => {
    const { stub, auth } = setup();
    assert.equal((await auth.authorize({ username: 'root', groups: ['system:masters'] }, { path: '/metrics', verb: 'get' })).allowed, true);
    assert.equal(stub.accessReviews.length, 0);
  });

  it('caches allowed and denied decisions for their own TTLs', async () => {
    const { clock, stub, auth } = setup({ authzDeniedTtlMs: 30_000 });
    stub.allowed.add('prom get /metrics');
    await auth.authorize(user, { path: '/metrics', verb: 'get' });
    await auth.authorize(user, { path: '/configz', verb: 'get' });
    await clock.advance(10_000);
    await auth.authorize(user, { path: '/metrics', verb: 'get' }); // allowed entry expired
    await auth.authorize(user, { path: '/configz', verb: 'get' }); // denied entry still cached
    assert.deepEqual(
      stub.accessReviews.map((r) => r.spec.nonResourceAttributes?.path),
      ['/metrics', '/configz', '/metrics'],
    );
  });

  it('keys the cache by verb and path', async () => {
    const { stub, auth } = setup();
    await auth.authorize(user, { path: '/metrics', verb: 'get' });
    await auth.authorize(user, { path: '/metrics', verb: 'post' });
    await auth.authorize(user, { path: '/healthz', verb: 'get' });
    assert.equal(stub.accessReviews.length, 3);
  });

  it('denies with the error when the review fails, and does not cache it', async () => {
    const { stub, auth } = setup();
    stub.failAccessReviews = true;
    const failed = await auth.authorize(user, { path: '/metrics', verb: 'get' });
    assert.equal(failed.allowed, false);
    assert.notEqual(failed.error, undefined);
    stub.failAccessReviews = false;
    stub.allowed.add('prom get /metrics');
    assert.equal((await auth.authorize(user, { path: '/metrics', verb: 'get' })).allowed, true);
  });

  it('bounds a hanging review by its timeout on the clock', async () => {
    const clock = new FakeClock();
    const stub = new ReviewStub();
    const hanging: KubeClient = {
      ...stub.client,
      resource: <T extends KubeObject>(type: ResourceType<T>): ResourceClient<T> => ({
        ...stub.client.resource(type),
        create: (_object: T, options?: { signal?: AbortSignal }) =>
          new Promise<T>((_resolve, reject) => options?.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error))),
      }),
    };
    const auth = new DelegatedAuth({ kube: hanging, clock, timeoutMs: 5_000 });
    const pending = auth.authorize(user, { path: '/metrics', verb: 'get' });
    await clock.advance(5_000);
    const result = await pending;
    assert.equal(result.allowed, false);
    assert.match(String((result.error as Error).message), /timed out after 5000ms/);
  });
});
