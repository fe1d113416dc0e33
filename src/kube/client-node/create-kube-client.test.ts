import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../clock.js';
import { apiErrors, KubeApiError } from '../errors.js';
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import { SimulatedApiServer } from '../memory/index.js';
import { SERVICE_ACCOUNTS } from '../resources.js';
import { HttpApiServer } from '../memory/http/index.js';
import type { RecordedRequest } from '../memory/http/index.js';
import { createKubeClient } from './create-kube-client.js';
import type { ClientNodeKubeClient, CreateKubeClientOptions } from './create-kube-client.js';
import { KubeTransportError } from './kube-transport-error.js';

interface Fixture {
  sim: SimulatedApiServer;
  face: HttpApiServer;
  client: ClientNodeKubeClient;
  close(): Promise<void>;
}

async function fixture(options: Partial<CreateKubeClientOptions> = {}, faceToken?: string, simClock = new FakeClock()): Promise<Fixture> {
  const sim = new SimulatedApiServer({ clock: simClock });
  const face = await HttpApiServer.start({ server: sim, ...(faceToken === undefined ? {} : { token: faceToken }) });
  try {
    const client = await createKubeClient({ master: face.url, env: {}, timeoutMs: 5_000, ...options });
    return {
      sim,
      face,
      client,
      close: async () => {
        client.close();
        await face.close();
      },
    };
  } catch (err) {
    await face.close();
    throw err;
  }
}

