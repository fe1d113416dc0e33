import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../clock.js';
import { apiErrors } from '../../errors.js';
import { SimulatedApiServer } from '../simulated-api-server.js';
import { HttpApiServer } from './http-api-server.js';
import type { HttpApiServerOptions } from './http-api-server.js';

async function withFace(fn: (face: HttpApiServer, sim: SimulatedApiServer) => Promise<void>, options: Partial<HttpApiServerOptions> = {}): Promise<void> {
  const sim = new SimulatedApiServer({ clock: new FakeClock() });
  const face = await HttpApiServer.start({ server: sim, ...options });
  try {
    await fn(face, sim);
  } finally {
    await face.close();
  }
}

async function call(face: HttpApiServer, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${face.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' || !text.startsWith('{') ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Reads newline-delimited JSON frames from a streaming response. */
function frames(res: Response): () => Promise<Record<string, unknown> | undefined> {
  const reader = res.body?.getReader();
  assert.ok(reader !== undefined);
  const decoder = new TextDecoder();
  let buffered = '';
  return async () => {
    for (;;) {
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return JSON.parse(line) as Record<string, unknown>;
      }
      const chunk = await reader.read();
      if (chunk.done) return undefined;
      buffered += decoder.decode(chunk.value as Uint8Array, { stream: true });
    }
  };
}

describe('HttpApiServer: health, version and discovery', () => {
  it('serves /healthz, /livez, /readyz, /version, /api, /apis and group resource lists', async () => {
    await withFace(async (face) => {
      for (const p of ['/healthz', '/livez', '/readyz']) assert.equal(await (await fetch(`${face.url}${p}`)).text(), 'ok');
      assert.equal((await call(face, 'GET', '/version')).json['gitVersion'], 'v1.34.0-outrigger.simulated');
      assert.deepEqual((await call(face, 'GET', '/api')).json['versions'], ['v1']);
      const groups = (await call(face, 'GET', '/apis')).json['groups'] as Array<{ name: string }>;
      assert.deepEqual(groups.map((g) => g.name), [
        'coordination.k8s.io',
        'discovery.k8s.io',
        'events.k8s.io',
        'rbac.authorization.k8s.io',
        'authentication.k8s.io',
        'authorization.k8s.io',
      ]);
      const core = (await call(face, 'GET', '/api/v1')).json['resources'] as Array<{ name: string; namespaced: boolean; shortNames?: string[] }>;
      assert.deepEqual(core.map((r) => r.name), [
        'configmaps',
        'endpoints',
        'events',
        'namespaces',
        'namespaces/status',
        'nodes',
        'nodes/status',
        'secrets',
        'serviceaccounts',
        'serviceaccounts/token',
        'services',
        'services/status',
      ]);
      assert.deepEqual(core.find((r) => r.name === 'services')?.shortNames, ['svc']);
      const leases = (await call(face, 'GET', '/apis/coordination.k8s.io/v1')).json['resources'] as Array<{ name: string; kind: string }>;
      assert.deepEqual(leases.map((r) => `${r.name}:${r.kind}`), ['leases:Lease']);
    });
  });

  it('writes a kubeconfig pointing at the face, readable only by its owner', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-face-'));
    try {
      await withFace(async (face) => {
        const path = join(dir, 'config');
        await face.writeKubeconfig(path, { namespace: 'kube-system' });
        const text = await readFile(path, 'utf8');
        assert.ok(text.includes(`server: "${face.url}"`));
        assert.ok(text.includes('namespace: "kube-system"'));
        assert.equal((await stat(path)).mode & 0o777, 0o600);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('HttpApiServer: REST', () => {
  it('creates (201), gets, lists with kind and metadata, updates, patches and deletes', async () => {
    await withFace(async (face) => {
      const created = await call(face, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
      assert.equal(created.status, 201);
      assert.equal((created.json['metadata'] as { namespace: string }).namespace, 'default');
      const list = await call(face, 'GET', '/api/v1/services?limit=10');
      assert.equal(list.json['kind'], 'ServiceList');
      assert.equal((list.json['items'] as unknown[]).length, 1);
      const got = await call(face, 'GET', '/api/v1/namespaces/default/services/web');
      const put = await call(face, 'PUT', '/api/v1/namespaces/default/services/web', { ...got.json, metadata: { ...(got.json['metadata'] as object), labels: { a: 'b' } } });
      assert.equal(put.status, 200);
      const patched = await call(face, 'PATCH', '/api/v1/namespaces/default/services/web/status', { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } }, 'application/merge-patch+json; charset=utf-8');
      assert.equal(patched.status, 200);
      const deleted = await call(face, 'DELETE', '/api/v1/namespaces/default/services/web');
      assert.deepEqual([deleted.status, deleted.json['status']], [200, 'Success']);
    });
  });

  const errorCases: ReadonlyArray<{ name: string; method: string; path: string; body?: unknown; contentType?: string; status: number; reason: string; message?: RegExp }> = [
    { name: 'an unknown path', method: 'GET', path: '/api/v1/pods', status: 404, reason: 'NotFound', message: /the server could not find the requested resource/ },
    { name: 'an absent object', method: 'GET', path: '/api/v1/nodes/ghost', status: 404, reason: 'NotFound', message: /^nodes "ghost" not found$/ },
    { name: 'a patch with an unsupported content type', method: 'PATCH', path: '/api/v1/nodes/n1', body: {}, contentType: 'application/json', status: 415, reason: 'UnsupportedMediaType' },
    { name: 'apply patches (not served)', method: 'PATCH', path: '/api/v1/nodes/n1', body: {}, contentType: 'application/apply-patch+yaml', status: 415, reason: 'UnsupportedMediaType' },
    { name: 'POST to an object URL', method: 'POST', path: '/api/v1/nodes/n1', body: {}, status: 405, reason: 'MethodNotAllowed' },
    { name: 'DELETE of a status subresource', method: 'DELETE', path: '/api/v1/nodes/n1/status', status: 405, reason: 'MethodNotAllowed' },
    { name: 'a body that is not JSON', method: 'POST', path: '/api/v1/nodes', body: '{nope', status: 400, reason: 'BadRequest', message: /unknown format/ },
    { name: 'a json patch that is not a list', method: 'PATCH', path: '/api/v1/nodes/n1', body: {}, contentType: 'application/json-patch+json', status: 400, reason: 'BadRequest' },
    {
      name: 'an object in another namespace than the URL',
      method: 'POST',
      path: '/api/v1/namespaces/a/services',
      body: { metadata: { name: 's', namespace: 'b' } },
      status: 400,
      reason: 'BadRequest',
      message: /does not match the namespace sent on the request/,
    },
    { name: 'an update naming another object', method: 'PUT', path: '/api/v1/nodes/n1', body: { metadata: { name: 'n2' } }, status: 400, reason: 'BadRequest', message: /does not match the name on the URL/ },
    { name: 'a non-integer limit', method: 'GET', path: '/api/v1/nodes?limit=ten', status: 400, reason: 'BadRequest', message: /limit/ },
    { name: 'stale delete preconditions', method: 'DELETE', path: '/api/v1/nodes/n1', body: { kind: 'DeleteOptions', preconditions: { uid: 'other' } }, status: 409, reason: 'Conflict' },
  ];
  for (const c of errorCases) {
    it(`answers ${c.status} ${c.reason} with a Status body for ${c.name}`, async () => {
      await withFace(async (face, sim) => {
        await sim.client().nodes.create({ metadata: { name: 'n1' } });
        const res = await call(face, c.method, c.path, c.body, c.contentType);
        assert.equal(res.status, c.status, JSON.stringify(res.json));
        assert.equal(res.json['kind'], 'Status');
        assert.equal(res.json['code'], c.status);
        assert.equal(res.json['reason'], c.reason);
        if (c.message !== undefined) assert.match(String(res.json['message']), c.message);
      });
    });
  }

  it('sends Retry-After with a 429', async () => {
    await withFace(async (face, sim) => {
      sim.faults.inject({ verb: 'list', error: apiErrors.tooManyRequests('slow down', 7) });
      const res = await call(face, 'GET', '/api/v1/nodes');
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
    });
  });

  it('with a token configured: 401 for a wrong token, 403 as system:anonymous without one (health and version excepted)', async () => {
    await withFace(
      async (face) => {
        const wrong = await fetch(`${face.url}/api/v1/nodes`, { headers: { authorization: 'Bearer wrong' } });
        assert.equal(wrong.status, 401);
        assert.equal((await fetch(`${face.url}/healthz`, { headers: { authorization: 'Bearer wrong' } })).status, 401, 'bad credentials are refused everywhere');
        for (const path of ['/healthz', '/livez', '/readyz', '/version']) assert.equal((await call(face, 'GET', path)).status, 200, path);
        // The apiserver's words (test/e2e/sandbox-differential.test.ts compares them with kube-apiserver's).
        const refused: [string, string, string, Record<string, unknown>][] = [
          ['GET', '/api', 'forbidden: User "system:anonymous" cannot get path "/api"', {}],
          ['GET', '/healthz/ping', 'forbidden: User "system:anonymous" cannot get path "/healthz/ping"', {}],
          ['GET', '/api/v1/nodes', 'nodes is forbidden: User "system:anonymous" cannot list resource "nodes" in API group "" at the cluster scope', { kind: 'nodes' }],
          ['GET', '/api/v1/nodes?watch=true', 'nodes is forbidden: User "system:anonymous" cannot watch resource "nodes" in API group "" at the cluster scope', { kind: 'nodes' }],
          ['GET', '/api/v1/nodes/n1', 'nodes "n1" is forbidden: User "system:anonymous" cannot get resource "nodes" in API group "" at the cluster scope', { name: 'n1', kind: 'nodes' }],
          [
            'PATCH',
            '/api/v1/namespaces/default/services/web/status',
            'services "web" is forbidden: User "system:anonymous" cannot patch resource "services/status" in API group "" in the namespace "default"',
            { name: 'web', kind: 'services' },
          ],
          [
            'DELETE',
            '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases',
            'leases.coordination.k8s.io is forbidden: User "system:anonymous" cannot deletecollection resource "leases" in API group "coordination.k8s.io" in the namespace "kube-system"',
            { group: 'coordination.k8s.io', kind: 'leases' },
          ],
        ];
        for (const [method, path, message, details] of refused) {
          const answer = await call(face, method, path);
          assert.equal(answer.status, 403, path);
          assert.deepEqual({ message: answer.json['message'], reason: answer.json['reason'], details: answer.json['details'] }, { message, reason: 'Forbidden', details }, `${method} ${path}`);
        }
        const ok = await fetch(`${face.url}/api/v1/nodes`, { headers: { authorization: 'Bearer t0ken' } });
        assert.equal(ok.status, 200);
        assert.ok(face.kubeconfig().includes('token: "t0ken"'));
      },
      { token: 't0ken' },
    );
  });

  it('accounts requests under their User-Agent on the simulated server', async () => {
    await withFace(async (face, sim) => {
      await fetch(`${face.url}/api/v1/nodes`, { headers: { 'user-agent': 'kubectl/v1.34' } });
      assert.deepEqual(sim.requestCounts(), [{ verb: 'list', resource: 'nodes', userAgent: 'kubectl/v1.34', count: 1 }]);
    });
  });
});

describe('HttpApiServer: watch', () => {
  it('streams events as JSON lines from a resourceVersion, then ERROR 410 for a compacted one', async () => {
    await withFace(async (face, sim) => {
      const kube = sim.client();
      await kube.nodes.create({ metadata: { name: 'a' } });
      const rv = sim.resourceVersion();
      const res = await fetch(`${face.url}/api/v1/nodes?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`);
      assert.equal(res.status, 200);
      const next = frames(res);
      await kube.nodes.create({ metadata: { name: 'b' } });
      sim.sendBookmarks();
      const added = await next();
      assert.equal(added?.['type'], 'ADDED');
      assert.equal((added?.['object'] as { metadata: { name: string } }).metadata.name, 'b');
      assert.equal((await next())?.['type'], 'BOOKMARK');
      sim.faults.closeWatches();
      assert.equal(await next(), undefined);

      sim.compactHistory();
      const stale = await fetch(`${face.url}/api/v1/nodes?watch=1&resourceVersion=${rv}`);
      const error = await frames(stale)();
      assert.equal(error?.['type'], 'ERROR');
      assert.deepEqual([(error?.['object'] as { code: number }).code, (error?.['object'] as { reason: string }).reason], [410, 'Expired']);
    });
  });

  it('ends open watches and hung requests on close()', async () => {
    const sim = new SimulatedApiServer({ clock: new FakeClock() });
    const face = await HttpApiServer.start({ server: sim });
    const res = await fetch(`${face.url}/api/v1/nodes?watch=true`);
    face.faults.inject({ pathPrefix: '/api/v1/services', action: { kind: 'hang' } });
    const hung = fetch(`${face.url}/api/v1/services`).then(
      () => 'answered',
      () => 'dropped',
    );
    await face.nextRequest((r) => r.pathname === '/api/v1/services');
    const read = res.body?.getReader().read().then(
      (r) => (r.done ? 'ended' : 'data'),
      () => 'ended',
    );
    await face.close();
    assert.equal(await read, 'ended');
    assert.equal(await hung, 'dropped');
  });
});

describe('HttpApiServer: dry run and media types (as kube-apiserver answers them)', () => {
  it('dryRun=All on POST, PUT, PATCH and DELETE persists nothing; an unknown value is 422 on the verb\'s options', async () => {
    await withFace(async (face, sim) => {
      await call(face, 'POST', '/api/v1/nodes', { metadata: { name: 'n1' } });
      const before = sim.resourceVersion();
      assert.equal((await call(face, 'POST', '/api/v1/nodes?dryRun=All', { metadata: { name: 'n2' } })).status, 201);
      assert.equal((await call(face, 'PATCH', '/api/v1/nodes/n1?dryRun=All', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).status, 200);
      assert.equal((await call(face, 'DELETE', '/api/v1/nodes/n1?dryRun=All')).status, 200);
      assert.equal((await call(face, 'DELETE', '/api/v1/nodes/n1', { apiVersion: 'v1', kind: 'DeleteOptions', dryRun: ['All'] })).status, 200);
      assert.equal(sim.resourceVersion(), before, 'nothing was written');
      assert.equal((await call(face, 'GET', '/api/v1/nodes/n2')).status, 404);
      assert.equal((await call(face, 'GET', '/api/v1/nodes/n1')).status, 200);
      const bad = await call(face, 'POST', '/api/v1/nodes?dryRun=Foo', { metadata: { name: 'n3' } });
      assert.equal(bad.status, 422);
      assert.equal(bad.json['message'], 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: ["Foo"]: supported values: "All"');
      const badDelete = await call(face, 'DELETE', '/api/v1/nodes/n1?dryRun=true');
      assert.equal(badDelete.status, 422);
      assert.match(String(badDelete.json['message']), /^DeleteOptions\.meta\.k8s\.io "" is invalid: dryRun: Unsupported value: \["true"\]/);
      assert.equal(sim.resourceVersion(), before);
      assert.equal((await call(face, 'GET', '/api/v1/nodes/n3')).status, 404);
    });
  });

  it('a DeleteOptions body wins over the query, as in kube-apiserver (a dryRun only in the query of a request with a body deletes)', async () => {
    await withFace(async (face) => {
      await call(face, 'POST', '/api/v1/nodes', { metadata: { name: 'n1' } });
      assert.equal((await call(face, 'DELETE', '/api/v1/nodes/n1?dryRun=All', { apiVersion: 'v1', kind: 'DeleteOptions' })).status, 200);
      assert.equal((await call(face, 'GET', '/api/v1/nodes/n1')).status, 404);
    });
  });

  it('a body in a media type it does not speak (protobuf) is 415 naming what it accepts, not a parse error', async () => {
    await withFace(async (face, sim) => {
      const before = sim.resourceVersion();
      const res = await call(face, 'POST', '/api/v1/namespaces/default/services', 'k8s\u0000binary', 'application/vnd.kubernetes.protobuf');
      assert.equal(res.status, 415);
      assert.equal(res.json['reason'], 'UnsupportedMediaType');
      assert.equal(res.json['message'], 'the body of the request was in an unknown format - accepted media types include: application/json');
      assert.equal(sim.resourceVersion(), before);
    });
  });

  it('a body over the limit is 413 naming the limit in force, JSON and protobuf alike, and writes nothing', async () => {
    await withFace(
      async (face, sim) => {
        const before = sim.resourceVersion();
        const big = { metadata: { name: 'big' }, data: { x: 'y'.repeat(4096) } };
        for (const [path, body, type] of [
          ['/api/v1/namespaces/default/configmaps', JSON.stringify(big), 'application/json'],
          ['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', `k8s\u0000${' '.repeat(4096)}`, 'application/vnd.kubernetes.protobuf'],
        ] as const) {
          const res = await call(face, 'POST', path, body, type);
          assert.equal(res.status, 413, path);
          assert.equal(res.json['reason'], 'RequestEntityTooLarge');
          assert.equal(res.json['message'], 'Request entity too large: limit is 1024');
        }
        assert.equal(sim.resourceVersion(), before);
      },
      { maxBodyBytes: 1024 },
    );
  });
});
