import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../kube/clock.js';
import { apiErrors } from '../kube/errors.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { NAMESPACES, SERVICE_ACCOUNTS } from '../kube/resources.js';
import { ServiceAccountTokenSource } from './service-account-credentials.js';

function world() {
  const clock = new FakeClock();
  const server = new SimulatedApiServer({ clock });
  const source = new ServiceAccountTokenSource({ client: server.client({ userAgent: 'root' }), name: 'node-controller', clock });
  const tokenRequests = (): number => server.requestCounts().filter((c) => c.resource === 'serviceaccounts/token').reduce((n, c) => n + c.count, 0);
  return { clock, server, source, tokenRequests };
}

/** Resolves `p` while advancing the virtual clock in steps (for fetches that back off). */
async function drive<T>(clock: FakeClock, p: Promise<T>, stepMs = 100, limitMs = 60_000): Promise<T> {
  let settled = false;
  const tracked = p.finally(() => (settled = true));
  tracked.catch(() => undefined);
  for (let waited = 0; !settled && waited < limitMs; waited += stepMs) await clock.advance(stepMs);
  return tracked;
}

describe('ServiceAccountTokenSource (--use-service-account-credentials)', () => {
  it('creates the namespace and service account when missing, then requests a one-hour token for it', async () => {
    const { clock, server, source, tokenRequests } = world();
    const token = await drive(clock, source.token());
    assert.equal(server.authenticateToken(token)?.username, 'system:serviceaccount:kube-system:node-controller');
    assert.equal(source.username, 'system:serviceaccount:kube-system:node-controller');
    assert.deepEqual(server.snapshot(NAMESPACES).map((n) => n.metadata?.name), ['kube-system']);
    assert.deepEqual(server.snapshot(SERVICE_ACCOUNTS).map((a) => `${a.metadata?.namespace}/${a.metadata?.name}`), ['kube-system/node-controller']);
    assert.equal(tokenRequests(), 1);
  });

  it('uses an existing service account as it is', async () => {
    const { clock, server, source } = world();
    const root = server.client();
    await root.resource(SERVICE_ACCOUNTS).create({ metadata: { namespace: 'kube-system', name: 'node-controller', labels: { keep: 'me' } } });
    await drive(clock, source.token());
    assert.deepEqual(server.snapshot(SERVICE_ACCOUNTS)[0]?.metadata?.labels, { keep: 'me' });
    assert.deepEqual(server.snapshot(NAMESPACES), [], 'no namespace lookup when the account exists');
  });

  it('reuses the token until 80% of its lifetime has passed (20% leeway), then fetches a new one', async () => {
    const { clock, source, tokenRequests } = world();
    // Without faults the fetch needs no virtual time: it happens at this instant.
    const first = await source.token();
    await clock.advance(48 * 60_000 - 1);
    assert.equal(await source.token(), first);
    assert.equal(tokenRequests(), 1);
    await clock.advance(1);
    const second = await drive(clock, source.token());
    assert.notEqual(second, first);
    assert.equal(tokenRequests(), 2);
  });

  it('fetches a new token after reset() (a 401 from the server)', async () => {
    const { clock, source, tokenRequests } = world();
    const first = await drive(clock, source.token());
    source.reset();
    assert.notEqual(await drive(clock, source.token()), first);
    assert.equal(tokenRequests(), 2);
  });

  it('shares one fetch among concurrent callers', async () => {
    const { clock, source, tokenRequests } = world();
    const tokens = await drive(clock, Promise.all([source.token(), source.token(), source.token()]));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(tokenRequests(), 1);
  });

  it('retries a failing TokenRequest 0.5 s, then 1 s later, and succeeds on the third try', async () => {
    const { clock, server, source, tokenRequests } = world();
    server.faults.inject({ verb: 'create', resource: 'serviceaccounts/token', times: 2, error: () => apiErrors.internal('etcd unavailable') });
    const start = clock.now();
    const pending = source.token();
    await clock.advance(1_499);
    assert.equal(tokenRequests(), 2);
    await clock.advance(1);
    await pending;
    assert.equal(tokenRequests(), 3);
    assert.equal(clock.now() - start, 1_500);
  });

  it('gives up after four tries with an error naming the service account, and tries afresh on the next call', async () => {
    const { clock, server, source, tokenRequests } = world();
    server.faults.inject({ verb: 'create', resource: 'serviceaccounts/token', times: 4, error: () => apiErrors.internal('etcd unavailable') });
    await assert.rejects(drive(clock, source.token()), /^Error: failed to get token for kube-system\/node-controller: timed out waiting for the condition$/);
    assert.equal(tokenRequests(), 4);
    assert.ok(server.authenticateToken(await drive(clock, source.token())) !== undefined);
  });

  it('rejects a caller whose signal aborts while the fetch goes on for the others', async () => {
    const { clock, server, source } = world();
    server.faults.inject({ verb: 'create', resource: 'serviceaccounts/token', times: 1, error: () => apiErrors.internal('etcd unavailable') });
    const aborted = new AbortController();
    const mine = source.token(aborted.signal);
    const theirs = source.token();
    aborted.abort(new Error('controller stopping'));
    await assert.rejects(mine, /controller stopping/);
    assert.ok(server.authenticateToken(await drive(clock, theirs)) !== undefined);
  });
});
