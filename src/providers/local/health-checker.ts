/**
 * Backend health checks of one load balancer: HTTP `GET /healthz` on each node, at the Service's
 * `healthCheckNodePort` for `externalTrafficPolicy: Local` (kube-proxy answers 200 only where the
 * Service has local endpoints) or kube-proxy's own health port (10256) for `Cluster`. Thresholds
 * of consecutive results move a node out of rotation and back.
 *
 * @module
 */
import { request } from 'node:http';
import type { Clock, Timer } from '../../kube/clock.js';
import type { HealthCheckSettings } from './local-config.js';

/** One node to probe. */
export interface HealthTarget {
  readonly node: string;
  readonly host: string;
  readonly port: number;
}

/** Options of {@link HealthChecker}. */
export interface HealthCheckerOptions {
  readonly clock: Clock;
  readonly settings: HealthCheckSettings;
  /** Called when a node enters or leaves rotation. */
  readonly onChange?: (node: string, healthy: boolean) => void;
}

interface NodeHealth {
  target: HealthTarget;
  healthy: boolean;
  successes: number;
  failures: number;
}

/**
 * Probes every target each interval (on the injected Clock). New nodes start healthy, so a new
 * load balancer serves at once; failures then need `unhealthyThreshold` probes in a row.
 */
export class HealthChecker {
  readonly #clock: Clock;
  readonly #settings: HealthCheckSettings;
  readonly #onChange: ((node: string, healthy: boolean) => void) | undefined;
  readonly #nodes = new Map<string, NodeHealth>();
  readonly #inFlight = new Set<AbortController>();
  #timer: Timer | undefined;
  #running = false;
  #round: Promise<void> | undefined;

  constructor(options: HealthCheckerOptions) {
    this.#clock = options.clock;
    this.#settings = options.settings;
    this.#onChange = options.onChange;
  }

  /** Replaces the probed nodes: new ones start healthy; kept ones keep their state (with a changed address or port, its counts restart). */
  setTargets(targets: readonly HealthTarget[]): void {
    const next = new Map<string, NodeHealth>();
    for (const target of targets) {
      const existing = this.#nodes.get(target.node);
      if (existing === undefined) next.set(target.node, { target, healthy: true, successes: 0, failures: 0 });
      else if (existing.target.host === target.host && existing.target.port === target.port) next.set(target.node, existing);
      // A node whose check moved (e.g. the Service switched to externalTrafficPolicy Local) keeps
      // its state until the new check has passed or failed enough times: reporting it healthy at
      // once would send traffic to a node that may have just failed, and would do so silently.
      else next.set(target.node, { target, healthy: existing.healthy, successes: 0, failures: 0 });
    }
    this.#nodes.clear();
    for (const [node, health] of next) this.#nodes.set(node, health);
  }

  /** Every probed node and whether it is in rotation (all are while checks are disabled). */
  states(): { readonly node: string; readonly healthy: boolean }[] {
    return [...this.#nodes.values()].map((h) => ({ node: h.target.node, healthy: this.isHealthy(h.target.node) }));
  }

  /** Whether `node` is in rotation (unknown nodes and disabled checks: yes). */
  isHealthy(node: string): boolean {
    return !this.#settings.enabled || (this.#nodes.get(node)?.healthy ?? true);
  }

  /** Starts the periodic probes. */
  start(): void {
    if (this.#running || !this.#settings.enabled) return;
    this.#running = true;
    this.#schedule();
  }

  /** Stops probing and aborts probes in flight. */
  stop(): void {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    for (const controller of this.#inFlight) controller.abort();
  }

  /** Probes every node once and applies the thresholds. */
  async probeAll(): Promise<void> {
    await Promise.all(
      [...this.#nodes.values()].map(async (health) => {
        const ok = await this.#probe(health.target);
        // The node may have left the set (or changed port) while the probe ran.
        if (this.#nodes.get(health.target.node) !== health) return;
        this.#record(health, ok);
      }),
    );
  }

  /**
   * Resolves once no scheduled probe round is running (and the next one is scheduled): what a
   * test on the virtual clock awaits after advancing it, since a round is real HTTP.
   */
  settled(): Promise<void> {
    return this.#round ?? Promise.resolve();
  }

  #schedule(): void {
    this.#timer = this.#clock.setTimer(this.#settings.intervalMs, () => {
      const round = this.probeAll().finally(() => {
        if (this.#round === round) this.#round = undefined;
        if (this.#running) this.#schedule();
      });
      this.#round = round;
    });
  }

  #record(health: NodeHealth, ok: boolean): void {
    if (ok) {
      health.failures = 0;
      health.successes++;
      if (!health.healthy && health.successes >= this.#settings.healthyThreshold) {
        health.healthy = true;
        this.#onChange?.(health.target.node, true);
      }
    } else {
      health.successes = 0;
      health.failures++;
      if (health.healthy && health.failures >= this.#settings.unhealthyThreshold) {
        health.healthy = false;
        this.#onChange?.(health.target.node, false);
      }
    }
  }

  // Healthy = HTTP 2xx within the timeout, as cloud health checkers treat kube-proxy's 200/503.
  #probe(target: HealthTarget): Promise<boolean> {
    const controller = new AbortController();
    this.#inFlight.add(controller);
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const finish = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        this.#inFlight.delete(controller);
        resolve(ok);
      };
      const timer = this.#clock.setTimer(this.#settings.timeoutMs, () => {
        controller.abort();
        finish(false);
      });
      const req = request({ host: target.host, port: target.port, path: '/healthz', method: 'GET', agent: false, signal: controller.signal }, (res) => {
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300;
        res.resume();
        res.once('end', () => finish(ok));
        res.once('error', () => finish(false));
        res.once('close', () => finish(ok));
      });
      req.once('error', () => finish(false));
      req.end();
    });
  }
}
