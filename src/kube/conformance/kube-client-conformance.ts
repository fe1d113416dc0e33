/**
 * The KubeClient conformance suite: one set of behaviour cases every KubeClient implementation
 * must pass — the simulated API server in process and the client-node adapter over HTTP — so
 * that what the simulator shows is what a cluster does (ARCHITECTURE.md convention 10, after
 * hono's shared router cases). Cases assert apiserver behaviour the cloud-controller-manager
 * relies on: CRUD, optimistic concurrency, the status subresource, finalizers, the three patch
 * types, selectors and paging, watch ordering, 410 after compaction, bookmarks and error shapes.
 *
 * @module
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeClient, WatchEvent } from '../client.js';
import { apiErrors } from '../errors.js';
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import { SERVICE_ACCOUNTS, defineResource } from '../resources.js';
import { expectError, rejection, take } from './assertions.js';
import type { KubeObject, Node, ResourceType, Service } from '../resources.js';
import type { SimulatedApiServer } from '../memory/index.js';
import type { KubeApiError } from '../errors.js';
import type { Verb } from '../memory/index.js';

/**
 * What a case may ask of the server behind the client, beyond the API itself. The simulated API
 * server offers all of it ({@link simulatedConformanceServer}); a real kube-apiserver offers what
 * a test can do to one from outside (read etcd's revision, compact etcd, TokenReview, a CRD).
 */
export interface ConformanceServer {
  /** The newest resourceVersion the server has committed (any kind). */
  currentResourceVersion(): Promise<string>;
  /**
   * Discards Lease watch history up to at least `resourceVersion` and answers a version at or
   * before it that can no longer be watched from (410). A real apiserver replays watches from its
   * watch cache, which etcd compaction does not shorten; the e2e cluster runs with the Lease watch
   * cache off, so etcd's compaction is what a Lease watch sees.
   */
  compact(resourceVersion: string): Promise<string>;
  /** The user a bearer token authenticates as, or undefined (TokenReview). */
  authenticate(token: string): Promise<string | undefined>;
  /** Serves a custom resource type on the generic path (a CRD on a real server). */
  registerResource(type: ResourceType): Promise<void>;
  /**
   * Makes open bookmark-enabled watches receive a BOOKMARK now. A real apiserver needs no nudge:
   * it sends one about 2 s before a watch's `timeoutSeconds` ends, so this may do nothing.
   */
  nudgeBookmarks(): void;
  /**
   * Ends open watches from the server side. A real apiserver ends them at their
   * `timeoutSeconds`, so this may do nothing.
   */
  endWatches(): void;
  /** Makes the next matching call fail with `error` (fault injection); absent on a real server. */
  injectError?(verb: Verb, resource: string, error: KubeApiError): void;
}

/** The {@link ConformanceServer} face of a simulated API server. */
export function simulatedConformanceServer(server: SimulatedApiServer): ConformanceServer {
  return {
    currentResourceVersion: () => Promise.resolve(server.resourceVersion()),
    compact: (resourceVersion) => {
      server.compactHistory();
      return Promise.resolve(resourceVersion);
    },
    authenticate: (token) => Promise.resolve(server.authenticateToken(token)?.username),
    registerResource: (type) => Promise.resolve(server.registerResource(type)),
    nudgeBookmarks: () => server.sendBookmarks(),
    endWatches: () => server.faults.closeWatches(),
    injectError: (verb, resource, error) => server.faults.inject({ verb, resource, error }),
  };
}

/** What one case runs against: a client and the server behind it. */
export interface KubeClientConformanceFixture {
  readonly client: KubeClient;
  readonly server: ConformanceServer;
  /** Releases sockets, servers, timers. */
  close(): Promise<void>;
}

/** A case an implementation cannot support, with the reason printed in the test report. */
export interface ConformanceSkip {
  /** The exact case name. */
  readonly case: string;
  readonly reason: string;
}

/** Options of {@link runKubeClientConformance}. */
export interface KubeClientConformanceOptions {
  /** Names the implementation in the test report. */
  readonly name: string;
  /** Builds a fresh fixture per case. */
  readonly setup: () => Promise<KubeClientConformanceFixture>;
  readonly skip?: readonly ConformanceSkip[];
  /** Safety net per case, ms (default 10 000); cases never wait on wall time otherwise. */
  readonly timeoutMs?: number;
}

