// Upstream parity on the real apiserver: every parity case (test/compare/cases.ts) through
// upstream's own CCM (k8s.io/cloud-provider v0.37.2 with the anchor cloud, test/reference-ccm)
// and through Outrigger, with the same flags and cloud config, one after the other on one test
// cluster wiped between runs. A case passes when what both left behind is equal, or differs only
// where docs/deviations/upstream-parity.md explains it and test/compare/expected-differences.ts
// pins it. The same runner is `npm run compare`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allCases } from '../compare/cases.js';
import { describeResult, openParityRig, resultTable, runParityCase, summary } from '../compare/parity.js';
import type { CaseResult, ParityRig } from '../compare/parity.js';

const cases = allCases();

describe(`upstream parity: ${cases.length} cases through upstream's CCM and Outrigger`, () => {
  let rig: ParityRig;
  const results: CaseResult[] = [];

  before(async () => {
    rig = await openParityRig();
  });
  after(async () => {
    await rig.close();
    if (results.length > 0) {
      console.log(`\n${resultTable(results)}\n`);
      const counts = summary(results);
      console.log(`parity: ${counts.equal} equal, ${counts['expected difference']} expected difference, ${counts['unexpected difference']} unexpected difference, ${counts.failed} failed`);
    }
  });

  it('has at least 40 cases, from scenarios, generated clusters and upstream controller tests', () => {
    assert.ok(cases.length >= 40, `only ${cases.length} cases`);
    for (const source of ['examples/scenarios/', 'generated', 'node_controller_test', 'node_lifecycle_controller_test', 'service/controller_test', 'route_controller_test']) {
      assert.ok(cases.some((c) => c.source.includes(source)), `no case from ${source}`);
    }
  });

  for (const [index, c] of cases.entries()) {
    it(c.name, async () => {
      const result = await runParityCase(rig, c, index);
      results.push(result);
      console.log(describeResult(result));
      assert.ok(result.verdict === 'equal' || result.verdict === 'expected difference', describeResult(result));
    });
  }
});
