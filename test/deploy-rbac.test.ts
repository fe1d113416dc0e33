/**
 * deploy/ against the code: every API call the manager makes must be allowed by the RBAC bound
 * to the `cloud-controller-manager` service account, no rule may use a wildcard, and the
 * workload manifests must keep the shape SIG Cloud Provider recommends.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
const DEPLOY = join(ROOT, 'deploy', 'base');
const SA = { kind: 'ServiceAccount', name: 'cloud-controller-manager', namespace: 'kube-system' };
const LEASE_NAMESPACE = 'kube-system';

interface Call {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  /** The namespace of a namespaced call confined to one (leases); undefined = any / cluster scope. */
  readonly namespace?: string;
  readonly site: string;
}

/**
 * Every call the code makes, with its call site. A new call in the code fails the "table is
 * complete" test below until it is listed here, and then the RBAC tests until deploy/ allows it.
 */
const CALLS: readonly Call[] = [
  // Shared informers (src/kube/shared-informers.ts via informerFor in every controller).
  { group: '', resource: 'nodes', verb: 'list', site: 'informerFor(NODES): all four controllers' },
  { group: '', resource: 'nodes', verb: 'watch', site: 'informerFor(NODES): all four controllers' },
  { group: '', resource: 'services', verb: 'list', site: 'informerFor(SERVICES): service-controller.ts' },
  { group: '', resource: 'services', verb: 'watch', site: 'informerFor(SERVICES): service-controller.ts' },
  { group: '', resource: 'nodes', verb: 'get', site: 'controllers/node-lifecycle/shutdown-taint.ts' },
  { group: '', resource: 'nodes', verb: 'update', site: 'controllers/node/cloud-node-controller.ts (initialisation)' },
  { group: '', resource: 'nodes', verb: 'patch', site: 'cloud-node-controller.ts (labels), shutdown-taint.ts (taint)' },
  { group: '', resource: 'nodes', verb: 'delete', site: 'controllers/node-lifecycle/cloud-node-lifecycle-controller.ts' },
  { group: '', resource: 'nodes/status', verb: 'patch', site: 'cloud-node-controller.ts (addresses), route/network-condition.ts' },
  { group: '', resource: 'services/status', verb: 'patch', site: 'controllers/service/service-controller.ts (ingress, finalizer)' },
  { group: '', resource: 'events', verb: 'create', site: 'kube/events.ts #write' },
  { group: '', resource: 'events', verb: 'patch', site: 'kube/events.ts #write (repeats)' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'get', namespace: LEASE_NAMESPACE, site: 'kube/leader-election.ts' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: LEASE_NAMESPACE, site: 'kube/leader-election.ts' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', namespace: LEASE_NAMESPACE, site: 'kube/leader-election.ts' },
  { group: 'authentication.k8s.io', resource: 'tokenreviews', verb: 'create', site: 'manager/serving/delegated-auth.ts' },
  { group: 'authorization.k8s.io', resource: 'subjectaccessreviews', verb: 'create', site: 'manager/serving/delegated-auth.ts' },
];

interface Rule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly verbs?: string[];
  readonly resourceNames?: string[];
  readonly nonResourceURLs?: string[];
}
interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly rules?: Rule[];
  readonly roleRef?: { readonly kind: string; readonly name: string };
  readonly subjects?: { readonly kind: string; readonly name: string; readonly namespace?: string }[];
  readonly spec?: Record<string, unknown>;
  readonly resources?: string[];
}