interface ConformanceCase {
  readonly name: string;
  /** An optional server ability the case cannot run without (skipped, with the reason, when absent). */
  readonly needs?: 'injectError';
  run(f: KubeClientConformanceFixture): Promise<void>;
}

const NS = 'default';

const node = (name: string, labels?: Record<string, string>): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, ...(labels === undefined ? {} : { labels }) },
});

const service = (name: string, extra: { labels?: Record<string, string>; finalizers?: string[] } = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name,
    namespace: NS,
    ...(extra.labels === undefined ? {} : { labels: extra.labels }),
    ...(extra.finalizers === undefined ? {} : { finalizers: extra.finalizers }),
  },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
});

const summary = (events: ReadonlyArray<WatchEvent<KubeObject>>): string[] => events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);

const rv = (obj: KubeObject): string => obj.metadata?.resourceVersion ?? '';

const CASES: readonly ConformanceCase[] = [
  {
    name: 'create returns the stored object with uid, resourceVersion, creationTimestamp, apiVersion and kind; get returns the same',
    async run({ client }) {
      const created = await client.nodes.create(node('n1', { zone: 'a' }));
      assert.ok((created.metadata?.uid ?? '') !== '');
      assert.match(rv(created), /^\d+$/);
      assert.match(created.metadata?.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(created.apiVersion, 'v1');
      assert.equal(created.kind, 'Node');
      assert.deepEqual(await client.nodes.get({ name: 'n1' }), created);
    },
  },
  {
    name: 'namespaced create takes the namespace from the object; get needs it',
    async run({ client }) {
      const created = await client.services.create(service('web'));
      assert.equal(created.metadata?.namespace, NS);
      assert.equal((await client.services.get({ namespace: NS, name: 'web' })).metadata?.uid, created.metadata?.uid);
      await expectError(client.services.get({ namespace: 'other', name: 'web' }), 404, 'NotFound');
    },
  },
  {
    name: 'create of a taken name fails with 409 AlreadyExists',
    async run({ client }) {
      await client.nodes.create(node('n1'));
      const err = await expectError(client.nodes.create(node('n1')), 409, 'AlreadyExists', /nodes "n1" already exists/);
      assert.equal(err.details?.name, 'n1');
    },
  },
  {
    name: 'get of an absent object fails with 404 NotFound and the apiserver message and details',
    async run({ client }) {
      const err = await expectError(client.leases.get({ namespace: NS, name: 'missing' }), 404, 'NotFound');
      assert.equal(err.message, 'leases.coordination.k8s.io "missing" not found');
      assert.equal(err.details?.name, 'missing');
      assert.equal(err.details?.group, 'coordination.k8s.io');
      assert.equal(err.details?.kind, 'leases');
    },
  },
  {
    name: 'update with the current resourceVersion succeeds and assigns a newer one',
    async run({ client }) {
      const created = await client.nodes.create(node('n1'));
      const updated = await client.nodes.update({ ...created, metadata: { ...created.metadata, labels: { a: 'b' } } });
      assert.deepEqual(updated.metadata?.labels, { a: 'b' });
      assert.ok(Number(rv(updated)) > Number(rv(created)));
    },
  },
  {
    name: 'update with a stale resourceVersion fails with 409 Conflict',
    async run({ client }) {
      const created = await client.nodes.create(node('n1'));
      await client.nodes.update({ ...created, metadata: { ...created.metadata, labels: { a: '1' } } });
      await expectError(
        client.nodes.update({ ...created, metadata: { ...created.metadata, labels: { a: '2' } } }),
        409,
        'Conflict',
        /Operation cannot be fulfilled on nodes "n1": the object has been modified/,
      );
    },
  },
  {
    name: 'update of an absent object fails with 404 NotFound',
    async run({ client }) {
      await expectError(client.nodes.update(node('ghost')), 404, 'NotFound');
    },
  },
  {
    name: 'main writes ignore status and status writes ignore spec',
    async run({ client }) {
      const created = await client.services.create(service('web'));
      // ipMode given: kube-apiserver defaults it only when the *written* spec is a LoadBalancer's.
      const ingress = [{ ip: '192.0.2.1', ipMode: 'VIP' }];
      const main = await client.services.update({ ...created, status: { loadBalancer: { ingress } } });
      assert.deepEqual(main.status?.loadBalancer?.ingress ?? [], []);
      const status = await client.services.updateStatus({ ...main, spec: { ...main.spec, type: 'NodePort' }, status: { loadBalancer: { ingress } } });
      assert.equal(status.spec?.type, 'LoadBalancer');
      assert.equal(status.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.1');
    },
  },
  {
    name: 'patchStatus with a merge patch writes status; a main patch of status is ignored',
    async run({ client }) {
      await client.services.create(service('web'));
      const key = { namespace: NS, name: 'web' };
      const ignored = await client.services.patch(key, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } } } });
      assert.deepEqual(ignored.status?.loadBalancer?.ingress ?? [], []);
      const patched = await client.services.patchStatus(key, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } } } });
      assert.equal(patched.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.7');
    },
  },
  {
    name: 'finalizers may change through the status subresource',
    async run({ client }) {
      await client.services.create(service('web'));
      const patched = await client.services.patchStatus({ namespace: NS, name: 'web' }, { type: 'merge', body: { metadata: { finalizers: ['service.kubernetes.io/load-balancer-cleanup'] } } });
      assert.deepEqual(patched.metadata?.finalizers, ['service.kubernetes.io/load-balancer-cleanup']);
    },
  },
  {
    name: 'merge patch merges maps and replaces lists',
    async run({ client }) {
      await client.nodes.create({ ...node('n1', { a: '1' }), spec: { taints: [{ key: 'x', effect: 'NoSchedule' }] } });
      const patched = await client.nodes.patch({ name: 'n1' }, { type: 'merge', body: { metadata: { labels: { b: '2' } }, spec: { taints: [{ key: 'y', effect: 'NoExecute' }] } } });
      assert.deepEqual(patched.metadata?.labels, { a: '1', b: '2' });
      assert.deepEqual(patched.spec?.taints, [{ key: 'y', effect: 'NoExecute' }]);
    },
  },
  {
    name: 'strategic merge patch merges node conditions by type',
    async run({ client }) {
      await client.nodes.create(node('n1'));
      const t = '2026-01-01T00:00:00Z';
      await client.nodes.patchStatus({ name: 'n1' }, {
        type: 'strategic',
        body: { status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: t, lastTransitionTime: t }] } },
      });
      const patched = await client.nodes.patchStatus({ name: 'n1' }, {
        type: 'strategic',
        body: { status: { conditions: [{ type: 'NetworkUnavailable', status: 'False', lastHeartbeatTime: t, lastTransitionTime: t }] } },
      });
      assert.deepEqual(patched.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort(), ['NetworkUnavailable=False', 'Ready=True']);
    },
  },
  {
    name: 'json patch applies its operations in order',
    async run({ client }) {
      await client.nodes.create(node('n1', { a: '1' }));
      const patched = await client.nodes.patch({ name: 'n1' }, {
        type: 'json',
        body: [
          { op: 'add', path: '/metadata/labels/b', value: '2' },
          { op: 'remove', path: '/metadata/labels/a' },
          { op: 'add', path: '/spec', value: { unschedulable: true } },
        ],
      });
      assert.deepEqual(patched.metadata?.labels, { b: '2' });
      assert.equal(patched.spec?.unschedulable, true);
    },
  },
  {
    name: 'a resourceVersion in a patch acts as a precondition (409 when stale)',
    async run({ client }) {
      const created = await client.nodes.create(node('n1'));
      await client.nodes.patch({ name: 'n1' }, { type: 'merge', body: { metadata: { labels: { a: '1' } } } });
      await expectError(client.nodes.patch({ name: 'n1' }, { type: 'merge', body: { metadata: { resourceVersion: rv(created), labels: { a: '2' } } } }), 409, 'Conflict');
    },
  },
  {
    name: 'patch of an absent object fails with 404 NotFound',
    async run({ client }) {
      await expectError(client.nodes.patch({ name: 'ghost' }, { type: 'merge', body: { metadata: { labels: { a: '1' } } } }), 404, 'NotFound');
    },
  },
  {
    name: 'an invalid object fails with 422 Invalid and field causes',
    async run({ client }) {
      const err = await expectError(client.nodes.create({ ...node('n1'), spec: { taints: [{ key: 'x', effect: 'Sometimes' }] } }), 422, 'Invalid');
      assert.ok((err.details?.causes ?? []).some((c) => (c.field ?? '').includes('taints')), JSON.stringify(err.details));
    },
  },
  {
    name: 'delete without finalizers removes the object',
    async run({ client }) {
      await client.nodes.create(node('n1'));
      await client.nodes.delete({ name: 'n1' });
      await expectError(client.nodes.get({ name: 'n1' }), 404, 'NotFound');
      await expectError(client.nodes.delete({ name: 'n1' }), 404, 'NotFound');
    },
  },
  {
    name: 'delete with finalizers only marks the object; removing the last finalizer deletes it',
    async run({ client }) {
      await client.services.create(service('web', { finalizers: ['example.com/hold'] }));
      const key = { namespace: NS, name: 'web' };
      await client.services.delete(key);
      const marked = await client.services.get(key);
      assert.ok((marked.metadata?.deletionTimestamp ?? '') !== '');
      await client.services.patch(key, { type: 'json', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
      await expectError(client.services.get(key), 404, 'NotFound');
    },
  },
  {
    name: 'delete with stale preconditions fails with 409 Conflict; matching ones delete',
    async run({ client }) {
      const created = await client.nodes.create(node('n1'));
      const uidErr = await expectError(client.nodes.delete({ name: 'n1' }, { preconditions: { uid: 'not-the-uid' } }), 409, 'Conflict');
      assert.equal(
        uidErr.message,
        `Operation cannot be fulfilled on Node "n1": the UID in the precondition (not-the-uid) does not match the UID in record (${created.metadata?.uid ?? ''}). The object might have been deleted and then recreated`,
      );
      assert.equal(uidErr.details?.kind, 'Node');
      await expectError(client.nodes.delete({ name: 'n1' }, { preconditions: { resourceVersion: '1' } }), 409, 'Conflict', /^Operation cannot be fulfilled on Node "n1": the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record \(\d+\)\. The object might have been modified$/);
      await client.nodes.delete({ name: 'n1' }, { preconditions: { uid: created.metadata?.uid ?? '', resourceVersion: rv(created) } });
      await expectError(client.nodes.get({ name: 'n1' }), 404, 'NotFound');
    },
  },
  {
    name: 'createSubresource: a TokenRequest for an existing service account answers a token; an absent account or unknown subresource is 404',
    async run({ client, server }) {
      await client.resource(SERVICE_ACCOUNTS).create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'kube-system', name: 'route-controller' } });
      const request: TokenRequest = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3600 } };
      const answer = await client.resource(SERVICE_ACCOUNTS).createSubresource({ namespace: 'kube-system', name: 'route-controller' }, 'token', request);
      assert.equal(answer.kind, 'TokenRequest');
      assert.equal(answer.spec.expirationSeconds, 3600);
      assert.equal(await server.authenticate(answer.status?.token ?? ''), 'system:serviceaccount:kube-system:route-controller');
      await expectError(client.resource(SERVICE_ACCOUNTS).createSubresource({ namespace: 'kube-system', name: 'absent' }, 'token', request), 404, 'NotFound');
      await client.nodes.create(node('n1'));
      await expectError(client.nodes.createSubresource({ name: 'n1' }, 'bogus', {}), 404, 'NotFound');
    },
  },
  {
    name: 'list filters by label selector, field selector and namespace',
    async run({ client }) {
      await client.nodes.create(node('a', { role: 'edge' }));
      await client.nodes.create(node('b', { role: 'core' }));
      await client.nodes.create(node('c'));
      const names = (l: { items: KubeObject[] }): string[] => l.items.map((i) => i.metadata?.name ?? '').sort();
      assert.deepEqual(names(await client.nodes.list({ labelSelector: 'role=edge' })), ['a']);
      assert.deepEqual(names(await client.nodes.list({ labelSelector: 'role in (edge,core)' })), ['a', 'b']);
      assert.deepEqual(names(await client.nodes.list({ labelSelector: '!role' })), ['c']);
      assert.deepEqual(names(await client.nodes.list({ fieldSelector: 'metadata.name!=b' })), ['a', 'c']);
      await client.leases.create({ metadata: { name: 'l1', namespace: 'kube-system' } });
      await client.leases.create({ metadata: { name: 'l2', namespace: NS } });
      // Only the case's own Leases: a real apiserver keeps its identity Lease in kube-system.
      const mine = (l: { items: KubeObject[] }): string[] => names(l).filter((n) => n === 'l1' || n === 'l2');
      assert.deepEqual(mine(await client.leases.list({ namespace: 'kube-system' })), ['l1']);
      assert.deepEqual(mine(await client.leases.list()), ['l1', 'l2']);
    },
  },
  {
    name: 'a malformed label selector fails with 400 BadRequest',
    async run({ client }) {
      await expectError(client.nodes.list({ labelSelector: 'a in (' }), 400, 'BadRequest');
    },
  },
  {
    name: 'list pages with limit and continue, and reports the collection resourceVersion',
    async run({ client, server }) {
      let last: Node | undefined;
      for (const n of ['a', 'b', 'c']) last = await client.nodes.create(node(n));
      const first = await client.nodes.list({ limit: 2 });
      assert.deepEqual(first.items.map((i) => i.metadata?.name), ['a', 'b']);
      // The collection's version is the store's at the read: at least the last write, at most now
      // (a real apiserver writes its own Leases in between, so equality would be luck).
      const listed = Number(first.metadata.resourceVersion);
      assert.ok(listed >= Number(rv(last ?? {})) && listed <= Number(await server.currentResourceVersion()), `${listed}`);
      assert.equal(first.metadata.remainingItemCount, 1);
      const cont = first.metadata.continue;
      assert.ok(cont !== undefined);
      const second = await client.nodes.list({ limit: 2, continue: cont });
      assert.deepEqual(second.items.map((i) => i.metadata?.name), ['c']);
      assert.equal(second.metadata.continue, undefined);
    },
  },
  {
    name: 'watch without a resourceVersion starts with ADDED for every current object',
    async run({ client }) {
      await client.nodes.create(node('a'));
      await client.nodes.create(node('b'));
      const stream = await client.nodes.watch();
      try {
        assert.deepEqual(summary(await take(stream, 2)).sort(), ['ADDED a', 'ADDED b']);
      } finally {
        stream.close();
      }
    },
  },
  {
    name: 'watch from a list resourceVersion delivers ADDED, MODIFIED, DELETED in commit order',
    async run({ client }) {
      await client.nodes.create(node('old'));
      const list = await client.nodes.list();
      const stream = await client.nodes.watch({ resourceVersion: list.metadata.resourceVersion });
      try {
        const a = await client.nodes.create(node('a'));
        await client.nodes.patch({ name: 'a' }, { type: 'merge', body: { metadata: { labels: { x: 'y' } } } });
        await client.nodes.create(node('b'));
        await client.nodes.delete({ name: 'a' });
        const events = await take(stream, 4);
        assert.deepEqual(summary(events), ['ADDED a', 'MODIFIED a', 'ADDED b', 'DELETED a']);
        const versions = events.map((e) => Number(rv(e.object)));
        assert.deepEqual([...versions].sort((x, y) => x - y), versions);
        assert.ok(versions[0] !== undefined && versions[0] > Number(list.metadata.resourceVersion) && versions[0] === Number(rv(a)));
      } finally {
        stream.close();
      }
    },
  },
  {
    name: 'watch with a label selector sees objects entering as ADDED and leaving as DELETED',
    async run({ client }) {
      const start = (await client.nodes.list()).metadata.resourceVersion;
      const stream = await client.nodes.watch({ resourceVersion: start, labelSelector: 'pool=blue' });
      try {
        await client.nodes.create(node('red', { pool: 'red' }));
        await client.nodes.create(node('n1'));
        await client.nodes.patch({ name: 'n1' }, { type: 'merge', body: { metadata: { labels: { pool: 'blue' } } } });
        await client.nodes.patch({ name: 'n1' }, { type: 'merge', body: { metadata: { labels: { pool: 'green' } } } });
        assert.deepEqual(summary(await take(stream, 2)), ['ADDED n1', 'DELETED n1']);
      } finally {
        stream.close();
      }
    },
  },
  {
    name: 'watch from a resourceVersion older than the retained history fails with 410 Expired after compaction',
    async run({ client, server }) {
      await client.leases.create({ metadata: { name: 'a', namespace: NS } });
      const old = (await client.leases.list({ namespace: NS })).metadata.resourceVersion ?? '';
      await client.leases.create({ metadata: { name: 'b', namespace: NS } });
      const expired = await server.compact(old);
      const stream = await client.leases.watch({ namespace: NS, resourceVersion: expired });
      const err = await rejection(take(stream, 1));
      assert.equal(err.status, 410);
      assert.equal(err.reason, 'Expired');
      // The watch cache says "too old resource version: 5 (9)"; etcd "… for the provided watch is too old."
      assert.match(err.message, /too old/);
    },
  },
  {
    name: 'watch with allowWatchBookmarks receives a BOOKMARK carrying the current resourceVersion',
    async run({ client, server }) {
      const start = (await client.nodes.list()).metadata.resourceVersion;
      const stream = await client.nodes.watch({ resourceVersion: start, allowWatchBookmarks: true, timeoutSeconds: 5 });
      try {
        const a = await client.nodes.create(node('a'));
        server.nudgeBookmarks();
        const events = await take(stream, 2);
        assert.deepEqual(events.map((e) => e.type), ['ADDED', 'BOOKMARK']);
        const bookmarked = Number(events[1]?.object.metadata?.resourceVersion);
        assert.ok(bookmarked >= Number(rv(a)) && bookmarked <= Number(await server.currentResourceVersion()), `${bookmarked}`);
      } finally {
        stream.close();
      }
    },
  },
  {
    name: 'watch ends normally when the server closes it, after the events already sent',
    async run({ client, server }) {
      const start = (await client.nodes.list()).metadata.resourceVersion;
      const stream = await client.nodes.watch({ resourceVersion: start, timeoutSeconds: 3 });
      await client.nodes.create(node('a'));
      const first = await take(stream, 1);
      assert.deepEqual(summary(first), ['ADDED a']);
      server.endWatches();
      assert.deepEqual(await take(stream, 1), []);
    },
  },
  {
    name: 'closing a watch ends a pending iteration',
    async run({ client }) {
      const stream = await client.nodes.watch({ resourceVersion: (await client.nodes.list()).metadata.resourceVersion });
      const pending = take(stream, 1);
      stream.close();
      assert.deepEqual(await pending, []);
    },
  },
  {
    name: 'an injected API error reaches the caller with its status, reason, message and details',
    needs: 'injectError',
    async run({ client, server }) {
      await client.services.create(service('web'));
      server.injectError?.('patch', 'services/status', apiErrors.conflict('services', '', 'web', 'injected'));
      const err = await expectError(
        client.services.patchStatus({ namespace: NS, name: 'web' }, { type: 'merge', body: { status: {} } }),
        409,
        'Conflict',
        /^Operation cannot be fulfilled on services "web": injected$/,
      );
      assert.equal(err.details?.name, 'web');
      assert.equal(err.details?.kind, 'services');
    },
  },
  {
    name: 'a real conflict reaches the caller with its status, reason, message and details',
    async run({ client }) {
      const created = await client.services.create(service('web'));
      await client.services.patch({ namespace: NS, name: 'web' }, { type: 'merge', body: { metadata: { labels: { a: '1' } } } });
      const err = await expectError(
        client.services.patchStatus({ namespace: NS, name: 'web' }, { type: 'merge', body: { metadata: { resourceVersion: rv(created) }, status: {} } }),
        409,
        'Conflict',
        /^Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again$/,
      );
      assert.equal(err.details?.name, 'web');
      assert.equal(err.details?.kind, 'services');
    },
  },
  {
    name: 'strategic merge patch replaces node taints whole (listType=atomic)',
    async run({ client }) {
      await client.nodes.create({ ...node('n1'), spec: { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }] } });
      const patched = await client.nodes.patch({ name: 'n1' }, { type: 'strategic', body: { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } } });
      assert.deepEqual(patched.spec?.taints?.map((t) => t.key), ['b']);
    },
  },
  {
    name: 'strategic merge patch merges finalizers as a set and node addresses by type',
    async run({ client }) {
      await client.services.create(service('web', { finalizers: ['example.com/a'] }));
      const patched = await client.services.patch({ namespace: NS, name: 'web' }, { type: 'strategic', body: { metadata: { finalizers: ['example.com/b', 'example.com/a'] } } });
      // The patch's order first, then the kept ones (kube-apiserver's set merge).
      assert.deepEqual(patched.metadata?.finalizers, ['example.com/b', 'example.com/a']);
      await client.nodes.create(node('n1'));
      await client.nodes.patchStatus({ name: 'n1' }, { type: 'strategic', body: { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'n1' }] } } });
      const merged = await client.nodes.patchStatus({ name: 'n1' }, { type: 'strategic', body: { status: { addresses: [{ type: 'ExternalIP', address: '192.0.2.1' }] } } });
      assert.deepEqual(merged.status?.addresses?.map((a) => a.type), ['ExternalIP', 'InternalIP', 'Hostname']);
      await client.services.patch({ namespace: NS, name: 'web' }, { type: 'merge', body: { metadata: { finalizers: null } } });
    },
  },
  {
    name: 'a status patch to a Service keeps its spec and a main patch cannot clear status',
    async run({ client }) {
      await client.services.create(service('web'));
      const key = { namespace: NS, name: 'web' };
      await client.services.patchStatus(key, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'Proxy' }] } }, spec: { type: 'ClusterIP' } } });
      const after = await client.services.patch(key, { type: 'merge', body: { status: { loadBalancer: null }, metadata: { labels: { x: 'y' } } } });
      assert.equal(after.spec?.type, 'LoadBalancer');
      assert.deepEqual(after.status?.loadBalancer?.ingress, [{ ip: '192.0.2.10', ipMode: 'Proxy' }]);
    },
  },
  {
    name: 'a status patch giving a LoadBalancer ingress an ip without ipMode gets ipMode VIP',
    async run({ client }) {
      await client.services.create(service('web'));
      const patched = await client.services.patchStatus({ namespace: NS, name: 'web' }, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { hostname: 'lb.example.com' }] } } } });
      assert.deepEqual(patched.status?.loadBalancer?.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }, { hostname: 'lb.example.com' }]);
    },
  },
  {
    name: 'a Service of type LoadBalancer gets a ClusterIP and a nodePort per port from the server',
    async run({ client }) {
      const created = await client.services.create(service('web'));
      assert.match(created.spec?.clusterIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      const nodePort = created.spec?.ports?.[0]?.nodePort ?? 0;
      assert.ok(nodePort >= 30000 && nodePort <= 32767, `${nodePort}`);
    },
  },
  {
    name: 'an invalid Service fails with 422 Invalid naming the field',
    async run({ client }) {
      const bad: Service = { ...service('web'), spec: { type: 'LoadBalancer', ports: [{ port: 70000, protocol: 'TCP' }] } };
      const err = await expectError(client.services.create(bad), 422, 'Invalid');
      assert.ok((err.details?.causes ?? []).some((c) => c.field === 'spec.ports[0].port'), JSON.stringify(err.details));
    },
  },
  {
    name: 'dryRun create answers the object without a resourceVersion, stores nothing and notifies no watch',
    async run({ client }) {
      const start = (await client.nodes.list()).metadata.resourceVersion;
      const answer = await client.nodes.create(node('dry', { a: 'b' }), { dryRun: true });
      assert.equal(answer.metadata?.name, 'dry');
      assert.equal(answer.metadata?.labels?.['a'], 'b');
      assert.equal(answer.metadata?.resourceVersion, undefined);
      await expectError(client.nodes.get({ name: 'dry' }), 404, 'NotFound');
      // The next real write is the first thing a watch from before sees.
      const stream = await client.nodes.watch({ resourceVersion: start });
      try {
        await client.nodes.create(node('real'));
        assert.deepEqual(summary(await take(stream, 1)), ['ADDED real']);
      } finally {
        stream.close();
      }
    },
  },
  {
    name: 'dryRun update, patch, status patch and delete answer as if done and change nothing',
    async run({ client }) {
      const created = await client.services.create(service('web'));
      const key = { namespace: NS, name: 'web' };
      const updated = await client.services.update({ ...created, metadata: { ...created.metadata, labels: { u: '1' } } }, { dryRun: true });
      assert.equal(updated.metadata?.labels?.['u'], '1');
      const patched = await client.services.patch(key, { type: 'merge', body: { metadata: { labels: { p: '1' } } } }, { dryRun: true });
      assert.equal(patched.metadata?.labels?.['p'], '1');
      const status = await client.services.patchStatus(key, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.9', ipMode: 'VIP' }] } } } }, { dryRun: true });
      assert.equal(status.status?.loadBalancer?.ingress?.[0]?.ip, '192.0.2.9');
      await client.services.delete(key, { dryRun: true });
      const after = await client.services.get(key);
      assert.equal(after.metadata?.resourceVersion, created.metadata?.resourceVersion);
      assert.equal(after.metadata?.labels, undefined);
      assert.deepEqual(after.status?.loadBalancer ?? {}, {});
      // A dry run is checked as the real write would be.
      await expectError(client.services.delete({ namespace: NS, name: 'ghost' }, { dryRun: true }), 404, 'NotFound');
      await expectError(client.services.patch(key, { type: 'merge', body: { spec: { ports: [{ port: 70000 }] } } }, { dryRun: true }), 422, 'Invalid');
    },
  },
  {
    name: 'an unknown resource fails with 404 NotFound',
    async run({ client }) {
      // A known group version answers a Status; an unknown group gets the mux's plain "404 page not found".
      const gadgets = defineResource({ group: '', version: 'v1', resource: 'gadgets', kind: 'Gadget', namespaced: true, hasStatus: false });
      await expectError(client.resource(gadgets).list({ namespace: NS }), 404, 'NotFound', /^the server could not find the requested resource$/);
      const widgets = defineResource({ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true, hasStatus: false });
      await expectError(client.resource(widgets).list({ namespace: NS }), 404, 'NotFound');
    },
  },
  {
    name: 'a registered resource is served on the generic path',
    async run({ client, server }) {
      const widgets = defineResource<KubeObject & { spec?: { size?: number } }>({
        group: 'example.com',
        version: 'v1',
        resource: 'widgets',
        kind: 'Widget',
        namespaced: true,
        hasStatus: true,
      });
      await server.registerResource(widgets);
      const w = client.resource(widgets);
      await w.create({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: NS }, spec: { size: 3 } });
      const patched = await w.patch({ namespace: NS, name: 'w1' }, { type: 'merge', body: { spec: { size: 4 } } });
      assert.equal(patched.spec?.size, 4);
      assert.deepEqual((await w.list({ namespace: NS })).items.map((i) => i.metadata?.name), ['w1']);
    },
  },
  {
    name: "an aborted signal rejects reads, writes and watches with the signal's reason",
    async run({ client }) {
      const controller = new AbortController();
      controller.abort(new Error('caller gave up'));
      const { signal } = controller;
      await assert.rejects(client.nodes.list({ signal }), /caller gave up/);
      await assert.rejects(client.nodes.create(node('n1'), { signal }), /caller gave up/);
      await assert.rejects(client.nodes.watch({ signal }), /caller gave up/);
      await expectError(client.nodes.get({ name: 'n1' }), 404, 'NotFound');
    },
  },
];

