/**
 * The differences between upstream's CCM and Outrigger that are known, explained in
 * docs/deviations/upstream-parity.md, and pinned here: a difference the runner finds must match
 * one of these entries (by case and path), or the case fails as an unexpected difference. An
 * entry no case needed in a full run is reported, so a fixed difference gets its entry removed.
 *
 * Keep entries narrow: a case pattern naming the cases where the difference is expected, and a
 * path pattern naming exactly what differs.
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
  /** The anchor of its section in docs/deviations/upstream-parity.md. */
  readonly doc: string;
}

/** Cases where a LoadBalancer Service is first ensured while the service controller starts. */
const LB_CASES = /^(service: |generated: |scenario: load-balancer-lifecycle)/;

export const EXPECTED_DIFFERENCES: readonly ExpectedDifference[] = [
  {
    cases: LB_CASES,
    path: /^cloud read (getLoadBalancer\("[^"]*","[^"]*"\)|updateLoadBalancer\(.*\))$/,
    why: "upstream's node sync sends UpdateLoadBalancer for a Service whose first Ensure is still running, fails, and asks GetLoadBalancer whether it exists; Outrigger skips Services never ensured",
    doc: 'update-before-first-ensure',
  },
  {
    cases: /^(generated: |scenario: load-balancer-lifecycle)/,
    path: /^(event Service [^ ]+ Normal UpdatedLoadBalancer|cloud read updateLoadBalancer\(.*\))$/,
    why: 'whether a host update follows the first Ensure depends on whether Nodes finished initialising before it; upstream may spend that update on a load balancer not yet created',
    doc: 'node-sync-timing',
  },
  {
    cases: /^node: provided node IP the cloud does not report keeps the taint$/,
    path: /^event Node n1 Warning InvalidProvidedNodeIP$/,
    why: 'Outrigger says with a Warning Event why the Node stays tainted; upstream only logs it',
    doc: 'invalid-provided-node-ip',
  },
];
