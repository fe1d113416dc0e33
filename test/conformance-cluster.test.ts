// The cluster level of the conformance suite, validated: pointed through a kubeconfig and the
// client-node adapter at the real Outrigger manager (fake provider) running in-process on the
// simulated API's HTTP face (loopback), the unmutated manager passes every case (the control);
// each deliberately broken manager — a mutant, one upstream rule broken — makes the case covering
// that rule FAIL with a message naming the case and what was missing. Wall clock, bounded: each
// case has a deadline, the mutants run side by side.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { InstanceMetadata, InstancesV2, LoadBalancer } from '../src/cloud/index.js';
import type { CloudProvider } from '../src/cloud/provider.js';
import { ConfigFileError } from '../src/input/yaml-config.js';
import type { KubeClient, Patch, ResourceClient } from '../src/kube/client.js';
import { createKubeClient } from '../src/kube/client-node/index.js';
import { EVENTS, NODES, SERVICES } from '../src/kube/resources.js';
import type { Event } from '../src/kube/resources.js';
import { cleanupClusterConformance, clusterConformanceCases, formatJunit, formatMatrix, parseConformanceFixture, runClusterConformance, CLUSTER_CASES } from '../src/conformance/index.js';
import type { ClusterConformanceReport, ConformanceFixture } from '../src/conformance/index.js';
import { runConformanceCommand } from '../src/cli/conformance.js';
import { localCloud, mapReads, startHarness, withResource } from './conformance-cluster-harness.js';
import type { HarnessCluster, Mutant } from './conformance-cluster-harness.js';

const FIXTURE = join(import.meta.dirname, '../src/conformance/testdata/cluster-fake-fixture.yaml');
/** Deadline of each case: generous for the steps that must succeed, and what a mutant waits out. */
const CASE_TIMEOUT_MS = 15_000;
const UNINITIALIZED = 'node.cloudprovider.kubernetes.io/uninitialized';
const FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';
const EXCLUDE = 'node.kubernetes.io/exclude-from-external-load-balancers';

async function fixture(): Promise<ConformanceFixture> {
  return parseConformanceFixture(await readFile(FIXTURE, 'utf8'), FIXTURE, 'cluster');
}

/** Runs the suite (or the cases `only` names) against a harness, as the CLI does: kubeconfig → adapter. */
async function runAgainst(h: HarnessCluster, only?: string[], f?: ConformanceFixture): Promise<ClusterConformanceReport> {
  const kube = await createKubeClient({ kubeconfig: h.kubeconfig, userAgent: 'outrigger-conformance' });
  try {
    return await runClusterConformance({ kube, clusterName: 'harness', fixture: f ?? (await fixture()), only, caseTimeoutMs: CASE_TIMEOUT_MS, cleanupTimeoutMs: 1_000, pollMs: 50 });
  } finally {
    kube.close();
  }
}

function summary(report: ClusterConformanceReport): Record<string, string> {
  return Object.fromEntries(report.results.map((r) => [r.id, r.status === 'passed' ? 'passed' : `${r.status}: ${r.message ?? ''}`]));
}

// ---------------------------------------------------------------------------------------------
// Mutant building blocks.