/** Polls a condition on real time with a bound: for socket I/O only, never to measure time. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (cond()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const isNodes = (r: RecordedRequest): boolean => r.pathname.startsWith('/api/v1/nodes');
const nodeRequests = (face: HttpApiServer): number => face.requests.filter(isNodes).length;

const status429 = JSON.stringify(apiErrors.tooManyRequests('slow down', 2).toStatus());

describe('createKubeClient: faults over HTTP', () => {
  it('answers a 500 without Retry-After at once with a typed InternalError from the Status body', async () => {
    const f = await fixture();
    try {
      f.sim.faults.inject({ verb: 'list', error: apiErrors.internal('etcd is sad') });
      const err = await f.client.nodes.list().then(() => assert.fail('expected failure'), (e: unknown) => e);
      assert.ok(err instanceof KubeApiError);
      assert.equal(err.status, 500);
      assert.equal(err.reason, 'InternalError');
      assert.equal(err.message, 'Internal error occurred: etcd is sad');
      assert.equal(nodeRequests(f.face), 1);
    } finally {
      await f.close();
    }
  });

  it('turns a non-Status error body into a KubeApiError for its HTTP status, quoting the body', async () => {
    const f = await fixture();
    try {
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', action: { kind: 'respond', status: 502, headers: { 'Content-Type': 'text/plain' }, body: 'bad gateway from proxy' } });
      const err = await f.client.nodes.get({ name: 'x' }).then(() => assert.fail('expected failure'), (e: unknown) => e);
      assert.ok(err instanceof KubeApiError);
      assert.equal(err.status, 502);
      assert.match(err.message, /502 .*GET \/api\/v1\/nodes\/x: bad gateway from proxy/);
    } finally {
      await f.close();
    }
  });

  it('refuses a response body over maxResponseBytes, success or error, with a protocol error, and reads the next answer normally', async () => {
    const f = await fixture({ maxResponseBytes: 4096 });
    try {
      const big = 'x'.repeat(8192);
      for (const status of [200, 500]) {
        f.face.faults.inject({ pathPrefix: '/api/v1/nodes/big', times: 1, action: { kind: 'respond', status, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ big }) } });
        const err = await f.client.nodes.get({ name: 'big' }).then(() => assert.fail('expected failure'), (e: unknown) => e);
        assert.ok(err instanceof KubeTransportError, `status ${status}: ${String(err)}`);
        assert.equal(err.failure, 'protocol');
        assert.match(err.message, /GET \/api\/v1\/nodes\/big: the server at http:\/\/127\.0\.0\.1:\d+ answered with a body over 4096 bytes/);
      }
      await f.sim.client().nodes.create({ metadata: { name: 'small' } });
      assert.equal((await f.client.nodes.get({ name: 'small' })).metadata?.name, 'small');
    } finally {
      await f.close();
    }
  });

  it('refuses a maxResponseBytes that is not a positive integer', async () => {
    await assert.rejects(createKubeClient({ master: 'http://127.0.0.1:1', env: {}, maxResponseBytes: 0 }), /maxResponseBytes must be a positive integer, got 0/);
  });

  it('retries a 429 with Retry-After after waiting that long on the clock, then succeeds', async () => {
    const clock = new FakeClock();
    const f = await fixture({ clock, timeoutMs: 60_000 });
    try {
      await f.sim.client().nodes.create({ metadata: { name: 'n1' } });
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', action: { kind: 'respond', status: 429, headers: { 'Retry-After': '2' }, body: status429 } });
      const pending = f.client.nodes.list();
      await until(() => clock.pendingTimers >= 2, 'the retry wait'); // the deadline and the Retry-After sleep
      assert.equal(nodeRequests(f.face), 1);
      assert.equal(clock.nextTimerAt(), clock.now() + 2_000);
      await clock.advance(2_000);
      const list = await pending;
      assert.deepEqual(list.items.map((n) => n.metadata?.name), ['n1']);
      assert.equal(nodeRequests(f.face), 2);
      assert.deepEqual(
        f.client.requestMetrics().map((m) => `${m.verb} ${m.resource} ${m.code} x${m.count}`),
        ['list nodes 200 x1', 'list nodes 429 x1'],
      );
    } finally {
      await f.close();
    }
  });

  it('gives up after maxRetries and surfaces the 429 with its retryAfterSeconds', async () => {
    const clock = new FakeClock();
    const f = await fixture({ clock, timeoutMs: 60_000, maxRetries: 2 });
    try {
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', times: Infinity, action: { kind: 'respond', status: 429, headers: { 'Retry-After': '1' }, body: status429 } });
      const settled = f.client.nodes.list().then(() => assert.fail('expected failure'), (e: unknown) => e);
      for (let attempt = 1; attempt <= 2; attempt++) {
        await until(() => clock.pendingTimers >= 2, `retry wait ${attempt}`);
        await clock.advance(1_000);
      }
      const err = await settled;
      assert.ok(err instanceof KubeApiError);
      assert.equal(err.status, 429);
      assert.equal(err.reason, 'TooManyRequests');
      assert.equal(err.retryAfterSeconds, 2);
      assert.equal(nodeRequests(f.face), 3);
    } finally {
      await f.close();
    }
  });

  it('does not retry a 500 that carries no Retry-After, and retries one that does', async () => {
    const clock = new FakeClock();
    const f = await fixture({ clock, timeoutMs: 60_000 });
    try {
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', action: { kind: 'respond', status: 503, headers: { 'Retry-After': '1' }, body: '' } });
      const pending = f.client.nodes.list();
      await until(() => clock.pendingTimers >= 2, 'the retry wait');
      await clock.advance(1_000);
      assert.deepEqual((await pending).items, []);
      assert.equal(nodeRequests(f.face), 2);
    } finally {
      await f.close();
    }
  });

  it('retries a GET whose connection was reset, after a pause on the clock', async () => {
    const clock = new FakeClock();
    const f = await fixture({ clock, timeoutMs: 60_000 });
    try {
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', action: { kind: 'reset' } });
      const pending = f.client.nodes.list();
      await until(() => clock.pendingTimers >= 2, 'the retry pause');
      await clock.advance(1_000);
      assert.deepEqual((await pending).items, []);
      assert.deepEqual(f.client.requestMetrics().map((m) => m.code), ['200', '<error>']);
    } finally {
      await f.close();
    }
  });

  it('reports a reset connection on a write as a KubeTransportError naming the server, without retrying', async () => {
    const f = await fixture();
    try {
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', action: { kind: 'reset' } });
      const err = await f.client.nodes.create({ metadata: { name: 'n1' } }).then(() => assert.fail('expected failure'), (e: unknown) => e);
      assert.ok(err instanceof KubeTransportError, String(err));
      assert.equal(err.failure, 'connection');
      assert.ok(err.message.includes(new URL(f.face.url).origin));
      assert.deepEqual(f.client.requestMetrics().map((m) => m.code), ['<error>']);
    } finally {
      await f.close();
    }
  });

  it('times out a request the server never answers, on the injected clock', async () => {
    const clock = new FakeClock();
    const f = await fixture({ clock, timeoutMs: 4_000 });
    try {
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', action: { kind: 'hang' } });
      const arrived = f.face.nextRequest(isNodes);
      const settled = f.client.nodes.get({ name: 'n1' }).then(() => assert.fail('expected failure'), (e: unknown) => e);
      await arrived;
      await clock.advance(4_000);
      const err = await settled;
      assert.ok(err instanceof KubeTransportError, String(err));
      assert.equal(err.failure, 'timeout');
      assert.match(err.message, /no answer from the Kubernetes API server at http:\/\/127\.0\.0\.1:\d+ within 4000 ms \(--master/);
    } finally {
      await f.close();
    }
  });

  it('times out a watch whose headers never come, and ends a watch the server never closes', async () => {
    const clock = new FakeClock();
    const f = await fixture({ clock, timeoutMs: 4_000 });
    try {
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', watch: true, action: { kind: 'hang' } });
      const arrived = f.face.nextRequest(isNodes);
      const settled = f.client.nodes.watch().then(() => assert.fail('expected failure'), (e: unknown) => e);
      await arrived;
      await clock.advance(4_000);
      assert.ok((await settled) instanceof KubeTransportError);
      // The simulated server's own clock never moves, so it never ends this watch itself.
      const stream = await f.client.nodes.watch({ timeoutSeconds: 10 });
      const it = stream[Symbol.asyncIterator]();
      const next = it.next();
      await clock.advance(10_000 + 4_000);
      assert.deepEqual(await next, { done: true, value: undefined });
    } finally {
      await f.close();
    }
  });

  it('ends a watch normally when the server ends it at timeoutSeconds', async () => {
    const simClock = new FakeClock();
    const f = await fixture({}, undefined, simClock);
    try {
      const stream = await f.client.nodes.watch({ timeoutSeconds: 5 });
      const next = stream[Symbol.asyncIterator]().next();
      await simClock.advance(5_000);
      assert.deepEqual(await next, { done: true, value: undefined });
    } finally {
      await f.close();
    }
  });

  it("honours the caller's AbortSignal while a request is in flight", async () => {
    const f = await fixture();
    try {
      f.face.faults.inject({ pathPrefix: '/api/v1/nodes', action: { kind: 'hang' } });
      const controller = new AbortController();
      const arrived = f.face.nextRequest(isNodes);
      const settled = f.client.nodes.list({ signal: controller.signal }).then(() => assert.fail('expected failure'), (e: unknown) => e);
      await arrived;
      controller.abort(new Error('shutting down'));
      const err = await settled;
      assert.ok(err instanceof Error);
      assert.equal(err.message, 'shutting down');
    } finally {
      await f.close();
    }
  });

  it('closes a watch when its AbortSignal aborts', async () => {
    const f = await fixture();
    try {
      const controller = new AbortController();
      const stream = await f.client.nodes.watch({ signal: controller.signal });
      const next = stream[Symbol.asyncIterator]().next();
      controller.abort();
      assert.deepEqual(await next, { done: true, value: undefined });
    } finally {
      await f.close();
    }
  });

  it('reports an unreachable server as a KubeTransportError naming the server and where it came from', async () => {
    const sim = new SimulatedApiServer();
    const face = await HttpApiServer.start({ server: sim });
    const url = face.url;
    await face.close();
    const client = await createKubeClient({ master: url, env: {}, timeoutMs: 5_000 });
    try {
      const err = await client.nodes.list().then(() => assert.fail('expected failure'), (e: unknown) => e);
      assert.ok(err instanceof KubeTransportError, String(err));
      assert.equal(err.failure, 'unreachable');
      assert.ok(err.message.includes(url), err.message);
      assert.match(err.message, /check that the API server is running and that --master/);
    } finally {
      client.close();
    }
  });
});

describe('createKubeClient: client-side rate limit', () => {
  it('holds --kube-api-qps/--kube-api-burst: burst requests at once, then one per 1/qps s of virtual time', async () => {
    const clock = new FakeClock();
    const f = await fixture({ clock, qps: 2, burst: 3, timeoutMs: 600_000 });
    try {
      const all = Array.from({ length: 7 }, () => f.client.nodes.list());
      const expectSent = async (n: number): Promise<void> => {
        await until(() => nodeRequests(f.face) >= n, `${n} requests`);
        // Let any request that slipped past the limiter reach the server before counting.
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        assert.equal(nodeRequests(f.face), n);
      };
      await expectSent(3);
      await clock.advance(500);
      await expectSent(4);
      await clock.advance(499);
      await expectSent(4);
      await clock.advance(1);
      await expectSent(5);
      await clock.advance(1_000);
      await expectSent(7);
      assert.equal((await Promise.all(all)).length, 7);
    } finally {
      await f.close();
    }
  });

  it('refuses a burst below 1 when a QPS limit is set', async () => {
    await assert.rejects(createKubeClient({ master: 'http://127.0.0.1:1', env: {}, qps: 5, burst: 0 }), /--kube-api-burst must be a positive integer/);
  });
});

describe('createKubeClient: what goes over the wire', () => {
  it('sends the kubeconfig token, the user agent and each patch with its content type over one keep-alive connection', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-kc-'));
    const sim = new SimulatedApiServer({ clock: new FakeClock() });
    const face = await HttpApiServer.start({ server: sim, token: 's3cret' });
    const path = join(dir, 'kubeconfig');
    await face.writeKubeconfig(path);
    const client = await createKubeClient({ kubeconfig: path, env: {}, userAgent: 'outrigger-test/1.0' });
    try {
      assert.equal(client.source, `kubeconfig ${path} (context "outrigger-simulated")`);
      await client.nodes.create({ metadata: { name: 'n1' } });
      await client.nodes.patch({ name: 'n1' }, { type: 'merge', body: { metadata: { labels: { a: '1' } } } });
      await client.nodes.patch({ name: 'n1' }, { type: 'strategic', body: { metadata: { labels: { b: '2' } } } });
      await client.nodes.patchStatus({ name: 'n1' }, { type: 'json', body: [{ op: 'add', path: '/metadata/labels/c', value: '3' }] }, { fieldManager: 'cloud-controller-manager' });
      for (let i = 0; i < 16; i++) await client.nodes.get({ name: 'n1' });
      const patches = face.requests.filter((r) => r.method === 'PATCH');
      assert.deepEqual(
        patches.map((r) => `${r.pathname} ${r.headers['content-type']}`),
        [
          '/api/v1/nodes/n1 application/merge-patch+json',
          '/api/v1/nodes/n1 application/strategic-merge-patch+json',
          '/api/v1/nodes/n1/status application/json-patch+json',
        ],
      );
      assert.equal(patches[2]?.query['fieldManager'], 'cloud-controller-manager');
      assert.ok(face.requests.every((r) => r.headers['authorization'] === 'Bearer s3cret' && r.headers['user-agent'] === 'outrigger-test/1.0'));
      assert.equal(new Set(face.requests.map((r) => r.remotePort)).size, 1, 'one keep-alive connection');
      assert.equal(sim.requestCounts().find((c) => c.verb === 'get')?.userAgent, 'outrigger-test/1.0');
    } finally {
      client.close();
      await face.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with a bearer token source, sends its token instead of the kubeconfig credentials, serves TokenRequest, and resets the source on 401', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-sa-'));
    const simClock = new FakeClock();
    const sim = new SimulatedApiServer({ clock: simClock });
    const face = await HttpApiServer.start({ server: sim, token: 'root-token' });
    const path = join(dir, 'kubeconfig');
    await face.writeKubeconfig(path);
    const root = await createKubeClient({ kubeconfig: path, env: {} });
    let current = '';
    let resets = 0;
    const source = { token: () => Promise.resolve(current), reset: () => void resets++ };
    const controller = await createKubeClient({ kubeconfig: path, env: {}, bearerToken: source });
    try {
      await root.resource(SERVICE_ACCOUNTS).create({ metadata: { namespace: 'kube-system', name: 'node-controller' } });
      const answer = await root.resource(SERVICE_ACCOUNTS).createSubresource<TokenRequest>({ namespace: 'kube-system', name: 'node-controller' }, 'token', {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: [], expirationSeconds: 3600 },
      });
      const minted = face.requests.at(-1);
      assert.equal(`${minted?.method} ${minted?.pathname}`, 'POST /api/v1/namespaces/kube-system/serviceaccounts/node-controller/token');
      assert.equal(answer.kind, 'TokenRequest');
      assert.equal(answer.spec.expirationSeconds, 3600);
      assert.equal(answer.status?.expirationTimestamp, new Date(simClock.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
      current = answer.status?.token ?? '';
      assert.equal(sim.authenticateToken(current)?.username, 'system:serviceaccount:kube-system:node-controller');

      await controller.nodes.list();
      assert.equal(face.requests.at(-1)?.headers['authorization'], `Bearer ${current}`, 'the minted token, not the kubeconfig one');
      assert.equal(resets, 0);
      // The token expires on the server's clock: the next request is refused and the source reset.
      await simClock.advance(3_600_000);
      await assert.rejects(controller.nodes.list(), (err: unknown) => err instanceof KubeApiError && err.status === 401);
      assert.equal(resets, 1);
      assert.equal(sim.authenticateToken(current), undefined);
      await assert.rejects(
        root.resource(SERVICE_ACCOUNTS).createSubresource<TokenRequest>({ namespace: 'kube-system', name: 'absent' }, 'token', { spec: { audiences: [] } }),
        (err: unknown) => err instanceof KubeApiError && err.status === 404,
      );
      await assert.rejects(
        root.resource(SERVICE_ACCOUNTS).createSubresource<TokenRequest>({ namespace: 'kube-system', name: 'node-controller' }, 'token', { spec: { audiences: [], expirationSeconds: 60 } }),
        (err: unknown) => err instanceof KubeApiError && err.status === 422 && /10 minutes/.test(err.message),
      );
    } finally {
      root.close();
      controller.close();
      await face.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('authenticates with an exec credential plugin through client-node', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-exec-'));
    const sim = new SimulatedApiServer({ clock: new FakeClock() });
    const face = await HttpApiServer.start({ server: sim, token: 'from-exec' });
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: 'from-exec' } });
    const user = [
      '  user:',
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1',
      `      command: ${JSON.stringify(process.execPath)}`,
      `      args: ["-e", ${JSON.stringify(`process.stdout.write(${JSON.stringify(credential)})`)}]`,
      '      interactiveMode: Never',
    ].join('\n');
    const path = join(dir, 'config');
    const text = face.kubeconfig().replace(/ {2}user:\n {4}token: .*/, user);
    assert.ok(text.includes('exec:') && !text.includes('token:'), text);
    await writeFile(path, text);
    const client = await createKubeClient({ kubeconfig: path, env: {} });
    try {
      assert.deepEqual((await client.nodes.list()).items, []);
      assert.equal(face.requests.at(-1)?.headers['authorization'], 'Bearer from-exec');
    } finally {
      client.close();
      await face.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('asks watches for bookmarks and a server-side timeout, and sends delete preconditions in the body', async () => {
    const f = await fixture();
    try {
      const stream = await f.client.services.watch({ namespace: 'default', allowWatchBookmarks: true, timeoutSeconds: 321, labelSelector: 'a=b' });
      stream.close();
      const watch = f.face.requests.find((r) => r.query['watch'] === 'true');
      assert.equal(watch?.pathname, '/api/v1/namespaces/default/services');
      assert.deepEqual(watch.query, { watch: 'true', labelSelector: 'a=b', allowWatchBookmarks: 'true', timeoutSeconds: '321' });
      const created = await f.client.nodes.create({ metadata: { name: 'n1' } });
      await assert.rejects(f.client.nodes.delete({ name: 'n1' }, { preconditions: { resourceVersion: '1' } }), (e: unknown) => e instanceof KubeApiError && e.status === 409);
      await f.client.nodes.delete({ name: 'n1' }, { preconditions: { uid: created.metadata?.uid ?? '' } });
      assert.deepEqual(f.sim.snapshot({ group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, hasStatus: true }), []);
    } finally {
      await f.close();
    }
  });

  it('keeps fields it does not know through a read-modify-write (no typed decoding)', async () => {
    const f = await fixture();
    try {
      await f.client.nodes.create({ metadata: { name: 'n1', labels: { a: '1' } }, spec: { podCIDR: '10.0.0.0/24' } });
      const got = await f.client.nodes.get({ name: 'n1' });
      const withFuture = { ...got, spec: { ...got.spec, futureField: 'kept' } } as typeof got;
      const updated = await f.client.nodes.update(withFuture);
      assert.equal((updated.spec as Record<string, unknown> | undefined)?.['futureField'], 'kept');
    } finally {
      await f.close();
    }
  });
});
