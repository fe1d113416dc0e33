/**
 * kube-apiserver's own repair controllers (ipallocator-repair-controller,
 * portallocator-repair-controller) run on a timer and, when a pass lands while a Service is being
 * created, record a transient Warning on it ("ClusterIPNotAllocated … repairing"). Seen in CI on
 * the real apiserver side of a differential test; the simulated API has no such controllers, so
 * these lines are timing of the real server, not behaviour to compare.
 *
 * @module
 */
const REPAIR_REASONS = /\b(ClusterIP(NotAllocated|OutOfRange|AlreadyAllocated)|Port(NotAllocated|OutOfRange|AlreadyAllocated))\b/;

/** `text` without the lines that name a repair controller's event reason. */
export function withoutApiserverRepairEvents(text: string): string {
  return text
    .split('\n')
    .filter((line) => !REPAIR_REASONS.test(line))
    .join('\n');
}
