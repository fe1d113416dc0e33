// The provider conformance suite, run as a provider author runs it: against the built-in `fake`
// (configured through its cloud-config) and `local` (loopback pool 127.0.160.0/24, used by no
// other test) every declared case passes; each deliberately broken fake (a mutant) makes the case
// that covers its defect FAIL. Virtual time throughout; the local provider's sockets are real.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { InstancesV2, LoadBalancer } from '../src/cloud/index.js';
import { ConfigFileError } from '../src/input/yaml-config.js';
import { FakeCloudProvider, parseFakeConfig } from '../src/providers/fake/index.js';
import type { FakeCloudProviderOptions } from '../src/providers/fake/index.js';
import { formatJunit, formatMatrix, parseConformanceFixture, runProviderConformance } from '../src/conformance/index.js';
import type { ConformanceFixture, ConformanceReport } from '../src/conformance/index.js';
import { runConformanceCommand } from '../src/cli/conformance.js';

const DATA = 'src/conformance/testdata';
const FAKE_CONFIG = join(DATA, 'fake-cloud-config.json');

async function fixture(name: string): Promise<ConformanceFixture> {
  const path = join(DATA, name);
  return parseConformanceFixture(await readFile(path, 'utf8'), path);
}

function summary(report: ConformanceReport): Record<string, string> {
  return Object.fromEntries(report.results.map((r) => [r.id, r.status === 'passed' ? 'passed' : `${r.status}: ${r.message ?? ''}`]));
}

describe('provider conformance: the built-in providers pass every declared case', () => {
  it('fake (cloud-config fake-cloud-config.json): 25 passed, the undeclared requestedIP skipped', async () => {
    const report = await runProviderConformance({ target: { cloudProvider: 'fake', cloudConfig: FAKE_CONFIG }, fixture: await fixture('fake-fixture.yaml') });
    const failed = report.results.filter((r) => r.status === 'failed');
    assert.deepEqual(failed, [], JSON.stringify(summary(report), null, 1));
    assert.deepEqual(
      report.results.filter((r) => r.status === 'skipped').map((r) => [r.id, r.message]),
      [['lb.requested-ip', 'loadBalancer.requestedIP is not declared']],
    );
    assert.equal(report.passed, 25);
  });

  it('local (loopback pool 127.0.160.0/24): 21 passed; no removeInstance hook, no labels, no routes: skipped with the reason', async () => {
    const report = await runProviderConformance({ target: { cloudProvider: 'local', cloudConfig: join(DATA, 'local-cloud-config.yaml') }, fixture: await fixture('local-fixture.yaml') });
    assert.deepEqual(report.results.filter((r) => r.status === 'failed'), [], JSON.stringify(summary(report), null, 1));
    assert.deepEqual(
      report.results.filter((r) => r.status === 'skipped').map((r) => r.id),
      ['node.additional-labels', 'lifecycle.instance-gone', 'routes.create', 'routes.delete', 'routes.dual-stack'],
    );
    assert.match(report.results.find((r) => r.id === 'lifecycle.instance-gone')?.message ?? '', /no removeInstance hook/);
    assert.equal(report.passed, 21);
  });
});

// ---------------------------------------------------------------------------------------------
// Mutants: fakes with one defect each.

type LbOverride = (lb: LoadBalancer) => Partial<LoadBalancer>;

/** A fake whose load-balancer capability is altered by `override`. */
function lbMutant(name: string, override: LbOverride) {
  return {
    name,
    factory: (config: { contents?: string | undefined; path?: string | undefined }) => {
      const options: FakeCloudProviderOptions = { ...parseFakeConfig(config.contents, config.path), name: 'fake' };
      return new (class extends FakeCloudProvider {
        override loadBalancer(): LoadBalancer | undefined {
          const lb = super.loadBalancer();
          return lb === undefined ? undefined : { ...lb, ...override(lb) };
        }
      })(options);
    },
  };
}

function keyOf(s: Readonly<Service>): string {
  return `${s.metadata?.namespace ?? 'default'}/${s.metadata?.name ?? ''}`;
}

/** Runs one case against a mutant and returns its result. */
async function runMutant(entry: { name: string; factory: (c: { contents?: string | undefined; path?: string | undefined }) => FakeCloudProvider }, caseId: string) {
  const report = await runProviderConformance({
    target: { cloudProvider: entry.name, cloudConfig: FAKE_CONFIG, providers: [entry] },
    fixture: await fixture('fake-fixture.yaml'),
    only: [caseId],
  });
  const result = report.results.find((r) => r.id === caseId);
  assert.ok(result !== undefined);
  return result;
}

