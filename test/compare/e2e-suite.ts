/**
 * The parity cases as a node:test suite for `npm run test:e2e`: one test cluster for the batch,
 * one test per case, the table printed at the end. The cases are split into batches over several
 * files because the e2e runner gives each file 10 minutes and each file its own process (and
 * cluster); see test/e2e/upstream-parity*.test.ts.
 *
 * @module
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ParityCase } from './cases.js';
import { allCases } from './cases.js';
import { describeResult, openParityRig, resultTable, runParityCase, summary } from './parity.js';
import type { CaseResult, ParityRig } from './parity.js';

/** Defines the suite for the cases `select` picks (by index in `allCases()`, kept for log file names). */
export function paritySuite(title: string, select: (c: ParityCase) => boolean): void {
  const cases = allCases()
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => select(c));
  describe(`upstream parity, ${title}: ${cases.length} cases through upstream's CCM and Outrigger`, () => {
    let rig: ParityRig | undefined;
    const results: CaseResult[] = [];

    before(async () => {
      rig = await openParityRig();
    });
    after(async () => {
      await rig?.close();
      if (results.length > 0) {
        console.log(`\n${resultTable(results)}\n`);
        const counts = summary(results);
        console.log(`parity (${title}): ${counts.equal} equal, ${counts['expected difference']} expected difference, ${counts['unexpected difference']} unexpected difference, ${counts.failed} failed`);
      }
    });

    for (const { c, index } of cases) {
      it(c.name, async () => {
        assert.ok(rig !== undefined, 'the test cluster did not start');
        const result = await runParityCase(rig, c, index);
        results.push(result);
        console.log(describeResult(result));
        assert.ok(result.verdict === 'equal' || result.verdict === 'expected difference', describeResult(result));
      });
    }
  });
}
