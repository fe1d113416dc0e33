/**
 * Why a controller manager stopped. Every cause ends in exactly one of these: the manager's one
 * stop path records the first cause and ignores later ones.
 *
 * @module
 */
import { errorMessage } from '../log/error-message.js';

/** Where a failure happened, for the log line and the simulator's report. */
export type FailurePhase = 'initialize' | 'controllers' | 'leader-election' | 'serving';

/** Why a controller manager stopped. */
export type StopReason =
  /** A signal (SIGTERM/SIGINT) or the caller's abort: drain, release the Lease, exit 0. */
  | { readonly kind: 'shutdown'; readonly cause: unknown }
  /** A held Lease was lost (no renew within the deadline): stop writing at once, exit 1. */
  | { readonly kind: 'lease-lost'; readonly lease: string; readonly cause: unknown }
  /** Something failed: exit 2 when the error is bad input, else 1. */
  | { readonly kind: 'failed'; readonly phase: FailurePhase; readonly error: unknown };

/** One line describing a stop reason, for logs and reports. */
export function describeStop(reason: StopReason): string {
  const text = errorMessage;
  switch (reason.kind) {
    case 'shutdown':
      return `shut down (${text(reason.cause)})`;
    case 'lease-lost':
      return `leaderelection lost: ${reason.lease} (${text(reason.cause)})`;
    case 'failed':
      return `${reason.phase} failed: ${text(reason.error)}`;
  }
}