describe('provider conformance: each mutant is caught by a named case', () => {
  it('ensureLoadBalancer ignores port changes → lb.port-change FAILS', async () => {
    const first = new Map<string, Service>();
    const mutant = lbMutant('mutant-ports', (lb) => ({
      ensureLoadBalancer: (cluster, service, nodes, o) => {
        const seen = first.get(keyOf(service)) ?? service;
        first.set(keyOf(service), seen);
        return lb.ensureLoadBalancer(cluster, { ...service, spec: { ...service.spec, ports: seen.spec?.ports ?? [] } }, nodes, o);
      },
    }));
    const result = await runMutant(mutant, 'lb.port-change');
    assert.equal(result.status, 'failed');
    assert.match(result.message ?? '', /after the port change the cloud serves \["TCP\/8080"\], expected \["TCP\/8081"\]/);
  });

  it('updateLoadBalancer is not applied → lb.host-set-change FAILS', async () => {
    const mutant = lbMutant('mutant-update', () => ({ updateLoadBalancer: () => Promise.resolve() }));
    const result = await runMutant(mutant, 'lb.host-set-change');
    assert.equal(result.status, 'failed');
    assert.match(result.message ?? '', /after excluding node-1 the load balancer sends to \["node-1","node-2"\], expected \["node-2"\]/);
  });

  it('ensureLoadBalancerDeleted throws when the load balancer is already gone → lb.delete-already-gone FAILS', async () => {
    let fake: FakeCloudProvider | undefined;
    const mutant = lbMutant('mutant-delete', (lb) => ({
      ensureLoadBalancerDeleted: async (cluster, service, o) => {
        if (fake?.loadBalancerFor(keyOf(service)) === undefined) throw new Error(`load balancer of ${keyOf(service)} not found`);
        return lb.ensureLoadBalancerDeleted(cluster, service, o);
      },
    }));
    const factory = mutant.factory;
    const result = await runMutant({ name: mutant.name, factory: (c) => (fake = factory(c)) }, 'lb.delete-already-gone');
    assert.equal(result.status, 'failed');
    assert.match(result.message ?? '', /ensureLoadBalancerDeleted failed 1 time\(s\) for a load balancer already gone: Error: load balancer of default\/conf-gone not found/);
  });

  it('instanceMetadata drops the zone → node.topology-labels FAILS', async () => {
    const mutant = {
      name: 'mutant-zone',
      factory: (config: { contents?: string | undefined; path?: string | undefined }) =>
        new (class extends FakeCloudProvider {
          override instancesV2(): InstancesV2 | undefined {
            const v2 = super.instancesV2();
            if (v2 === undefined) return undefined;
            return { ...v2, instanceMetadata: async (node: Readonly<Node>, o) => ({ ...(await v2.instanceMetadata(node, o)), zone: '' }) };
          }
        })({ ...parseFakeConfig(config.contents, config.path), name: 'fake' }),
    };
    const result = await runMutant(mutant, 'node.topology-labels');
    assert.equal(result.status, 'failed');
    assert.match(result.message ?? '', /Node node-1: label topology\.kubernetes\.io\/zone is undefined, expected "zone-a"/);
  });
});

describe('provider conformance: fixture and outputs', () => {
  it('a fixture error names the file, line and field', () => {
    assert.throws(
      () => parseConformanceFixture('instances:\n  - nodeName: a\nloadBalancer:\n  udp: true\n', 'f.yaml'),
      (err: unknown) => err instanceof ConfigFileError && /^f\.yaml:4:\d+: loadBalancer\.udp: /.test(err.message),
    );
    assert.throws(() => parseConformanceFixture('loadBalancer: {}\n', 'g.yaml'), /g\.yaml:1:\d+: loadBalancer: the load-balancer cases need at least one instance/);
  });

  it('JUnit XML and the matrix carry every case with its status; skipped cases say why', async () => {
    const report = await runProviderConformance({ target: { cloudProvider: 'fake', cloudConfig: FAKE_CONFIG }, fixture: await fixture('fake-fixture.yaml'), only: ['lb.create', 'lb.requested-ip'] });
    const xml = formatJunit(report);
    assert.match(xml, /<testsuite name="provider fake" tests="2" failures="0" skipped="1"/);
    assert.match(xml, /<testcase classname="conformance.loadBalancer" name="lb.create: [^"]+" time="[\d.]+"\/>/);
    assert.match(xml, /<skipped message="loadBalancer.requestedIP is not declared"\/>/);
    const md = formatMatrix([report]);
    assert.match(md, /^\| case \| fake \|$/m);
    assert.match(md, /\| `lb.create` — .* \| ✅ pass \|/);
    assert.match(md, /\| `lb.requested-ip` — .* \| ➖ skipped \|/);
  });

  it('the CLI writes JSON to stdout, JUnit and the matrix to files, and exits 0; a failing case exits 1; bad input exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-conformance-'));
    try {
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } as unknown as Parameters<typeof runConformanceCommand>[1];
      const args = ['provider', '--cloud-provider', 'fake', '--cloud-config', FAKE_CONFIG, '--fixture', join(DATA, 'fake-fixture.yaml'), '--only', 'lb.delete'];
      const code = await runConformanceCommand([...args, '--output', 'json', '--junit', join(dir, 'j.xml'), '--matrix', join(dir, 'm.md')], io);
      assert.equal(code, 0, err.join(''));
      const report = JSON.parse(out.join('')) as ConformanceReport;
      assert.deepEqual(report.results.map((r) => [r.id, r.status]), [['lb.delete', 'passed'], ['lb.delete-already-gone', 'passed']]);
      assert.match(err.join(''), /\[1\/2\] PASS lb\.delete /);
      assert.match(await readFile(join(dir, 'j.xml'), 'utf8'), /tests="2" failures="0"/);
      assert.match(await readFile(join(dir, 'm.md'), 'utf8'), /`lb.delete-already-gone`/);
      // node-1's declared zone is wrong for this cloud: the case fails, exit 1.
      const wrong = join(dir, 'wrong.yaml');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(wrong, 'instances:\n  - nodeName: node-1\n    zone: zone-z\n');
      out.length = 0;
      assert.equal(await runConformanceCommand(['provider', '--cloud-provider', 'fake', '--cloud-config', FAKE_CONFIG, '--fixture', wrong, '--only', 'node.topology'], io), 1);
      assert.match(out.join(''), /node\.topology-labels\s+FAIL\s+Node node-1: label topology\.kubernetes\.io\/zone is "zone-a", expected "zone-z"/);
      err.length = 0;
      assert.equal(await runConformanceCommand(['provider', '--fixture', wrong], io), 2);
      assert.match(err.join(''), /--cloud-provider is required/);
      assert.equal(await runConformanceCommand(['cluster'], io), 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