/** `target` with some members replaced; the rest answer as before, bound to `target` (private fields keep working). */
function override<T extends object>(target: T, members: Partial<T>): T {
  // The proxy's own target is a blank object: a frozen `target` (capability objects are) would
  // forbid a proxy on it to answer anything but its own values.
  return new Proxy({} as T, {
    get(_blank, key) {
      if (Object.hasOwn(members, key)) return (members as Record<PropertyKey, unknown>)[key];
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
    has: (_blank, key) => Object.hasOwn(members, key) || Reflect.has(target, key),
  });
}

/** A provider whose instance metadata passes through `map`. */
function metadataMutant(map: (m: InstanceMetadata, node: Readonly<Node>) => InstanceMetadata): Mutant {
  return {
    provider: (p: CloudProvider) =>
      override(p, {
        instancesV2: (): InstancesV2 | undefined => {
          const v2 = p.instancesV2?.();
          if (v2 === undefined) return undefined;
          return override(v2, {
            instanceMetadata: async (node, o) => {
              const m = await v2.instanceMetadata(node, o);
              return m === undefined ? undefined : map(m, node);
            },
          });
        },
      }),
  };
}

/** A manager whose `agent` client writes Services' status through `map` (the patch it sends). */
function servicePatchMutant(agent: string, map: (p: Patch) => Patch): Mutant {
  return {
    client: (ua, c) =>
      ua.endsWith(`/${agent}`) ? withResource(c, SERVICES, (rc: ResourceClient<Service>) => override(rc, { patchStatus: (key, patch, o) => rc.patchStatus(key, map(patch), o) })) : c,
  };
}

/** A strategic patch body without `field` in its metadata. */
function withoutMetadataField(p: Patch, field: string): Patch {
  if (p.type !== 'strategic') return p;
  const metadata = { ...(p.body['metadata'] as Record<string, unknown> | undefined) };
  delete metadata[field];
  return { type: 'strategic', body: { ...p.body, metadata } };
}

/** What the shared informers (every controller's view) see, through `map`. */
function informerMutant<T extends 'nodes' | 'services'>(kind: T, map: (o: T extends 'nodes' ? Node : Service) => T extends 'nodes' ? Node : Service): Mutant {
  return {
    client: (ua, c): KubeClient => {
      if (!ua.endsWith('/shared-informers')) return c;
      return kind === 'nodes' ? mapReads(c, NODES, map as unknown as (n: Node) => Node) : mapReads(c, SERVICES, map as unknown as (s: Service) => Service);
    },
  };
}

interface MutantCase {
  readonly name: string;
  readonly mutant: Mutant;
  /** The case that must catch it. */
  readonly caseId: string;
  /** What its failure message must say. */
  readonly message: RegExp;
}

const MUTANTS: readonly MutantCase[] = [
  {
    name: 'no finalizer: the service controller never adds service.kubernetes.io/load-balancer-cleanup',
    mutant: servicePatchMutant('service-controller', (p) => withoutMetadataField(p, 'finalizers')),
    caseId: 'lb.create',
    message: /^lb\.create: Service conf-create has ingress \["192\.0\.2\.\d+"\] but no service\.kubernetes\.io\/load-balancer-cleanup finalizer/,
  },
  {
    name: 'finalizer never removed: the service controller never sends the removal',
    mutant: servicePatchMutant('service-controller', (p) => withoutMetadataField(p, '$deleteFromPrimitiveList/finalizers')),
    caseId: 'lb.delete',
    message: /^lb\.delete: Service conf-delete gone after its deletion \(the CCM removes its finalizer\) not seen within 15 s \(last seen: deletionTimestamp "[^"]+", finalizers \["service\.kubernetes\.io\/load-balancer-cleanup"\]\)/,
  },
  {
    name: 'providerID rewritten: the node controller writes a providerID the cloud did not give',
    mutant: metadataMutant((m, node) => ({ ...m, providerID: `fake://rewritten-${node.metadata?.name ?? ''}` })),
    caseId: 'node.provider-id',
    message: /^node\.provider-id: Node node-1: spec\.providerID is "fake:\/\/rewritten-node-1", expected "fake:\/\/node-1"/,
  },
  {
    name: 'uninitialized taint left: the node controller initialises Nodes but keeps the taint',
    mutant: {
      client: (ua, c) =>
        ua.endsWith('/node-controller')
          ? withResource(c, NODES, (rc: ResourceClient<Node>) =>
              override(rc, {
                update: (n, o) => {
                  const taints = n.spec?.taints ?? [];
                  const kept = taints.some((t) => t.key === UNINITIALIZED) ? taints : [...taints, { key: UNINITIALIZED, value: 'true', effect: 'NoSchedule' as const }];
                  return rc.update({ ...n, spec: { ...n.spec, taints: kept } }, o);
                },
              }),
            )
          : c,
    },
    caseId: 'node.uninitialized-taint',
    message: /^node\.uninitialized-taint: removal of the node\.cloudprovider\.kubernetes\.io\/uninitialized taint from every Node not seen within 15 s \(last seen: still tainted: node-1, node-2\)/,
  },
  {
    name: 'wrong address type order: the addresses are written in reverse',
    mutant: metadataMutant((m) => ({ ...m, nodeAddresses: [...(m.nodeAddresses ?? [])].reverse() })),
    caseId: 'node.addresses',
    message: /^node\.addresses: Node node-1: status\.addresses \(of the declared types\) are \["Hostname=node-1","InternalIP=10\.0\.0\.1"\], expected \["InternalIP=10\.0\.0\.1","Hostname=node-1"\] in this order/,
  },
  {
    name: 'LB not deleted on type change: the CCM never notices LoadBalancer → ClusterIP',
    mutant: informerMutant('services', (s) => (s.spec?.type === 'ClusterIP' && (s.metadata?.finalizers ?? []).includes(FINALIZER) ? { ...s, spec: { ...s.spec, type: 'LoadBalancer' } } : s)),
    caseId: 'lb.type-change-cleanup',
    message: /^lb\.type-change-cleanup: removal of the service\.kubernetes\.io\/load-balancer-cleanup finalizer and of the ingress of Service conf-type after its change to ClusterIP not seen within 15 s/,
  },
  {
    name: 'source ranges ignored: the CCM never sees loadBalancerSourceRanges',
    mutant: informerMutant('services', (s) => {
      const spec = { ...s.spec };
      delete spec.loadBalancerSourceRanges;
      return { ...s, spec };
    }),
    caseId: 'lb.source-ranges',
    message: /^lb\.source-ranges: an EnsuredLoadBalancer Event on Service conf-ranges after the source-range change \(the CCM must ensure the load balancer again\) not seen within 15 s \(last seen: 1 EnsuredLoadBalancer Event\(s\) in all, 1 before\)/,
  },
  {
    name: 'hosts not updated on node change: the CCM never sees the exclusion label',
    mutant: informerMutant('nodes', (n) => {
      const labels = { ...n.metadata?.labels };
      delete labels[EXCLUDE];
      return { ...n, metadata: { ...n.metadata, labels } };
    }),
    caseId: 'lb.host-set-change',
    message: /^lb\.host-set-change: an UpdatedLoadBalancer \(or UnAvailableLoadBalancer\) Event on Service conf-hosts after Node node-2 was excluded not seen within 15 s/,
  },
  {
    name: 'wrong zone: the node controller writes a zone the cloud did not give',
    mutant: metadataMutant((m) => ({ ...m, zone: 'zone-x' })),
    caseId: 'node.topology-labels',
    message: /^node\.topology-labels: Node node-1: label topology\.kubernetes\.io\/zone is "zone-x", expected "zone-a"/,
  },
  {
    name: 'port changes ignored: the CCM never sees a Service port change',
    mutant: informerMutant('services', (s) => ({ ...s, spec: { ...s.spec, ports: (s.spec?.ports ?? []).map((p) => ({ ...p, port: 8080, targetPort: 8080 })) } })),
    caseId: 'lb.port-change',
    message: /^lb\.port-change: an EnsuredLoadBalancer Event on Service conf-port after the port change to 8081 \(the CCM must ensure the load balancer again\) not seen within 15 s/,
  },
  {
    name: 'protocol changes ignored: the CCM never sees a Service port change protocol',
    mutant: informerMutant('services', (s) => ({ ...s, spec: { ...s.spec, ports: (s.spec?.ports ?? []).map((p) => ({ ...p, protocol: 'TCP' as const })) } })),
    caseId: 'lb.protocol-change',
    message: /^lb\.protocol-change: an EnsuredLoadBalancer Event on Service conf-protocol after the protocol change to UDP \(the CCM must ensure the load balancer again\) not seen within 15 s/,
  },
  {
    name: 'externalTrafficPolicy changes ignored: the CCM never sees the switch from Local to Cluster',
    mutant: informerMutant('services', (s) => (s.spec?.externalTrafficPolicy === undefined ? s : { ...s, spec: { ...s.spec, externalTrafficPolicy: 'Local' } })),
    caseId: 'lb.external-traffic-policy-local',
    message: /^lb\.external-traffic-policy-local: an EnsuredLoadBalancer Event on Service conf-etp after the switch to externalTrafficPolicy Cluster \(the CCM must ensure the load balancer again\) not seen within 15 s/,
  },
  {
    name: 'wrong event reason: EnsuredLoadBalancer spelled EnsuredLoadbalancer',
    mutant: {
      client: (_ua, c) =>
        withResource(c, EVENTS, (rc: ResourceClient<Event>) =>
          override(rc, { create: (e, o) => rc.create(e.reason === 'EnsuredLoadBalancer' ? { ...e, reason: 'EnsuredLoadbalancer' } : e, o) }),
        ),
    },
    caseId: 'lb.create',
    message: /^lb\.create: an EnsuredLoadBalancer Event on Service conf-create after its creation not seen within 15 s/,
  },
];

describe('cluster conformance: the unmutated manager passes (control)', () => {
  let h: HarnessCluster;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.stop();
  });

  it(`every case passes but the two traffic ones (the fake cloud has no data plane: skipped, saying why), and the run leaves nothing behind`, async () => {
    const report = await runAgainst(h);
    assert.deepEqual(report.results.filter((r) => r.status === 'failed'), [], JSON.stringify(summary(report), null, 1));
    assert.deepEqual(
      report.results.filter((r) => r.status === 'skipped').map((r) => [r.id, r.message]),
      [
        ['lb.source-ranges-traffic', 'cluster.traffic is not declared (how a backend is reached)'],
        ['lb.traffic', 'cluster.traffic is not declared (how a backend is reached)'],
      ],
    );
    assert.equal(report.passed, CLUSTER_CASES.length - 2);
    assert.deepEqual(report.leftovers, []);
    const namespaces = await h.admin.resource({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, hasStatus: true }).list();
    // Deleted: the simulated API has no namespace controller, so it is gone or at least marked.
    for (const ns of namespaces.items) assert.ok(ns.metadata?.name !== report.namespace || ns.metadata.deletionTimestamp !== undefined, `namespace ${report.namespace} was not deleted`);
    assert.deepEqual((await h.admin.services.list({ namespace: report.namespace })).items.map((s) => s.metadata?.name), []);
    const node2 = await h.admin.nodes.get({ name: 'node-2' });
    assert.equal(node2.metadata?.labels?.[EXCLUDE], undefined, 'the exclusion label of lb.host-set-change was removed');
  });
});

