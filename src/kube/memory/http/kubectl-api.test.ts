import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../clock.js';
import { SimulatedApiServer } from '../simulated-api-server.js';
import { HttpApiServer } from './http-api-server.js';

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

async function withFace(fn: (face: HttpApiServer, sim: SimulatedApiServer, clock: FakeClock) => Promise<void>): Promise<void> {
  const clock = new FakeClock();
  const sim = new SimulatedApiServer({ clock, namespaceLifecycle: true });
  const face = await HttpApiServer.start({ server: sim });
  try {
    await fn(face, sim, clock);
  } finally {
    await face.close();
  }
}

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function call(face: HttpApiServer, method: string, path: string, options: { body?: unknown; accept?: string; contentType?: string; raw?: Uint8Array } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.accept !== undefined) headers['accept'] = options.accept;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`${face.url}${path}`, {
    method,
    headers,
    ...(options.raw !== undefined ? { body: options.raw } : options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] } };

describe('HttpApiServer: what kubectl needs', () => {
  it('answers aggregated discovery (v2) with scopes, short names and categories when asked for it', async () => {
    await withFace(async (face) => {
      const core = await call(face, 'GET', '/api', { accept: AGGREGATED });
      assert.equal(core.headers.get('content-type'), 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
      const items = core.json['items'] as Array<{ versions: Array<{ resources: Array<Record<string, unknown>> }> }>;
      const svc = items[0]?.versions[0]?.resources.find((r) => r['resource'] === 'services');
      assert.deepEqual(svc?.['shortNames'], ['svc']);
      assert.deepEqual(svc?.['categories'], ['all']);
      assert.equal(svc?.['scope'], 'Namespaced');
      const groups = (await call(face, 'GET', '/apis', { accept: AGGREGATED })).json['items'] as Array<{ metadata: { name: string } }>;
      assert.ok(groups.some((g) => g.metadata.name === 'authorization.k8s.io'));
      assert.deepEqual((await call(face, 'GET', '/api')).json['versions'], ['v1'], 'plain JSON discovery still served');
    });
  });

  it('answers a Table with the printer columns for lists and single objects', async () => {
    await withFace(async (face, _sim, clock) => {
      assert.equal((await call(face, 'POST', '/api/v1/namespaces/default/services', { body: service })).status, 201);
      clock.advance(75_000);
      const table = await call(face, 'GET', '/api/v1/namespaces/default/services', { accept: TABLE });
      assert.equal(table.json['kind'], 'Table');
      assert.equal(table.json['apiVersion'], 'meta.k8s.io/v1');
      const columns = (table.json['columnDefinitions'] as Array<{ name: string }>).map((c) => c.name);
      assert.deepEqual(columns, ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
      const rows = table.json['rows'] as Array<{ cells: unknown[]; object: { kind: string } }>;
      assert.deepEqual(rows[0]?.cells, ['web', 'LoadBalancer', '10.96.0.10', '<pending>', '80:30000/TCP', '75s', 'app=web']);
      assert.equal(rows[0]?.object.kind, 'PartialObjectMetadata');
      const one = await call(face, 'GET', '/api/v1/namespaces/default/services/web?includeObject=Object', { accept: TABLE });
      assert.equal((one.json['rows'] as Array<{ object: { kind: string } }>)[0]?.object.kind, 'Service');
      const bad = await call(face, 'GET', '/api/v1/namespaces/default/services?includeObject=All', { accept: TABLE });
      assert.equal(bad.status, 400);
    });
  });

  it('watch-list: the current objects, then the initial-events-end BOOKMARK, then changes', async () => {
    await withFace(async (face, sim) => {
      await call(face, 'POST', '/api/v1/namespaces/default/services', { body: service });
      const refused = await call(face, 'GET', '/api/v1/namespaces/default/services?watch=1&sendInitialEvents=true');
      assert.equal(refused.status, 422);
      assert.match(String(refused.json['message']), /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
      const controller = new AbortController();
      const res = await fetch(`${face.url}/api/v1/namespaces/default/services?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`, {
        signal: controller.signal,
      });
      const reader = res.body?.getReader();
      assert.ok(reader !== undefined);
      let buffered = '';
      const frames: Array<{ type: string; object: { metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> } } }> = [];
      const next = async (): Promise<void> => {
        while (!buffered.includes('\n')) {
          const chunk = await reader.read();
          assert.ok(!chunk.done, 'stream ended early');
          buffered += new TextDecoder().decode(chunk.value as Uint8Array);
        }
        const nl = buffered.indexOf('\n');
        frames.push(JSON.parse(buffered.slice(0, nl)) as (typeof frames)[number]);
        buffered = buffered.slice(nl + 1);
      };
      await next();
      await next();
      assert.deepEqual(frames.map((f) => f.type), ['ADDED', 'BOOKMARK']);
      assert.equal(frames[0]?.object.metadata.name, 'web');
      assert.deepEqual(frames[1]?.object.metadata, { resourceVersion: sim.resourceVersion(), annotations: { 'k8s.io/initial-events-end': 'true' } });
      await sim.client().services.patchStatus({ namespace: 'default', name: 'web' }, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '127.0.0.9' }] } } } });
      await next();
      assert.equal(frames[2]?.type, 'MODIFIED');
      controller.abort();
    });
  });

  it('watches in Table form for kubectl get -w: one row per event, column definitions with the first only', async () => {
    await withFace(async (face, sim) => {
      await call(face, 'POST', '/api/v1/namespaces/default/services', { body: service });
      const controller = new AbortController();
      const res = await fetch(`${face.url}/api/v1/namespaces/default/services?watch=1`, { headers: { accept: TABLE }, signal: controller.signal });
      const reader = res.body?.getReader();
      assert.ok(reader !== undefined);
      let buffered = '';
      const next = async (): Promise<{ type: string; object: { kind: string; columnDefinitions: unknown[]; rows: Array<{ cells: unknown[] }> } }> => {
        while (!buffered.includes('\n')) {
          const chunk = await reader.read();
          assert.ok(!chunk.done, 'stream ended early');
          buffered += new TextDecoder().decode(chunk.value as Uint8Array);
        }
        const nl = buffered.indexOf('\n');
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return JSON.parse(line) as Awaited<ReturnType<typeof next>>;
      };
      const added = await next();
      assert.equal(added.object.kind, 'Table');
      assert.equal(added.object.columnDefinitions.length, 7);
      await sim.client().services.patchStatus({ namespace: 'default', name: 'web' }, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '127.0.0.9' }] } } } });
      const modified = await next();
      assert.equal(modified.type, 'MODIFIED');
      assert.deepEqual(modified.object.columnDefinitions, []);
      assert.equal(modified.object.rows[0]?.cells[3], '127.0.0.9');
      controller.abort();
    });
  });

  it('validates fields: Strict refuses unknown ones in the apiserver’s words, Warn sends Warning headers', async () => {
    await withFace(async (face) => {
      const body = { ...service, spec: { ...service.spec, foo: 1 } };
      const strict = await call(face, 'POST', '/api/v1/namespaces/default/services?fieldValidation=Strict', { body });
      assert.equal(strict.status, 400);
      assert.equal(strict.json['message'], 'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"');
      const warn = await call(face, 'POST', '/api/v1/namespaces/default/services?dryRun=All', { body });
      assert.equal(warn.status, 201);
      assert.equal(warn.headers.get('warning'), '299 - "unknown field \\"spec.foo\\""');
    });
  });

  it('refuses server-side apply with 415 naming the patch type; deletes collections by selector', async () => {
    await withFace(async (face, sim) => {
      const ssa = await call(face, 'PATCH', '/api/v1/namespaces/default/services/web?fieldManager=me', { body: service, contentType: 'application/apply-patch+yaml' });
      assert.equal(ssa.status, 415);
      assert.match(String(ssa.json['message']), /application\/apply-patch\+yaml: server-side apply is not supported/);
      await call(face, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'a', labels: { x: '1' } } } });
      await call(face, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'b' } } });
      const deleted = await call(face, 'DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=x%3D1');
      assert.equal(deleted.status, 200);
      assert.deepEqual((deleted.json['items'] as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name), ['a']);
      assert.deepEqual(sim.snapshot({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, hasStatus: false }).map((c) => c.metadata?.name), ['b']);
    });
  });

  it('answers SubjectAccessReview from stored RBAC, SelfSubjectAccessReview (JSON and protobuf) and TokenReview', async () => {
    await withFace(async (face) => {
      await call(face, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { body: { metadata: { name: 'm' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/metrics'] }] } });
      await call(face, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        body: { metadata: { name: 'm' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'm' }, subjects: [{ kind: 'User', name: 'prom' }] },
      });
      const sar = (user: string): Promise<Answer> =>
        call(face, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', { body: { spec: { user, nonResourceAttributes: { path: '/metrics', verb: 'get' } } } });
      assert.equal(((await sar('prom')).json['status'] as { allowed: boolean }).allowed, true);
      assert.equal(((await sar('eve')).json['status'] as { allowed: boolean }).allowed, false);
      const self = await call(face, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { body: { spec: { resourceAttributes: { verb: 'delete', resource: 'nodes' } } } });
      assert.equal(self.status, 201);
      assert.deepEqual(self.json['status'], { allowed: true }, 'the face’s own user is a cluster admin');
      const proto = await call(face, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { raw: ssarProtobuf('create', 'services', 'default'), contentType: 'application/vnd.kubernetes.protobuf' });
      assert.equal(proto.status, 201);
      assert.deepEqual((proto.json['spec'] as Record<string, unknown>)['resourceAttributes'], { verb: 'create', resource: 'services', namespace: 'default' });
      const cm = await call(face, 'POST', '/api/v1/namespaces/default/configmaps', { raw: configMapProtobuf('demo', { a: 'b' }), contentType: 'application/vnd.kubernetes.protobuf' });
      assert.equal(cm.status, 201, 'kubectl create configmap sends protobuf');
      assert.deepEqual([cm.json['kind'], (cm.json['metadata'] as { name: string }).name, cm.json['data']], ['ConfigMap', 'demo', { a: 'b' }]);
      const node = await call(face, 'POST', '/api/v1/nodes', { raw: configMapProtobuf('n', {}), contentType: 'application/vnd.kubernetes.protobuf' });
      assert.equal(node.status, 415, 'protobuf of other kinds is refused');
      const token = await call(face, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', { body: { spec: { token: 'not-issued' } } });
      assert.equal((token.json['status'] as { authenticated?: boolean }).authenticated, undefined);
    });
  });
});

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return out;
};
const field = (n: number, bytes: number[]): number[] => [...varint((n << 3) | 2), ...varint(bytes.length), ...bytes];
const str = (s: string): number[] => [...Buffer.from(s, 'utf8')];

describe('HttpApiServer: TokenReview for delegated authentication', () => {
  it('authenticates the face’s token as its admin and minted ServiceAccount tokens as the account; not others', async () => {
    const sim = new SimulatedApiServer({ clock: new FakeClock(), namespaceLifecycle: true });
    const face = await HttpApiServer.start({ server: sim, token: 'face-token' });
    try {
      const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
        const res = await fetch(`${face.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer face-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
        assert.equal(res.status, 201, path);
        return (await res.json()) as Record<string, unknown>;
      };
      const review = async (token: string): Promise<unknown> => (await post('/apis/authentication.k8s.io/v1/tokenreviews', { spec: { token } }))['status'];
      assert.deepEqual(await review('face-token'), { authenticated: true, user: { username: 'outrigger-admin', groups: ['system:masters', 'system:authenticated'] } });
      await post('/api/v1/namespaces/kube-system/serviceaccounts', { metadata: { name: 'scraper' } });
      const minted = await post('/api/v1/namespaces/kube-system/serviceaccounts/scraper/token', { spec: {} });
      const token = (minted['status'] as { token: string }).token;
      const status = (await review(token)) as { authenticated: boolean; user: { username: string } };
      assert.equal(status.user.username, 'system:serviceaccount:kube-system:scraper');
      assert.deepEqual(await review('guess'), { user: {}, error: 'invalid bearer token' });
    } finally {
      await face.close();
    }
  });
});

/** A ConfigMap in kube-apiserver's protobuf envelope, as kubectl create configmap sends it. */
function configMapProtobuf(name: string, data: Record<string, string>): Uint8Array {
  const entries = Object.entries(data).flatMap(([k, v]) => field(2, [...field(1, str(k)), ...field(2, str(v))]));
  const raw = [...field(1, field(1, str(name))), ...entries];
  const typeMeta = [...field(1, str('v1')), ...field(2, str('ConfigMap'))];
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...field(1, typeMeta), ...field(2, raw)]);
}

/** A SelfSubjectAccessReview in kube-apiserver's protobuf envelope, as kubectl auth can-i sends it. */
function ssarProtobuf(verb: string, resource: string, namespace: string): Uint8Array {
  const attributes = [...field(1, str(namespace)), ...field(2, str(verb)), ...field(5, str(resource))];
  const review = field(2, field(1, attributes));
  const typeMeta = [...field(1, str('authorization.k8s.io/v1')), ...field(2, str('SelfSubjectAccessReview'))];
  return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...field(1, typeMeta), ...field(2, review), ...field(4, str('application/vnd.kubernetes.protobuf'))]);
}

describe('HttpApiServer: impersonation (kubectl --as) gives the groups kube-apiserver gives', () => {
  it('system:anonymous gets system:unauthenticated (not system:authenticated); a ServiceAccount its system:serviceaccounts groups', async () => {
    await withFace(async (face) => {
      const whoami = async (headers: Record<string, string>): Promise<unknown> => {
        const res = await fetch(`${face.url}/apis/authentication.k8s.io/v1/selfsubjectreviews`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
        return ((await res.json()) as { status: { userInfo: unknown } }).status.userInfo;
      };
      assert.deepEqual(await whoami({ 'impersonate-user': 'system:anonymous' }), { username: 'system:anonymous', groups: ['system:unauthenticated'] });
      assert.deepEqual(await whoami({ 'impersonate-user': 'jane' }), { username: 'jane', groups: ['system:authenticated'] });
      assert.deepEqual(await whoami({ 'impersonate-user': 'jane', 'impersonate-group': 'system:unauthenticated' }), { username: 'jane', groups: ['system:unauthenticated'] });
      assert.deepEqual(await whoami({ 'impersonate-user': 'system:serviceaccount:kube-system:ccm' }), {
        username: 'system:serviceaccount:kube-system:ccm',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      });
      // What `kubectl auth can-i --as=system:anonymous` asks: a grant to every authenticated user is not one to anonymous.
      await call(face, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { body: { metadata: { name: 'list-nodes' }, rules: [{ verbs: ['list'], apiGroups: [''], resources: ['nodes'] }] } });
      await call(face, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        body: { metadata: { name: 'list-nodes' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'list-nodes' }, subjects: [{ kind: 'Group', name: 'system:authenticated' }] },
      });
      const canList = async (user: string): Promise<unknown> => {
        const res = await fetch(`${face.url}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'impersonate-user': user },
          body: JSON.stringify({ spec: { resourceAttributes: { verb: 'list', resource: 'nodes' } } }),
        });
        return ((await res.json()) as { status: { allowed: boolean } }).status.allowed;
      };
      assert.equal(await canList('jane'), true);
      assert.equal(await canList('system:anonymous'), false);
    });
  });
});
