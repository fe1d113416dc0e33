/**
 * The test cluster's audit trail: the policy it runs with (every write, at Metadata level, once
 * its response is complete) and a reader that turns the JSON-lines log into typed write records,
 * so tests and benchmarks count real API writes per user and user agent.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';

/** The verbs that change state: what the audit policy records. */
export const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;

/**
 * The audit policy: Metadata for writes (who, what, when, the answer's code; no bodies, so the
 * log stays small under benchmarks), nothing for reads, one event per request.
 */
export const AUDIT_POLICY_YAML = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted, Panic]
rules:
  - level: Metadata
    verbs: [${WRITE_VERBS.join(', ')}]
  - level: None
`;

/** One recorded write. */
export interface AuditedWrite {
  /** When the apiserver received it, ms since the epoch. */
  readonly receivedAtMs: number;
  /** `create`, `update`, `patch`, `delete`, `deletecollection`. */
  readonly verb: string;
  /** The authenticated user name (`system:serviceaccount:kube-system:cloud-controller-manager`). */
  readonly user: string;
  readonly userAgent: string;
  /** `services`, `nodes`, `leases`, … */
  readonly resource: string;
  /** `status` for a status write, empty otherwise. */
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
  /** The HTTP status code answered. */
  readonly code: number;
}

interface RawAuditEvent {
  readonly verb?: string;
  readonly stage?: string;
  readonly requestReceivedTimestamp?: string;
  readonly userAgent?: string;
  readonly user?: { readonly username?: string };
  readonly objectRef?: { readonly resource?: string; readonly subresource?: string; readonly namespace?: string; readonly name?: string };
  readonly responseStatus?: { readonly code?: number };
}

/** Parses audit log text (JSON lines) into writes; lines that are not complete write events are skipped. */
export function parseAuditLog(text: string): AuditedWrite[] {
  const writes: AuditedWrite[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let event: RawAuditEvent;
    try {
      event = JSON.parse(line) as RawAuditEvent;
    } catch {
      // The apiserver may be mid-line when we read: a torn last line is skipped, never fatal.
      continue;
    }
    if (event.stage !== 'ResponseComplete' || event.verb === undefined || !(WRITE_VERBS as readonly string[]).includes(event.verb)) continue;
    writes.push({
      receivedAtMs: Date.parse(event.requestReceivedTimestamp ?? ''),
      verb: event.verb,
      user: event.user?.username ?? '',
      userAgent: event.userAgent ?? '',
      resource: event.objectRef?.resource ?? '',
      subresource: event.objectRef?.subresource ?? '',
      namespace: event.objectRef?.namespace ?? '',
      name: event.objectRef?.name ?? '',
      code: event.responseStatus?.code ?? 0,
    });
  }
  return writes;
}

/** Reads and parses the audit log at `path` (no file yet ⇒ no writes). */
export async function readAuditLog(path: string): Promise<AuditedWrite[]> {
  try {
    return parseAuditLog(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Counts writes by a key (user agent, user, resource, …). */
export function countBy(writes: readonly AuditedWrite[], key: (w: AuditedWrite) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of writes) counts.set(key(w), (counts.get(key(w)) ?? 0) + 1);
  return counts;
}
