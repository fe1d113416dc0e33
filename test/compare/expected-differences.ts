/**
 * The differences between upstream's CCM and Outrigger that are known, explained in
 * docs/deviations/upstream-parity.md, and pinned here: a difference the runner finds must match
 * one of these entries (by case and path), or the case fails as an unexpected difference. An
 * entry no case needs any more is reported, so a fixed difference gets its entry removed.
 *
 * @module
 */

/** One pinned difference. */
export interface ExpectedDifference {
  /** Which cases it applies to (matched against the case name). */
  readonly cases: RegExp;
  /** Which difference paths it covers (matched against `Difference.path`). */
  readonly path: RegExp;
  /** Why, in one line; the full reason is in the linked section. */
  readonly why: string;
  /** docs/deviations/upstream-parity.md#anchor */
  readonly doc: string;
}

export const EXPECTED_DIFFERENCES: readonly ExpectedDifference[] = [];