/** The names of every case, for skip lists. */
export const KUBE_CLIENT_CONFORMANCE_CASES: readonly string[] = CASES.map((c) => c.name);

/**
 * Registers the conformance cases with `node:test` under `describe('KubeClient conformance: <name>')`.
 *
 * @example
 * ```ts
 * runKubeClientConformance({
 *   name: 'simulated API server',
 *   setup: async () => {
 *     const server = new SimulatedApiServer();
 *     return { client: server.client(), server: simulatedConformanceServer(server), close: async () => {} };
 *   },
 * });
 * ```
 */
export function runKubeClientConformance(options: KubeClientConformanceOptions): void {
  const skips = new Map((options.skip ?? []).map((s) => [s.case, s.reason]));
  for (const name of skips.keys()) {
    if (!KUBE_CLIENT_CONFORMANCE_CASES.includes(name)) throw new Error(`runKubeClientConformance(${options.name}): unknown case in skip list: ${name}`);
  }
  void describe(`KubeClient conformance: ${options.name}`, () => {
    for (const c of CASES) {
      const reason = skips.get(c.name);
      void it(c.name, { timeout: options.timeoutMs ?? 10_000, ...(reason === undefined ? {} : { skip: reason }) }, async (t) => {
        const fixture = await options.setup();
        try {
          if (c.needs !== undefined && fixture.server[c.needs] === undefined) {
            t.skip(`this server offers no ${c.needs}`);
            return;
          }
          await c.run(fixture);
        } finally {
          await fixture.close();
        }
      });
    }
  });
}