describe('cluster conformance: each mutant fails the case named for its defect', () => {
  let results: Map<string, Run>;
  before(async () => {
    results = (await allMutantRuns()).fake;
  });

  for (const m of MUTANTS) {
    it(`${m.name} → ${m.caseId} FAILS`, () => {
      const r = results.get(m.name);
      assert.ok(r !== undefined);
      const result = r.report.results.find((x) => x.id === m.caseId);
      assert.equal(result?.status, 'failed', JSON.stringify(summary(r.report)));
      assert.match(result.message ?? '', m.message);
    });
  }

  it('a Service whose finalizer the CCM never removes is reported as left behind, not forced away', () => {
    const r = results.get(MUTANTS[1]?.name ?? '');
    assert.ok(r !== undefined);
    assert.deepEqual(r.report.leftovers.map((l) => l.replace(/outrigger-conformance-\w+/, 'NS')), [
      'Service NS/conf-delete is still there with finalizers ["service.kubernetes.io/load-balancer-cleanup"]: the CCM did not release its load balancer',
    ]);
  });
});

describe('cluster conformance: bad input, outputs and cleanup', () => {
  it('clusterConformanceCases: each case runs on its own in a provider\'s test runner, sharing one namespace; cleanup() removes it', async () => {
    const h = await startHarness();
    const kube = await createKubeClient({ kubeconfig: h.kubeconfig });
    const dead = await createKubeClient({ kubeconfig: h.kubeconfig, maxRetries: 0 });
    try {
      const suite = clusterConformanceCases({ kube, fixture: await fixture(), only: ['lb.create', 'lb.port-change', 'lb.traffic'], caseTimeoutMs: CASE_TIMEOUT_MS, pollMs: 50 });
      assert.deepEqual(suite.cases.map((c) => [c.id, c.skipReason]), [['lb.create', undefined], ['lb.port-change', undefined], ['lb.traffic', 'cluster.traffic is not declared (how a backend is reached)']]);
      for (const c of suite.cases.slice(0, 2)) assert.equal((await c.run()).status, 'passed');
      assert.deepEqual(await suite.cleanup(), []);
      const left = (await h.admin.services.list()).items.filter((s) => s.metadata?.namespace?.startsWith('outrigger-conformance') === true);
      assert.deepEqual(left, []);
    } finally {
      kube.close();
      await h.stop();
    }
    // The cluster gone (its API server stopped): every case FAILS saying so (a RunnableCase never throws).
    try {
      const [first] = clusterConformanceCases({ kube: dead, clusterName: 'harness', fixture: {}, only: ['node.provider-id'] }).cases;
      const r = await first?.run();
      assert.equal(r?.status, 'failed');
      assert.match(r?.message ?? '', /^node\.provider-id: POST \/apis\/authorization\.k8s\.io\/v1\/selfsubjectaccessreviews: cannot reach the Kubernetes API server at http:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    } finally {
      dead.close();
    }
  });

  it('a fixture naming an unknown feature is one line naming the file, line and field', () => {
    assert.throws(
      () => parseConformanceFixture('cluster:\n  excludeNode: n1\n  traffic: yes\n', 'c.yaml', 'cluster'),
      (err: unknown) => err instanceof ConfigFileError && /^c\.yaml:3:\d+: cluster\.traffic: /.test(err.message) && !err.message.includes('\n'),
    );
    // The cluster level has its own Nodes: a loadBalancer section needs no instances.
    assert.deepEqual(parseConformanceFixture('loadBalancer: { sourceRanges: true }\n', 'd.yaml', 'cluster'), { loadBalancer: { sourceRanges: true } });
  });

  it('CLI: an unreachable cluster is exit 2 and one line naming the server; bad flags are exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-conformance-cli-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } as unknown as Parameters<typeof runConformanceCommand>[1];
      // A port nothing listens on: bind one, note it, close it.
      const { createServer } = await import('node:net');
      const srv = createServer();
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
      const port = (srv.address() as { port: number }).port;
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      const kubeconfig = join(dir, 'kc');
      await writeFile(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`);
      assert.equal(await runConformanceCommand(['cluster', '--kubeconfig', kubeconfig], io), 2);
      const line = err.join('');
      assert.match(line, new RegExp(`^outrigger conformance cluster: .*cannot reach the Kubernetes API server at http://127\\.0\\.0\\.1:${port}: .+\\n$`));
      assert.equal(await runConformanceCommand(['cluster', '--help'], io), 0);
      assert.match(out.join(''), /^Usage: outrigger conformance cluster --kubeconfig FILE/);
      err.length = 0;
      assert.equal(await runConformanceCommand(['cluster'], io), 2);
      assert.match(err.join(''), /--kubeconfig is required/);
      err.length = 0;
      assert.equal(await runConformanceCommand(['cluster', '--kubeconfig', kubeconfig, '--case-timeout', '5'], io), 2);
      assert.match(err.join(''), /--case-timeout: .*missing unit/);
      err.length = 0;
      await writeFile(join(dir, 'f.yaml'), 'loadBalancer:\n  anycast: true\n');
      assert.equal(await runConformanceCommand(['cluster', '--kubeconfig', kubeconfig, '--fixture', join(dir, 'f.yaml')], io), 2);
      assert.match(err.join(''), /^outrigger conformance cluster: .*f\.yaml:2:\d+: loadBalancer\.anycast: .*\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('CLI: credentials the cluster denies what the suite needs (SelfSubjectAccessReview: allowed false) are exit 2, one line naming each verb and resource; nothing is created', async () => {
    const h = await startHarness();
    try {
      const denied = { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec: {}, status: { allowed: false, reason: '' } };
      h.face.faults.inject({ method: 'POST', pathPrefix: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', times: Infinity, action: { kind: 'respond', status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(denied) } });
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } as unknown as Parameters<typeof runConformanceCommand>[1];
      assert.equal(await runConformanceCommand(['cluster', '--kubeconfig', h.kubeconfig, '--fixture', FIXTURE, '--junit', '/nonexistent/never-written.xml'], io), 2);
      assert.equal(
        err.join(''),
        `outrigger conformance cluster: the suite's own credentials may not list nodes, list events, create namespaces, delete namespaces, list namespaces, create services, get services, list services, patch services, delete services, patch nodes (cluster-wide, checked with SelfSubjectAccessReview against ${h.face.url}); grant them (docs/conformance.md lists the ClusterRole)\n`,
      );
      assert.deepEqual(out, []);
      const namespaces = await h.admin.resource({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, hasStatus: true }).list();
      assert.deepEqual(namespaces.items.filter((n) => n.metadata?.name?.startsWith('outrigger-conformance') === true), []);
      // An API server that serves no SelfSubjectAccessReview (404): said, and the run goes on.
      h.face.faults.clear();
      const notFound = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' };
      h.face.faults.inject({ method: 'POST', pathPrefix: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', times: Infinity, action: { kind: 'respond', status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify(notFound) } });
      err.length = 0;
      assert.equal(await runConformanceCommand(['cluster', '--kubeconfig', h.kubeconfig, '--only', 'node.provider-id'], io), 0, err.join(''));
      assert.match(err.join(''), /^http:\/\/127\.0\.0\.1:\d+ does not serve selfsubjectaccessreviews: the suite's RBAC was not checked up front$/m);
    } finally {
      await h.stop();
    }
  });

  it('CLI: JUnit and the Markdown matrix of a run; Ctrl-C (abort) mid-run still cleans up; --cleanup-only removes leftovers of an interrupted run', async () => {
    const h = await startHarness();
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-conformance-cli-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } as unknown as Parameters<typeof runConformanceCommand>[1];
      const code = await runConformanceCommand(['cluster', '--kubeconfig', h.kubeconfig, '--fixture', FIXTURE, '--only', 'lb.create', '--only', 'node.', '--output', 'markdown', '--junit', join(dir, 'j.xml'), '--case-timeout', '15s'], io);
      assert.equal(code, 0, err.join(''));
      assert.match(out.join(''), /\| `lb\.create` — .* \| ✅ pass \|/);
      const xml = await readFile(join(dir, 'j.xml'), 'utf8');
      assert.match(xml, /<testsuite name="cluster http:\/\/127\.0\.0\.1:\d+" tests="6" failures="0" skipped="0"/);
      assert.match(formatJunit({ level: 'cluster', provider: 'x', results: [], passed: 0, failed: 0, skipped: 0 }), /<testsuite name="cluster x"/);
      assert.match(formatMatrix([{ level: 'cluster', provider: 'x', results: [], passed: 0, failed: 0, skipped: 0 }]), /^\| case \| x \|/);

      // Abort while lb.create waits: the Service it made is removed all the same.
      const ac = new AbortController();
      const kube = await createKubeClient({ kubeconfig: h.kubeconfig });
      try {
        const run = runClusterConformance({
          kube,
          fixture: await fixture(),
          only: ['lb.'],
          caseTimeoutMs: CASE_TIMEOUT_MS,
          pollMs: 50,
          signal: ac.signal,
          onProgress: (c, _i, _n, result) => {
            if (c.id === 'lb.create' && result === undefined) setImmediate(() => ac.abort(new Error('SIGINT')));
          },
        });
        const report = await run;
        assert.deepEqual(report.leftovers, []);
        assert.equal(report.results[0]?.status, 'failed');
        assert.match(report.results[0]?.message ?? '', /^interrupted: SIGINT/);
        assert.ok(report.results.slice(1).every((r) => r.status === 'skipped' && /^not run: SIGINT|is not declared/.test(r.message ?? '')), JSON.stringify(report.results));
        assert.deepEqual((await h.admin.services.list({ namespace: report.namespace })).items, []);

        // An interrupted run killed outright: its namespace, Service and Node label are left; --cleanup-only removes them.
        await h.admin.resource({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, hasStatus: true }).create({ metadata: { name: 'outrigger-conformance-dead01', labels: { 'app.kubernetes.io/managed-by': 'outrigger-conformance', 'conformance.outrigger.dev/run': 'dead01' } } });
        await h.admin.services.create({ metadata: { name: 'conf-create', namespace: 'outrigger-conformance-dead01' }, spec: { type: 'LoadBalancer', ports: [{ port: 8080, protocol: 'TCP' }] } });
        await h.admin.nodes.patch({ name: 'node-2' }, { type: 'merge', body: { metadata: { labels: { [EXCLUDE]: 'true' }, annotations: { 'conformance.outrigger.dev/excluded-by': 'dead01' } } } });
        err.length = 0;
        assert.equal(await runConformanceCommand(['cluster', '--kubeconfig', h.kubeconfig, '--cleanup-only', '--case-timeout', '15s'], io), 0, err.join(''));
        assert.match(err.join(''), /cleanup: Node node-2: removed the node\.kubernetes\.io\/exclude-from-external-load-balancers label of run dead01/);
        assert.match(err.join(''), /cleanup: deleted namespace outrigger-conformance-dead01/);
        assert.deepEqual((await h.admin.services.list({ namespace: 'outrigger-conformance-dead01' })).items, []);
        const node2 = await h.admin.nodes.get({ name: 'node-2' });
        assert.equal(node2.metadata?.labels?.[EXCLUDE], undefined);
        assert.deepEqual(await cleanupClusterConformance(kube, { pollMs: 50 }), []);
      } finally {
        kube.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await h.stop();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Traffic: the local provider's real loopback load balancers in front of a backend per Node.

const TRAFFIC_NODE_PORT = 30080;

/** The fixture for the local provider of `slot`: every feature it has, and how its backends are reached. */
function localFixture(slot: number): ConformanceFixture {
  const { nodeIPs } = localCloud(slot);
  const text = `instances:
  - { nodeName: node-1, providerID: local://node-1, addresses: [{ type: InternalIP, address: ${nodeIPs[0]} }], zone: lab-a, region: lab, instanceType: loopback }
  - { nodeName: node-2, providerID: local://node-2, addresses: [{ type: InternalIP, address: ${nodeIPs[1]} }], zone: lab-b, region: lab, instanceType: loopback }
loadBalancer:
  protocols: [TCP, UDP]
  sourceRanges: true
  externalTrafficPolicyLocal: true
  ports: [18080, 18081]
cluster:
  excludeNode: node-2
  traffic: { nodePort: ${TRAFFIC_NODE_PORT}, clientCIDR: 127.0.0.0/8 }
`;
  return parseConformanceFixture(text, `local-${slot}.yaml`, 'cluster');
}

/** What kube-proxy would serve on each Node: an HTTP answer on the nodePort. */
async function startBackends(slot: number): Promise<Server[]> {
  return Promise.all(
    localCloud(slot).nodeIPs.map(
      (ip) =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer((_req, res) => res.end(`backend ${ip}\n`));
          server.keepAliveTimeout = 100;
          server.once('error', reject);
          server.listen(TRAFFIC_NODE_PORT, ip, () => resolve(server));
        }),
    ),
  );
}

async function stopBackends(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
}

/** A local provider whose load-balancer calls are altered by `members`. */
function lbMutant(members: (lb: LoadBalancer) => Partial<LoadBalancer>): Mutant {
  return {
    provider: (p: CloudProvider) =>
      override(p, {
        loadBalancer: (): LoadBalancer | undefined => {
          const lb = p.loadBalancer?.();
          return lb === undefined ? undefined : override(lb, members(lb));
        },
      }),
  };
}

function withoutSourceRanges(s: Readonly<Service>): Service {
  const spec = { ...s.spec };
  delete spec.loadBalancerSourceRanges;
  const annotations = { ...s.metadata?.annotations };
  delete annotations['service.beta.kubernetes.io/load-balancer-source-ranges'];
  return { ...s, metadata: { ...s.metadata, annotations }, spec };
}

const TRAFFIC_MUTANTS: readonly (MutantCase & { slot: number })[] = [
  {
    slot: 1,
    name: 'LB not deleted on type change (data plane): ensureLoadBalancerDeleted does nothing, the controller still clears status and finalizer',
    mutant: lbMutant(() => ({ ensureLoadBalancerDeleted: () => Promise.resolve() })),
    caseId: 'lb.type-change-cleanup',
    message: /^lb\.type-change-cleanup: 127\.0\.170\.\d+:18080 no longer answering \(3 probes in a row\) after the change to ClusterIP \(the load balancer must be deleted\) not seen within 15 s \(last seen: answered\)/,
  },
  {
    slot: 2,
    name: 'source ranges ignored (data plane): the provider is handed Services without loadBalancerSourceRanges',
    mutant: lbMutant((lb) => ({
      ensureLoadBalancer: (cluster, svc, nodes, o) => lb.ensureLoadBalancer(cluster, withoutSourceRanges(svc), nodes, o),
      updateLoadBalancer: (cluster, svc, nodes, o) => lb.updateLoadBalancer(cluster, withoutSourceRanges(svc), nodes, o),
    })),
    caseId: 'lb.source-ranges-traffic',
    message: /^lb\.source-ranges-traffic: 127\.0\.170\.\d+:18080 no longer answering \(3 probes in a row\) with loadBalancerSourceRanges \[192\.0\.2\.0\/24\], which excludes the client not seen within 15 s \(last seen: answered\)/,
  },
  {
    slot: 3,
    name: 'ports never moved (data plane): the provider keeps serving the first port it was given',
    mutant: ((): Mutant => {
      const first = new Map<string, Service['spec']>();
      const pinned = (svc: Readonly<Service>): Service => {
        const key = svc.metadata?.uid ?? '';
        if (!first.has(key)) first.set(key, svc.spec);
        return { ...svc, spec: { ...svc.spec, ports: first.get(key)?.ports ?? [] } };
      };
      return lbMutant((lb) => ({ ensureLoadBalancer: (cluster, svc, nodes, o) => lb.ensureLoadBalancer(cluster, pinned(svc), nodes, o) }));
    })(),
    caseId: 'lb.traffic',
    message: /^lb\.traffic: an answer through 127\.0\.170\.\d+:18081 on the new port 18081 not seen within 15 s/,
  },
];

describe('cluster conformance with traffic: the local provider\'s loopback load balancers, a backend per Node', () => {
  let runs: Map<number, Run>;
  before(async () => {
    runs = (await allMutantRuns()).local;
  });

  it(`control: every case passes (${CLUSTER_CASES.length}), the traffic cases included`, () => {
    const r = runs.get(0);
    assert.ok(r !== undefined);
    assert.deepEqual(r.report.results.filter((x) => x.status !== 'passed'), [], JSON.stringify(summary(r.report), null, 1));
    assert.equal(r.report.passed, CLUSTER_CASES.length);
    assert.deepEqual(r.report.leftovers, []);
  });

  for (const m of TRAFFIC_MUTANTS) {
    it(`${m.name} → ${m.caseId} FAILS`, () => {
      const r = runs.get(m.slot);
      assert.ok(r !== undefined);
      const result = r.report.results.find((x) => x.id === m.caseId);
      assert.equal(result?.status, 'failed', JSON.stringify(summary(r.report)));
      assert.match(result.message ?? '', m.message);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Every mutant run (and the traffic control) at once: the ones that wait out a deadline wait together.

interface Run {
  readonly report: ClusterConformanceReport;
  readonly h: HarnessCluster;
  readonly backends: readonly Server[];
}

let mutantRuns: Promise<{ fake: Map<string, Run>; local: Map<number, Run> }> | undefined;
const started: Run[] = [];

function allMutantRuns(): Promise<{ fake: Map<string, Run>; local: Map<number, Run> }> {
  mutantRuns ??= (async () => {
    const fake = new Map<string, Run>();
    const local = new Map<number, Run>();
    const plans = [{ slot: 0, mutant: {} as Mutant, only: undefined as string[] | undefined }, ...TRAFFIC_MUTANTS.map((m) => ({ slot: m.slot, mutant: m.mutant, only: [m.caseId] }))];
    const settled = await Promise.allSettled([
      ...MUTANTS.map(async (m) => {
        const h = await startHarness(m.mutant);
        const run = { h, backends: [], report: undefined as unknown as ClusterConformanceReport };
        started.push(run);
        fake.set(m.name, { ...run, report: await runAgainst(h, [m.caseId]) });
      }),
      ...plans.map(async (p) => {
        const backends = await startBackends(p.slot);
        const run = { h: undefined as unknown as HarnessCluster, backends, report: undefined as unknown as ClusterConformanceReport };
        started.push(run);
        run.h = await startHarness(p.mutant, { provider: 'local', config: localCloud(p.slot).config });
        local.set(p.slot, { ...run, report: await runAgainst(run.h, p.only, localFixture(p.slot)) });
      }),
    ]);
    const failed = settled.find((x) => x.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return { fake, local };
  })();
  return mutantRuns;
}

after(async () => {
  await Promise.all(
    started.map(async (r) => {
      await (r.h as HarnessCluster | undefined)?.stop();
      await stopBackends(r.backends);
    }),
  );
});
