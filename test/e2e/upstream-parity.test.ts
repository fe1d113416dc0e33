// Upstream parity on the real apiserver: the parity cases (test/compare/cases.ts) through
// upstream's own CCM (k8s.io/cloud-provider v0.37.2 with the anchor cloud, test/reference-ccm)
// and through Outrigger, with the same flags and cloud config, one after the other on one test
// cluster wiped between runs. A case passes when what both left behind is equal, or differs only
// where docs/deviations/upstream-parity.md explains it and test/compare/expected-differences.ts
// pins it. The same runner is `npm run compare`. This file runs the example scenarios and the
// generated clusters, and checks bad cloud configs; upstream-parity-node.test.ts and
// upstream-parity-service-route.test.ts run the cases ported from upstream's controller tests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeConfigError, parseFakeConfig } from '../../src/providers/fake/index.js';
import { startOutriggerCcm, startReferenceCcm } from '../reference-ccm/start-reference-ccm.js';
import { allCases } from '../compare/cases.js';
import { paritySuite } from '../compare/e2e-suite.js';

describe('the parity cases', () => {
  it('number at least 40, from scenarios, generated clusters and upstream controller tests, each in one e2e batch', () => {
    const cases = allCases();
    assert.ok(cases.length >= 40, `only ${cases.length} cases`);
    for (const source of ['examples/scenarios/', 'generated', 'node_controller_test', 'node_lifecycle_controller_test', 'service/controller_test', 'route_controller_test']) {
      assert.ok(cases.some((c) => c.source.includes(source)), `no case from ${source}`);
    }
  });
});

paritySuite('scenarios and generated clusters', (c) => !c.source.startsWith('upstream '));

// Bad input: the anchor cloud refuses every config our fake refuses, naming the same field, so
// the two CCMs never run on two different clouds. Neither needs to reach a cluster for this: the
// cloud is initialised before the first request (the kubeconfig points at a closed loopback port).
describe('a cloud config the fake refuses is refused by the reference CCM, naming the same field', () => {
  const BAD: readonly [config: unknown, field: string][] = [
    [{ instanses: [] }, 'instanses'],
    [{ instances: [{ nodeName: 'n1' }, { nodeName: 'n2', zone: 3 }] }, 'instances[1].zone'],
    [{ instances: [{ zone: 'a' }] }, 'instances[0]'],
    [{ instances: [{ nodeName: 'n1' }, { nodeName: 'n1' }] }, 'instances[1]'],
    [{ instances: [{ nodeName: 'n1', addresses: [{ type: 'PublicIP', address: '1.2.3.4' }] }] }, 'instances[0].addresses[0].type'],
    [{ capabilities: ['instancesV2', 'teleport'] }, 'capabilities[1]'],
    [{ capabilities: ['routes', 'routes'] }, 'capabilities[1]'],
    [{ loadBalancerIPRange: '192.0.2.1/24' }, 'loadBalancerIPRange'],
    [{ loadBalancerIPMode: 'Direct' }, 'loadBalancerIPMode'],
    [{ loadBalancerStatuses: { web: { ingress: [] } } }, 'loadBalancerStatuses.web'],
    [{ loadBalancerStatuses: { 'default/web': { ingress: [{ ipMode: 'VIP', hostname: 'h' }] } } }, 'loadBalancerStatuses["default/web"].ingress[0].ipMode'],
    [{ failures: [{ method: 'ensureLoadBalancer', kind: 'Retry' }] }, 'failures[0]'],
    [{ failures: [{ method: 'launchRocket' }] }, 'failures[0].method'],
    [{ latencyMs: { setInformers: 5 } }, 'latencyMs.setInformers'],
  ];

  let dir: string;
  let kubeconfig: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outrigger-parity-bad-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]\n' +
        'users: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [index, [config, field]] of BAD.entries()) {
    it(`${JSON.stringify(config)} → ${field}`, async () => {
      const cloudConfig = join(dir, `bad-${index}.json`);
      await writeFile(cloudConfig, JSON.stringify(config));
      assert.throws(() => parseFakeConfig(JSON.stringify(config), cloudConfig), (err: unknown) => err instanceof FakeConfigError && err.field === field);
      const runs = [startReferenceCcm({ kubeconfig, cloudConfig }), startOutriggerCcm({ kubeconfig, cloudConfig })];
      try {
        const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a CCM did not exit within 60 s')), 60_000).unref());
        const codes = await Promise.race([Promise.all(runs.map((r) => r.exited)), deadline]);
        for (const [i, run] of runs.entries()) {
          assert.notEqual(codes[i], 0, `${run.which} accepted the config:\n${run.tail()}`);
          assert.ok(run.tail(40).includes(`invalid fake cloud config`) && run.tail(40).includes(`: ${field}: `), `${run.which} did not name ${field}:\n${run.tail()}`);
        }
      } finally {
        await Promise.all(runs.map((r) => r.stop()));
      }
    });
  }
});