function load(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((doc) => {
    assert.equal(doc.errors.length, 0, `${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as Manifest;
  });
}

const kustomization = load('kustomization.yaml')[0] as Manifest;
const applied: Manifest[] = (kustomization.resources ?? []).flatMap(load);
const allYaml = readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml'));

/** The rules bound to the service account, with the namespace they apply in (undefined = cluster-wide). */
function boundRules(manifests: readonly Manifest[]): { rule: Rule; namespace: string | undefined }[] {
  const out: { rule: Rule; namespace: string | undefined }[] = [];
  for (const binding of manifests.filter((m) => m.kind === 'ClusterRoleBinding' || m.kind === 'RoleBinding')) {
    if (!(binding.subjects ?? []).some((s) => s.kind === SA.kind && s.name === SA.name && s.namespace === SA.namespace)) continue;
    const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
    const role = manifests.find(
      (m) => m.kind === binding.roleRef?.kind && m.metadata.name === binding.roleRef.name && (m.kind === 'ClusterRole' || m.metadata.namespace === namespace),
    );
    if (role === undefined) continue;
    for (const rule of role.rules ?? []) out.push({ rule, namespace });
  }
  return out;
}

function allows(rules: ReturnType<typeof boundRules>, call: Call): boolean {
  return rules.some(
    ({ rule, namespace }) =>
      (rule.apiGroups ?? []).includes(call.group) &&
      (rule.resources ?? []).includes(call.resource) &&
      (rule.verbs ?? []).includes(call.verb) &&
      // Creates cannot be limited by name, and no call here names its object in advance.
      (rule.resourceNames ?? []).length === 0 &&
      (namespace === undefined || namespace === call.namespace),
  );
}

describe('deploy/ RBAC', () => {
  const rules = boundRules(applied);

  for (const call of CALLS) {
    it(`allows ${call.verb} ${call.group === '' ? 'core' : call.group}/${call.resource}${call.namespace === undefined ? '' : ` in ${call.namespace}`} (${call.site})`, () => {
      assert.ok(allows(rules, call), `no rule bound to ${SA.namespace}/${SA.name} allows it`);
    });
  }

  it('grants nothing the code does not call (besides the scrape role, which is not bound to the CCM)', () => {
    for (const { rule } of rules) {
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs ?? []) {
            assert.ok(
              CALLS.some((c) => c.group === group && c.resource === resource && c.verb === verb),
              `${verb} ${group}/${resource} is granted but never called`,
            );
          }
        }
      }
    }
  });

  it('uses no wildcard in any rule of any file', () => {
    for (const file of allYaml) {
      for (const m of load(file)) {
        for (const rule of m.rules ?? []) {
          for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs'] as const) {
            for (const value of rule[field] ?? []) assert.ok(!value.includes('*'), `${file} ${m.kind}/${m.metadata.name} ${field} contains ${value}`);
          }
        }
      }
    }
  });

  it('binds the roles to the cloud-controller-manager service account that the workloads use', () => {
    assert.ok(applied.some((m) => m.kind === 'ServiceAccount' && m.metadata.name === SA.name && m.metadata.namespace === SA.namespace));
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) assert.ok(applied.some((m) => m.kind === kind), kind);
  });

  it('lists the code calls completely (a scan of src/ finds no call missing from the table)', () => {
    const verbs = 'get|list|watch|create|update|updateStatus|patch|patchStatus|delete';
    const direct = new RegExp(`\\.(nodes|services|events|leases)\\.(${verbs})\\(`, 'g');
    const group: Record<string, string> = { nodes: '', services: '', events: '', leases: 'coordination.k8s.io' };
    const found: string[] = [];
    let scanned = 0;
    // Not the manager: the conformance suite and the sandbox's simulated kubelets and demo act as other clients.
    const skip = /\.test\.ts$|\.test-util\.ts$|\/kube\/memory\/|\/kube\/conformance\/|\/src\/conformance\/|\/src\/sandbox\/|\/kube\/client-node\/|\/providers\/fake\/|\/cli\/selfcheck\.ts$|\/testing\.ts$/;
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((e) => {
        const p = join(dir, e);
        return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
      });
    for (const file of walk(join(ROOT, 'src')).filter((f) => !skip.test(f))) {
      const lines = readFileSync(file, 'utf8').split('\n');
      for (const line of lines) {
        if (/^\s*(\*|\/\/)/.test(line)) continue; // comments and TSDoc examples
        for (const m of line.matchAll(direct)) {
          scanned++;
          const [, res = '', verb = ''] = m;
          const sub = verb.endsWith('Status') ? '/status' : '';
          const v = verb.replace('Status', '');
          if (!CALLS.some((c) => c.group === group[res] && c.resource === `${res}${sub}` && c.verb === v)) found.push(`${relative(ROOT, file)}: ${v} ${res}${sub}`);
        }
      }
    }
    assert.deepEqual(found, []);
    // The scan must see the known call sites, or it proves nothing.
    assert.ok(scanned >= 10, `only ${scanned} call sites found`);
  });
});

describe('deploy/components/service-account-credentials', () => {
  const dir = 'components/service-account-credentials';
  const component = load(`${dir}/kustomization.yaml`)[0] as Manifest & { patches?: { patch: string }[] };
  const manifests = (component.resources ?? []).flatMap((f) => load(`${dir}/${f}`));
  const rules = boundRules(manifests);
  // manager/service-account-credentials.ts, with the manager's own (root) client.
  const saCalls: readonly Call[] = [
    { group: '', resource: 'serviceaccounts', verb: 'get', namespace: 'kube-system', site: 'getOrCreateServiceAccount' },
    { group: '', resource: 'serviceaccounts', verb: 'create', namespace: 'kube-system', site: 'getOrCreateServiceAccount' },
    { group: '', resource: 'serviceaccounts/token', verb: 'create', namespace: 'kube-system', site: 'ServiceAccountTokenSource #fetch' },
  ];

  it('is a kustomize Component that turns the flag on in the Deployment', () => {
    assert.equal(component.kind, 'Component');
    assert.match(component.patches?.[0]?.patch ?? '', /--use-service-account-credentials=true/);
  });
  for (const call of saCalls) {
    it(`allows ${call.verb} ${call.resource} in kube-system (${call.site})`, () => assert.ok(allows(rules, call)));
  }
  it('grants only those, in kube-system only, without wildcards', () => {
    for (const { rule, namespace } of rules) {
      assert.equal(namespace, 'kube-system');
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs ?? []) assert.ok(saCalls.some((c) => c.resource === resource && c.verb === verb), `${verb} ${resource} is granted but never called`);
        assert.ok(!resource.includes('*'));
      }
    }
  });
  it('the manager calls exactly these, plus the namespace lookup it may be refused (a scan of service-account-credentials.ts)', () => {
    const text = readFileSync(join(ROOT, 'src/manager/service-account-credentials.ts'), 'utf8');
    const found = new Set([...text.matchAll(/resource\((SERVICE_ACCOUNTS|NAMESPACES)\)\s*\.(get|create|createSubresource)(?:<[^>]*>)?\(/g)].map((m) => `${m[1]}.${m[2]}`));
    assert.deepEqual([...found].sort(), ['NAMESPACES.create', 'NAMESPACES.get', 'SERVICE_ACCOUNTS.create', 'SERVICE_ACCOUNTS.createSubresource', 'SERVICE_ACCOUNTS.get']);
  });
});

describe('deploy/ workloads', () => {
  interface PodSpec {
    serviceAccountName?: string;
    hostNetwork?: boolean;
    nodeSelector?: Record<string, string>;
    tolerations?: { key?: string; effect?: string; value?: string }[];
    affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { topologyKey: string }[] } };
    securityContext?: { runAsNonRoot?: boolean };
    containers?: {
      args?: string[];
      securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
      livenessProbe?: { httpGet?: { path: string; port: number; scheme: string } };
    }[];
  }
  const pod = (m: Manifest): PodSpec => (m.spec as { template: { spec: PodSpec } }).template.spec;
  const workloads: [string, Manifest][] = [
    ['deployment.yaml', load('deployment.yaml').find((m) => m.kind === 'Deployment') as Manifest],
    ['daemonset.yaml', load('daemonset.yaml').find((m) => m.kind === 'DaemonSet') as Manifest],
  ];

  it('applies the Deployment by default with 2 replicas and required anti-affinity on the hostname', () => {
    const deployment = applied.find((m) => m.kind === 'Deployment');
    assert.ok(deployment !== undefined);
    assert.equal((deployment.spec as { replicas: number }).replicas, 2);
    assert.equal(pod(deployment).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey, 'kubernetes.io/hostname');
  });

  for (const [file, workload] of workloads) {
    it(`${file}: host network, control-plane placement and the bootstrap tolerations`, () => {
      const spec = pod(workload);
      assert.equal(workload.metadata.namespace, 'kube-system');
      assert.equal(spec.serviceAccountName, SA.name);
      assert.equal(spec.hostNetwork, true);
      assert.deepEqual(spec.nodeSelector, { 'node-role.kubernetes.io/control-plane': '' });
      const tolerated = (spec.tolerations ?? []).map((t) => `${t.key}:${t.effect}`);
      for (const t of [
        'node.cloudprovider.kubernetes.io/uninitialized:NoSchedule',
        'node-role.kubernetes.io/control-plane:NoSchedule',
        'node-role.kubernetes.io/master:NoSchedule',
      ]) {
        assert.ok(tolerated.includes(t), t);
      }
    });

    it(`${file}: non-root, read-only root filesystem, leader election on, no provider named, HTTPS probe on /healthz:10258`, () => {
      const spec = pod(workload);
      const container = spec.containers?.[0];
      assert.equal(spec.securityContext?.runAsNonRoot, true);
      assert.equal(container?.securityContext?.readOnlyRootFilesystem, true);
      assert.equal(container?.securityContext?.allowPrivilegeEscalation, false);
      assert.ok(container?.args?.includes('--leader-elect=true'));
      // The base names no provider: an overlay does (deploy/overlays), so nothing runs by accident.
      assert.equal(container?.args?.some((a) => a.startsWith('--cloud-provider')), false);
      assert.deepEqual(container?.livenessProbe?.httpGet, { path: '/healthz', port: 10258, scheme: 'HTTPS' });
    });
  }

  it('builds a non-root image whose entrypoint is `outrigger run` with production dependencies only', () => {
    const dockerfile = readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:20-slim AS build$/m);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^USER 65532:65532$/m);
    assert.match(dockerfile, /^ENTRYPOINT \["node", "\/app\/dist\/cli\/main\.js", "run"\]$/m);
    const deployment = workloads[0]?.[1];
    assert.ok(deployment !== undefined);
    assert.equal((deployment.spec as { template: { spec: { securityContext: { runAsUser: number } } } }).template.spec.securityContext.runAsUser, 65532);
  });
});
