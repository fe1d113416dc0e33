/**
 * Chooses a backend (node InternalIP : nodePort) for a new TCP connection or UDP session:
 * healthy nodes only, round-robin or least-connections, with `sessionAffinity: ClientIP` stickiness
 * timed on the injected Clock.
 *
 * @module
 */
import type { Clock } from '../../kube/clock.js';
import type { BalancingAlgorithm } from './local-config.js';

/** One backend: a node's address and the Service's node port. */
export interface Backend {
  readonly node: string;
  readonly host: string;
  readonly port: number;
}

/** Options of {@link BackendPicker}. */
export interface BackendPickerOptions {
  readonly clock: Clock;
  readonly algorithm: BalancingAlgorithm;
  /** Whether a node is in rotation (health checks); absent = every node is. */
  readonly isHealthy?: (node: string) => boolean;
}

interface Sticky {
  node: string;
  expiresAt: number;
}

// Expired affinity entries are swept once the table passes this size, keeping memory bounded.
const AFFINITY_SWEEP_SIZE = 4096;

/** Backend selection for one listener. */
export class BackendPicker {
  readonly #clock: Clock;
  readonly #algorithm: BalancingAlgorithm;
  readonly #isHealthy: (node: string) => boolean;
  #backends: readonly Backend[] = [];
  #next = 0;
  readonly #active = new Map<string, number>();
  #affinityMs: number | undefined;
  readonly #sticky = new Map<string, Sticky>();

  constructor(options: BackendPickerOptions) {
    this.#clock = options.clock;
    this.#algorithm = options.algorithm;
    this.#isHealthy = options.isHealthy ?? (() => true);
  }

  /** Replaces the backend set; affects new connections only (established ones keep theirs). */
  setBackends(backends: readonly Backend[]): void {
    this.#backends = [...backends];
  }

  /** The current backend set. */
  get backends(): readonly Backend[] {
    return this.#backends;
  }

  /** Whether {@link pick} looks at the client address (ClientIP affinity); without, any string does. */
  get usesClientIp(): boolean {
    return this.#affinityMs !== undefined;
  }

  /** `sessionAffinity: ClientIP` with this timeout, or `undefined` for none. */
  setAffinity(timeoutMs: number | undefined): void {
    if (timeoutMs === undefined) this.#sticky.clear();
    this.#affinityMs = timeoutMs;
  }

  /**
   * A backend for a client, or `undefined` with no backends. Skips `exclude` (backends that just
   * failed to connect). When no node is healthy every node is tried (fail open), as load balancers
   * commonly do rather than black-holing the Service.
   */
  pick(clientIp: string, exclude?: ReadonlySet<string>): Backend | undefined {
    const usable = this.#backends.filter((b) => exclude === undefined || !exclude.has(b.node));
    if (usable.length === 0) return undefined;
    const healthy = usable.filter((b) => this.#isHealthy(b.node));
    const candidates = healthy.length > 0 ? healthy : usable;
    const now = this.#clock.now();
    if (this.#affinityMs !== undefined) {
      const sticky = this.#sticky.get(clientIp);
      if (sticky !== undefined && sticky.expiresAt > now) {
        const backend = candidates.find((b) => b.node === sticky.node);
        if (backend !== undefined) {
          // As kube-proxy's `recent` match: each new flow refreshes the affinity timer.
          sticky.expiresAt = now + this.#affinityMs;
          return backend;
        }
      }
    }
    const chosen = this.#algorithm === 'least-connections' ? this.#leastConnections(candidates) : this.#roundRobin(candidates);
    if (this.#affinityMs !== undefined) {
      if (this.#sticky.size >= AFFINITY_SWEEP_SIZE) {
        for (const [ip, entry] of this.#sticky) if (entry.expiresAt <= now) this.#sticky.delete(ip);
      }
      this.#sticky.set(clientIp, { node: chosen.node, expiresAt: now + this.#affinityMs });
    }
    return chosen;
  }

  /** Counts a connection to `backend` (least-connections). */
  acquire(backend: Backend): void {
    this.#active.set(backend.node, (this.#active.get(backend.node) ?? 0) + 1);
  }

  /** Uncounts a connection to `backend`. */
  release(backend: Backend): void {
    const n = (this.#active.get(backend.node) ?? 0) - 1;
    if (n <= 0) this.#active.delete(backend.node);
    else this.#active.set(backend.node, n);
  }

  #roundRobin(candidates: readonly Backend[]): Backend {
    const backend = candidates[this.#next % candidates.length] as Backend;
    this.#next = (this.#next + 1) % 1_000_000_007;
    return backend;
  }

  #leastConnections(candidates: readonly Backend[]): Backend {
    // Ties go round-robin so idle backends share new work evenly.
    const start = this.#next++ % candidates.length;
    let best = candidates[start] as Backend;
    let bestCount = this.#active.get(best.node) ?? 0;
    for (let i = 1; i < candidates.length; i++) {
      const b = candidates[(start + i) % candidates.length] as Backend;
      const count = this.#active.get(b.node) ?? 0;
      if (count < bestCount) {
        best = b;
        bestCount = count;
      }
    }
    return best;
  }
}
