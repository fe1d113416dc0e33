/**
 * `npm run compare [-- <case-filter>...] [--write-docs]`: runs the parity cases through upstream's
 * CCM and Outrigger on a real test cluster and prints case | result. `--write-docs` regenerates
 * docs/upstream-parity.md from the run (only with no filter, so the page always shows every case).
 * Exits 1 when a case failed or differed unexpectedly.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../reference-ccm/start-reference-ccm.js';
import { allCases } from './cases.js';
import { describeResult, resultTable, runParity, summary, unusedEntries } from './parity.js';
import { renderParityDoc } from './render-doc.js';

const args = process.argv.slice(2);
const writeDocs = args.includes('--write-docs');
const unknown = args.filter((a) => a.startsWith('-') && a !== '--write-docs');
if (unknown.length > 0) {
  console.error(`compare: unknown option ${unknown.join(' ')} (usage: npm run compare [-- <case-filter>...] [--write-docs])`);
  process.exit(2);
}
const filters = args.filter((a) => !a.startsWith('-'));
const cases = allCases().filter((c) => filters.length === 0 || filters.some((f) => c.name.includes(f)));
if (cases.length === 0) {
  console.error(`compare: no case name contains ${filters.map((f) => JSON.stringify(f)).join(' or ')}`);
  process.exit(2);
}
if (writeDocs && filters.length > 0) {
  console.error('compare: --write-docs needs the whole set of cases (no filter)');
  process.exit(2);
}
console.log(`compare: ${cases.length} cases, each through upstream's CCM (k8s.io/cloud-provider v0.37.2) and Outrigger`);
const started = Date.now();
const results = await runParity({ cases, onResult: (r, i) => console.log(`[${i + 1}/${cases.length}] ${describeResult(r)}`) });
console.log(`\n${resultTable(results)}\n`);
const counts = summary(results);
console.log(`compare: ${counts.equal} equal, ${counts['expected difference']} expected difference, ${counts['unexpected difference']} unexpected difference, ${counts.failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
if (filters.length === 0) for (const e of unusedEntries(results)) console.log(`compare: pinned difference no case showed (remove it if fixed): ${e.doc} ${String(e.path)}`);
if (writeDocs) {
  const path = join(REPO_ROOT, 'docs', 'upstream-parity.md');
  writeFileSync(path, renderParityDoc(results));
  console.log(`compare: wrote ${path}`);
}
process.exit(counts['unexpected difference'] + counts.failed > 0 ? 1 : 0);
