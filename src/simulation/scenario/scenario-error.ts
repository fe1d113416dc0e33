/**
 * The error every bad scenario becomes: each issue names the file, line, column and the path of
 * the field at fault, so an author can jump straight to it.
 *
 * @module
 */

/** One problem found in a scenario file. */
export interface ScenarioIssue {
  file: string;
  /** 1-based; absent when the problem has no place in the text (e.g. an empty file). */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Field path such as `steps[3].advance`; `''` for the document itself. */
  path: string;
  message: string;
}

/** Formats one issue as `file:line:col path: message`. */
export function formatScenarioIssue(issue: ScenarioIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`;
  return `${where} ${issue.path === '' ? '' : `${issue.path}: `}${issue.message}`;
}

/** A scenario file is invalid; the message lists every issue, one a line (`x.yaml:12:5 steps[3].advance: "30" is not a duration`). */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  /** Every problem found, in file order. */
  readonly issues: ScenarioIssue[];

  constructor(issues: ScenarioIssue[]) {
    super(issues.length === 0 ? 'invalid scenario' : issues.map(formatScenarioIssue).join('\n'));
    this.issues = issues;
  }
}
