/**
 * The report in the shapes CI and people read: a terminal table, JUnit XML, JSON and a
 * capability matrix in Markdown.
 *
 * @module
 */
import type { CaseResult, ConformanceReport } from './run.js';

const MARK = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' } as const;

/** One progress line per finished case: `[ 3/26] PASS lb.create (0.4 s)` and the reason below it. */
export function formatCaseLine(result: CaseResult, index: number, total: number): string {
  const width = String(total).length;
  const head = `[${String(index + 1).padStart(width)}/${total}] ${MARK[result.status]} ${result.id}`;
  const time = result.status === 'skipped' ? '' : ` (${(result.durationMs / 1000).toFixed(1)} s)`;
  return `${head}${time}${result.message === undefined ? '' : `\n        ${result.message}`}`;
}

/** The results as an aligned table with the totals. */
export function formatConformanceTable(report: ConformanceReport): string {
  const idWidth = Math.max(4, ...report.results.map((r) => r.id.length));
  const lines = [`${'CASE'.padEnd(idWidth)}  RESULT  DETAIL`];
  for (const r of report.results) lines.push(`${r.id.padEnd(idWidth)}  ${MARK[r.status].padEnd(6)}  ${r.message ?? r.title}`);
  lines.push('', `${report.level ?? 'provider'} ${report.provider}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c).replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD]/gu, '');
}

/** JUnit XML: one testsuite, a testcase per case (`<failure>` / `<skipped>` with the reason). */
export function formatJunit(report: ConformanceReport): string {
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const total = report.results.reduce((n, r) => n + r.durationMs, 0);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="outrigger conformance" tests="${report.results.length}" failures="${report.failed}" skipped="${report.skipped}" time="${seconds(total)}">`,
    `  <testsuite name="${report.level ?? 'provider'} ${xml(report.provider)}" tests="${report.results.length}" failures="${report.failed}" skipped="${report.skipped}" time="${seconds(total)}">`,
  ];
  for (const r of report.results) {
    const open = `    <testcase classname="conformance.${r.group}" name="${xml(`${r.id}: ${r.title}`)}" time="${seconds(r.durationMs)}"`;
    if (r.status === 'passed') out.push(`${open}/>`);
    else if (r.status === 'skipped') out.push(`${open}>`, `      <skipped message="${xml(r.message ?? '')}"/>`, '    </testcase>');
    else out.push(`${open}>`, `      <failure message="${xml(r.message ?? '')}">${xml(`${r.message ?? ''}\nupstream: ${r.upstream}`)}</failure>`, '    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return `${out.join('\n')}\n`;
}

/** The report as JSON (stable field order). */
export function formatJson(report: ConformanceReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A Markdown capability matrix: per group, each case with its result, one column per report. */
export function formatMatrix(reports: readonly ConformanceReport[]): string {
  const first = reports[0];
  if (first === undefined) return '';
  const cell = (r: CaseResult | undefined): string => (r === undefined ? '' : r.status === 'passed' ? '✅ pass' : r.status === 'failed' ? '❌ fail' : '➖ skipped');
  const lines = [`| case | ${reports.map((r) => r.provider).join(' | ')} |`, `|---|${reports.map(() => '---').join('|')}|`];
  for (const c of first.results) {
    lines.push(`| \`${c.id}\` — ${c.title.replaceAll('|', '\\|')} | ${reports.map((rep) => cell(rep.results.find((x) => x.id === c.id))).join(' | ')} |`);
  }
  lines.push('', ...reports.map((r) => `${r.provider}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped.`));
  return `${lines.join('\n')}\n`;
}
