/**
 * Prometheus sink for the work queue's observation hooks, with client-go's `workqueue_*` metric
 * names, label (`name`) and buckets (component-base's workqueue provider: durations in seconds,
 * exponential buckets from 10 ns by ×10, 12 of them).
 *
 * Sampling of the two gauges: client-go keeps the start time of every item a worker holds and a
 * goroutine refreshes `workqueue_unfinished_work_seconds` and
 * `workqueue_longest_running_processor_seconds` every 500 ms. Our hooks carry no item, so this
 * sink keeps, per queue name, the start times of the items in flight (a worker's `get` records
 * `now`; its `done(workedMs)` removes the start `now - workedMs`) and computes both gauges in a
 * prom-client `collect` callback at scrape time — no timer, and no registry of live queues to
 * leak. It needs the queues' clock (the manager has one clock); with another clock the closest
 * start is removed, which keeps the count right.
 *
 * @module
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Clock } from '../../kube/clock.js';
import type { WorkQueueMetrics } from '../../kube/work-queue.js';

/** client-go's queue/work duration buckets: 1e-8 s … 1e3 s. */
export const WORK_QUEUE_DURATION_BUCKETS: readonly number[] = Array.from({ length: 12 }, (_, i) => Number((10e-9 * 10 ** i).toPrecision(1)));

/** Registers the `workqueue_*` metrics in `registry` and returns the hooks feeding them. */
export function createWorkQueueMetrics(registry: Registry, clock: Clock): WorkQueueMetrics {
  const registers = [registry];
  const labelNames = ['name'] as const;
  // Start times (ms) of the items each queue's workers hold right now.
  const inFlight = new Map<string, number[]>();

  const depth = new Gauge({ name: 'workqueue_depth', help: 'Items waiting in the work queue.', labelNames, registers });
  const adds = new Counter({ name: 'workqueue_adds_total', help: 'Items added to the work queue.', labelNames, registers });
  const queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'Seconds an item waited in the work queue before a worker took it.',
    labelNames,
    buckets: [...WORK_QUEUE_DURATION_BUCKETS],
    registers,
  });
  const workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'Seconds a worker spent processing one item.',
    labelNames,
    buckets: [...WORK_QUEUE_DURATION_BUCKETS],
    registers,
  });
  const retries = new Counter({ name: 'workqueue_retries_total', help: 'Delayed and rate-limited re-adds to the work queue.', labelNames, registers });
  new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help: 'Seconds spent so far on items still being processed; a steady rise points at stuck workers.',
    labelNames,
    registers,
    collect(this: Gauge<'name'>) {
      const now = clock.now();
      for (const [name, starts] of inFlight) this.set({ name }, starts.reduce((sum, start) => sum + (now - start), 0) / 1000);
    },
  });
  new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'Seconds the oldest item still in processing has been held by its worker.',
    labelNames,
    registers,
    collect(this: Gauge<'name'>) {
      const now = clock.now();
      for (const [name, starts] of inFlight) this.set({ name }, starts.length === 0 ? 0 : (now - Math.min(...starts)) / 1000);
    },
  });

  // As client-go: every series of a queue exists (at 0) from the first time the queue is seen.
  const known = new Set<string>();
  const seen = (name: string): void => {
    if (known.has(name)) return;
    known.add(name);
    depth.set({ name }, 0);
    adds.inc({ name }, 0);
    retries.inc({ name }, 0);
    queueDuration.zero({ name });
    workDuration.zero({ name });
    inFlight.set(name, []);
  };

  return {
    add(name) {
      seen(name);
      adds.inc({ name });
    },
    depth(name, n) {
      seen(name);
      depth.set({ name }, n);
    },
    get(name, waitedMs) {
      seen(name);
      queueDuration.observe({ name }, waitedMs / 1000);
      inFlight.get(name)?.push(clock.now());
    },
    done(name, workedMs) {
      seen(name);
      workDuration.observe({ name }, workedMs / 1000);
      const starts = inFlight.get(name) ?? [];
      if (starts.length === 0) return;
      const start = clock.now() - workedMs;
      let best = 0;
      for (let i = 1; i < starts.length; i++) {
        if (Math.abs((starts[i] ?? 0) - start) < Math.abs((starts[best] ?? 0) - start)) best = i;
      }
      starts.splice(best, 1);
    },
    retry(name) {
      seen(name);
      retries.inc({ name });
    },
  };
}
