/**
 * Recording core/v1 Events with client-go `tools/record` semantics: a recorder never blocks or
 * throws; a broadcaster queues events, logs each one, correlates them (dedup, aggregation, spam
 * filter — client-go's `EventCorrelator`) and writes them to the API one at a time, retrying
 * failed writes.
 *
 * Deviations from client-go, each for a reason:
 * - Event names are `<object name>.<hex of unix nanos>` as upstream, but our clocks tick in
 *   milliseconds (and a virtual clock may not tick at all), so the nanos are bumped by one when
 *   they would repeat, keeping names unique.
 * - client-go retries only transport errors and gives up on any API status. Its REST client
 *   already retried 429/5xx answers underneath; our {@link KubeClient} seam promises no such
 *   retry, so here 429 and 5xx are retried like transport errors.
 * - `shutdown()` drains the queue (each pending event gets one more attempt) instead of dropping
 *   it, but, as upstream's cancelled context, cuts retry sleeps short.
 *
 * @module
 */
import type { Clock } from './clock.js';
import type { KubeClient } from './client.js';
import { KubeApiError, isAlreadyExists, isNotFound } from './errors.js';
import { formatMetav1Time } from './metav1-time.js';
import { boundedMemo } from './bounded-memo.js';
import { Lru } from './lru.js';
import type { LruEntry } from './lru.js';
import { refilledTokens } from './rate-limiter.js';
import type { Event, KubeObject } from './resources.js';
import { noopLogger } from '../log/logger.js';
import type { Logger } from '../log/logger.js';

/** The two event types the API accepts. */
export type EventType = 'Normal' | 'Warning';

/** Records events about objects (client-go `record.EventRecorder`). */
export interface EventRecorder {
  /**
   * Records an event about `obj` (which must carry `kind`, `apiVersion` and `metadata.name`).
   * Never blocks and never throws: the write happens in the background.
   */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

/** Who reports events: `source.component`/`reportingComponent` and `source.host`/`reportingInstance`. */
export interface EventSourceInfo {
  readonly component: string;
  readonly host?: string;
}

/** Options of an {@link EventBroadcaster}. */
export interface EventBroadcasterOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  /** Uniform [0, 1) source for the first retry's jitter. */
  readonly random: () => number;
  readonly logger?: Logger;
}

/** client-go `maxTriesPerEvent`. */
const MAX_TRIES_PER_EVENT = 12;
/** client-go `defaultSleepDuration` between write attempts (the first one randomised). */
const SLEEP_DURATION_MS = 10_000;
/** client-go `maxQueuedEvents`: beyond this the broadcaster drops events. */
const MAX_QUEUED_EVENTS = 1000;
/** client-go `maxLruCacheEntries`, per correlator cache. */
const LRU_SIZE = 4096;
/** client-go aggregation: this many distinct messages within the interval ⇒ combine. */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
/** client-go spam filter: burst 25 per source+object, refill 1 per 5 minutes. */
const SPAM_BURST = 25;
const SPAM_QPS = 1 / 300;
const AGGREGATE_PREFIX = '(combined from similar events): ';

// The correlator's keys: the fields joined with no separator, as client-go's strings.Join(…, "").
// Each cache keeps a key per entry for 4,096 entries, so a key is built to be cheap to keep:
// - joined from a list rather than concatenated piece by piece (`a + b + …` is a chain of ten
//   string pieces, kept whole by the cache, plus the flat copy V8 makes to hash it);
// - the object-identifying part every key starts with (the spam filter's key) is one string per
//   object, and the rest (reason and reporter, or reason and message) one string per distinct
//   text, so a key built as `identity + suffix` costs a 32-byte string header, not a 150-byte copy.
//   With an empty fieldPath (which a CCM's events always have) the event key is such a join too.

function eventKey(e: Event): string {
  const o = e.involvedObject;
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.fieldPath, o.uid, o.apiVersion, e.type, e.reason, e.message].join('');
}

function spamKey(e: Event): string {
  const o = e.involvedObject;
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion, e.type].join('');
}

/** The suffix of the aggregate key after {@link spamKey}. */
function aggregateSuffix(e: Event): string {
  return [e.reason, e.reportingComponent, e.reportingInstance].join('');
}

/** The suffix of the event key after {@link spamKey}, when the reference has no fieldPath. */
function eventSuffix(e: Event): string {
  return [e.reason, e.message].join('');
}

/** How many distinct key suffixes are kept as one shared copy each (see {@link boundedMemo}). */
const SUFFIX_POOL_SIZE = 1024;

/** What the dedup cache remembers of the last write of an event (client-go's `eventLog`). */
class EventLog implements LruEntry<EventLog> {
  newer: EventLog | undefined;
  older: EventLog | undefined;
  constructor(
    readonly key: string,
    public count: number,
    public firstTimestamp: string | undefined,
    public name: string,
    public resourceVersion: string | undefined,
  ) {}
}

/** The aggregation cache's record of one aggregate key (client-go's `aggregateRecord`). */
class AggregateRecord implements LruEntry<AggregateRecord> {
  newer: AggregateRecord | undefined;
  older: AggregateRecord | undefined;
  constructor(
    readonly key: string,
    /**
     * The distinct messages seen (client-go's `localKeys` set): one string until a second message
     * comes — most objects never get one, and 4,096 records live in the cache at once.
     */
    public localKeys: string | Set<string>,
    public lastTimestamp: number,
  ) {}
}

/**
 * The spam filter's token bucket of one source and object: its two numbers kept here (a
 * {@link TokenBucket} per object was twice the size, and the cache churns through thousands).
 */
class SpamRecord implements LruEntry<SpamRecord> {
  newer: SpamRecord | undefined;
  older: SpamRecord | undefined;
  constructor(
    readonly key: string,
    public tokens: number,
    public last: number,
  ) {}

  /** Takes a token if one is left at `now` (flowcontrol `TryAccept`). */
  tryAccept(now: number): boolean {
    const tokens = refilledTokens(this.tokens, this.last, now, SPAM_QPS, SPAM_BURST) - 1;
    if (tokens < 0) return false;
    this.tokens = tokens;
    this.last = now;
    return true;
  }
}

type Correlation =
  | { readonly skip: true }
  | {
      readonly skip: false;
      readonly event: Event;
      readonly patch: Record<string, unknown> | undefined;
      /** The dedup key the write's outcome is remembered under, when known before the write (see `updateState`). */
      readonly key: string | undefined;
    };

/** client-go's `EventCorrelator`: aggregate, then observe (dedup), then spam-filter. */
class EventCorrelator {
  readonly #clock: Clock;
  readonly #spam = new Lru<SpamRecord>(LRU_SIZE);
  readonly #aggregates = new Lru<AggregateRecord>(LRU_SIZE);
  readonly #observed = new Lru<EventLog>(LRU_SIZE);
  /** One shared copy of each distinct key suffix (see the key notes above). */
  readonly #shared = boundedMemo(SUFFIX_POOL_SIZE, (suffix) => suffix);
  readonly #nextName: (objectName: string, ms: number) => string;

  constructor(clock: Clock, nextName: (objectName: string, ms: number) => string) {
    this.#clock = clock;
    this.#nextName = nextName;
  }

  correlate(event: Event): Correlation {
    const identity = this.#identityOf(event);
    const [aggregated, key] = this.#aggregate(event, identity);
    const [observed, patch] = this.#observe(aggregated, key);
    // As upstream, the spam filter runs last, so even a dropped event counts in the dedup cache.
    // (`identity` is the observed event's spam key too: aggregation and dedup keep its source,
    // reference and type.)
    if (this.#filter(identity)) return { skip: true };
    // A combined event was looked up by its aggregate key but is remembered under its own event
    // key, as upstream's updateState computes it from the written event.
    return { skip: false, event: observed, patch, key: aggregated === event ? key : undefined };
  }

  /** The event's spam key: the spam cache's copy when it holds one, so all keys share it. */
  #identityOf(event: Event): string {
    const key = spamKey(event);
    return this.#spam.peek(key)?.key ?? key;
  }

  /** The dedup key of `event`, whose spam key is `identity`. */
  #eventKeyOf(event: Event, identity: string): string {
    const fieldPath = event.involvedObject.fieldPath;
    return fieldPath === undefined || fieldPath === '' ? identity + this.#shared(eventSuffix(event)) : eventKey(event);
  }

  /**
   * Records the server's copy, so the next duplicate patches the right name/resourceVersion.
   * `key` is the dedup key computed before the write: the server echoes every field it is made
   * of (source, object reference, type, reason, message), so computing it again from `written`,
   * as upstream does, would give the same string.
   */
  updateState(written: Event, key: string = eventKey(written)): void {
    this.#remember(key, this.#observed.get(key), written.count ?? 1, written.firstTimestamp, written.metadata.name ?? '', written.metadata.resourceVersion);
  }

  /** Remembers a write under `key` (upstream's cache Add): in place when `held` is its record. */
  #remember(key: string, held: EventLog | undefined, count: number, firstTimestamp: string | undefined, name: string, resourceVersion: string | undefined): void {
    if (held === undefined) {
      this.#observed.add(new EventLog(key, count, firstTimestamp, name, resourceVersion));
      return;
    }
    // The held record is the most recently used already (the get that found it marked it).
    held.count = count;
    held.firstTimestamp = firstTimestamp;
    held.name = name;
    held.resourceVersion = resourceVersion;
  }

  #aggregate(event: Event, identity: string): [Event, string] {
    const now = this.#clock.now();
    const aggKey = identity + this.#shared(aggregateSuffix(event));
    let record = this.#aggregates.get(aggKey);
    const message = event.message ?? '';
    if (record === undefined || now - record.lastTimestamp > AGGREGATE_INTERVAL_MS) {
      record = new AggregateRecord(aggKey, message, now);
      this.#aggregates.add(record);
    } else if (typeof record.localKeys === 'string') {
      // A record found is the most recently used already (get marked it): updated in place, as
      // upstream's Add of the same key would leave it.
      if (record.localKeys !== message) record.localKeys = new Set([record.localKeys, message]);
    } else {
      record.localKeys.add(message);
    }
    record.lastTimestamp = now;
    const keys = record.localKeys;
    if (typeof keys === 'string' || keys.size < AGGREGATE_MAX_EVENTS) return [event, this.#eventKeyOf(event, identity)];
    // Keep the set bounded, as upstream's PopAny.
    const first = keys.values().next();
    if (first.done !== true) keys.delete(first.value);
    const t = formatMetav1Time(now);
    const objectName = event.involvedObject.name ?? '';
    const combined: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: this.#nextName(objectName, now), ...(event.metadata.namespace === undefined ? {} : { namespace: event.metadata.namespace }) },
      involvedObject: event.involvedObject,
      reason: event.reason ?? '',
      message: AGGREGATE_PREFIX + (event.message ?? ''),
      type: event.type ?? 'Normal',
      count: 1,
      firstTimestamp: t,
      lastTimestamp: t,
      ...(event.source === undefined ? {} : { source: event.source }),
      // Upstream leaves these empty on combined events; we keep them so every event we write names
      // its reporter (events.k8s.io/v1 requires it).
      ...(event.reportingComponent === undefined ? {} : { reportingComponent: event.reportingComponent }),
      ...(event.reportingInstance === undefined ? {} : { reportingInstance: event.reportingInstance }),
    };
    return [combined, aggKey];
  }

  #observe(event: Event, key: string): [Event, Record<string, unknown> | undefined] {
    const last = this.#observed.get(key);
    let observed = event;
    let patch: Record<string, unknown> | undefined;
    if (last !== undefined && last.count > 0) {
      const { resourceVersion: _rv, ...meta } = event.metadata;
      observed = {
        ...event,
        metadata: { ...meta, name: last.name, ...(last.resourceVersion === undefined ? {} : { resourceVersion: last.resourceVersion }) },
        count: last.count + 1,
        ...(last.firstTimestamp === undefined ? {} : { firstTimestamp: last.firstTimestamp }),
      };
      // Upstream's two-way strategic merge patch between the event with and without these three.
      patch = { count: observed.count, lastTimestamp: observed.lastTimestamp, message: observed.message };
    }
    this.#remember(key, last, observed.count ?? 1, observed.firstTimestamp, observed.metadata.name ?? '', observed.metadata.resourceVersion);
    return [observed, patch];
  }

  #filter(key: string): boolean {
    const now = this.#clock.now();
    let record = this.#spam.get(key);
    if (record === undefined) {
      record = new SpamRecord(key, SPAM_BURST, now);
      this.#spam.add(record);
    }
    return !record.tryAccept(now);
  }
}

/**
 * The event's reference to its object (client-go's `GetReference` of a typed object), built
 * without spreading optional members in: an event is recorded for every sync of every object, and
 * each spread is an object made and copied.
 */
function referenceTo(kind: string, apiVersion: string, meta: NonNullable<KubeObject['metadata']>): Event['involvedObject'] {
  const { namespace, uid, resourceVersion } = meta;
  const name = meta.name as string;
  if (namespace !== undefined && namespace !== '' && uid !== undefined && resourceVersion !== undefined) {
    return { kind, apiVersion, name, namespace, uid, resourceVersion };
  }
  const reference: Event['involvedObject'] = { kind, apiVersion, name };
  if (namespace !== undefined && namespace !== '') reference.namespace = namespace;
  if (uid !== undefined) reference.uid = uid;
  if (resourceVersion !== undefined) reference.resourceVersion = resourceVersion;
  return reference;
}

/** Whether a failed write is worth another attempt (see the module comment for 429/5xx). */
function isRetriable(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return true;
  return err.status === 429 || err.status >= 500;
}

/**
 * Queues, logs, correlates and writes events for any number of recorders (client-go
 * `EventBroadcaster` with structured logging and recording to the Events API started).
 *
 * @example
 * ```ts
 * const broadcaster = new EventBroadcaster({ client, clock, random: Math.random, logger });
 * const recorder = broadcaster.newRecorder({ component: 'service-controller' });
 * recorder.event(service, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
 * await broadcaster.shutdown();
 * ```
 */
export class EventBroadcaster {
  readonly #client: KubeClient;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #correlator: EventCorrelator;
  readonly #queue: Event[] = [];
  readonly #idleWaiters: (() => void)[] = [];
  /** Aborted on shutdown: cuts retry sleeps short. */
  readonly #stop = new AbortController();
  #draining = false;
  #closed = false;
  #lastNanos = 0n;

  constructor(options: EventBroadcasterOptions) {
    this.#client = options.client;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#log = (options.logger ?? noopLogger).withName('events');
    this.#correlator = new EventCorrelator(this.#clock, (name, ms) => this.#eventName(name, ms));
  }

  /** A recorder stamping events with `source`. */
  newRecorder(source: EventSourceInfo): EventRecorder {
    // One frozen copy is every event's `source` (writes copy or serialise it).
    const stamp: EventSourceInfo = Object.freeze({ component: source.component, ...(source.host === undefined ? {} : { host: source.host }) });
    return { event: (obj, type, reason, message) => this.#record(stamp, obj, type, reason, message) };
  }

  /** Resolves once every queued event has been written or given up on. */
  flush(): Promise<void> {
    if (!this.#draining && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops accepting events, cuts retry sleeps short and resolves once the queue is drained (each
   * pending event gets its remaining attempt).
   */
  async shutdown(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    await this.flush();
  }

  /** `<name>.<hex unix nanos>`, unique per broadcaster even when the clock does not move. */
  #eventName(objectName: string, ms: number): string {
    let nanos = BigInt(Math.floor(ms)) * 1_000_000n;
    if (nanos <= this.#lastNanos) nanos = this.#lastNanos + 1n;
    this.#lastNanos = nanos;
    // Joined, not concatenated: the API keeps every Event's name, and a concatenation is kept as
    // its pieces plus a header (108 bytes a name against 64).
    return [objectName, nanos.toString(16)].join('.');
  }

  #record(source: EventSourceInfo, obj: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      const meta = obj.metadata;
      if (obj.kind === undefined || obj.kind === '' || obj.apiVersion === undefined || meta?.name === undefined) {
        // As client-go's GetReference failure: the event cannot name its object.
        this.#log.error(new Error('object has no kind, apiVersion or name'), 'Could not construct reference, will not report event', {
          object: { name: meta?.name ?? '', namespace: meta?.namespace ?? '' },
          eventType: type,
          reason,
          message,
        });
        return;
      }
      if (type !== 'Normal' && type !== 'Warning') {
        this.#log.error(new Error(`unsupported event type ${String(type)}`), 'Unsupported event type', { eventType: type });
        return;
      }
      const now = this.#clock.now();
      const t = formatMetav1Time(now);
      const involvedObject = referenceTo(obj.kind, obj.apiVersion, meta);
      const event: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: this.#eventName(meta.name, now),
          // Cluster-scoped objects' events live in `default`, as upstream's makeEvent.
          namespace: involvedObject.namespace ?? 'default',
        },
        involvedObject,
        reason,
        message,
        type,
        source,
        firstTimestamp: t,
        lastTimestamp: t,
        count: 1,
        reportingComponent: source.component,
        reportingInstance: source.host ?? '',
      };
      // client-go's StartStructuredLogging watcher; every upstream CCM controller starts it at
      // verbosity 0, so each event is also a log line at the default -v. (Checked first: the
      // simulator's discarding logger would otherwise get a values object per event.)
      if (this.#log.enabled()) this.#log.info('Event occurred', {
        object: { name: meta.name, namespace: involvedObject.namespace ?? '' },
        kind: obj.kind,
        apiVersion: obj.apiVersion,
        type,
        reason,
        message,
      });
      if (this.#closed) {
        this.#log.v(4).info('Event broadcaster is shut down; dropping event', { reason });
        return;
      }
      if (this.#queue.length >= MAX_QUEUED_EVENTS) {
        this.#log.error(new Error('too many queued events'), 'Unable to record event: too many queued events, dropped event', { reason });
        return;
      }
      this.#queue.push(event);
      this.#kick();
    } catch (err) {
      // Recording must never throw into a controller.
      this.#log.error(err, 'Unable to record event');
    }
  }

  #kick(): void {
    if (this.#draining) return;
    this.#draining = true;
    void this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      for (let event = this.#queue.shift(); event !== undefined; event = this.#queue.shift()) {
        try {
          await this.#recordToSink(event);
        } catch (err) {
          this.#log.error(err, 'Unable to write event');
        }
      }
    } finally {
      this.#draining = false;
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  async #recordToSink(event: Event): Promise<void> {
    const result = this.#correlator.correlate(event);
    if (result.skip) {
      this.#log.v(4).info('Event dropped by the spam filter', {
        object: { name: event.involvedObject.name ?? '', namespace: event.involvedObject.namespace ?? '' },
        reason: event.reason,
      });
      return;
    }
    for (let tries = 0; ; ) {
      if (await this.#write(result.event, result.patch, result.key)) return;
      tries++;
      if (tries >= MAX_TRIES_PER_EVENT) {
        this.#log.error(new Error('retry limit exceeded'), 'Unable to write event (retry limit exceeded!)', this.#describe(result.event));
        return;
      }
      // As upstream: the first sleep is randomised so that clients do not retry in lockstep.
      const delay = tries === 1 ? SLEEP_DURATION_MS * this.#random() : SLEEP_DURATION_MS;
      try {
        await this.#clock.sleep(delay, this.#stop.signal);
      } catch {
        this.#log.error(new Error('broadcaster is shut down'), 'Unable to write event (broadcaster is shut down)', this.#describe(result.event));
        return;
      }
    }
  }

  /** One write attempt (client-go `recordEvent`); true when done, successfully or for good. */
  async #write(event: Event, patch: Record<string, unknown> | undefined, key: string | undefined): Promise<boolean> {
    const events = this.#client.events;
    const name = event.metadata.name ?? '';
    const namespace = event.metadata.namespace ?? 'default';
    const update = (event.count ?? 1) > 1 && patch !== undefined;
    let written: Event | undefined;
    let failure: unknown;
    if (update) {
      try {
        written = await events.patch({ namespace, name }, { type: 'strategic', body: patch });
      } catch (err) {
        failure = err;
      }
    }
    // The event we meant to bump may have expired from the API (events have a TTL): create anew.
    if (!update || isNotFound(failure)) {
      try {
        // A create carries no resourceVersion (an event patched before may hold one).
        written = await events.create(event.metadata.resourceVersion === undefined ? event : { ...event, metadata: withoutResourceVersion(event.metadata) });
        failure = undefined;
      } catch (err) {
        failure = err;
      }
    }
    if (written !== undefined && failure === undefined) {
      this.#correlator.updateState(written, key);
      return true;
    }
    if (!isRetriable(failure)) {
      if (isAlreadyExists(failure)) this.#log.v(5).info('Server rejected event (will not retry!)', { ...this.#describe(event), err: String(failure) });
      else this.#log.error(failure, 'Server rejected event (will not retry!)', this.#describe(event));
      return true;
    }
    this.#log.error(failure, 'Unable to write event (may retry after sleeping)', this.#describe(event));
    return false;
  }

  #describe(event: Event): Record<string, unknown> {
    return {
      event: event.metadata.name,
      object: { name: event.involvedObject.name ?? '', namespace: event.involvedObject.namespace ?? '' },
      reason: event.reason,
      count: event.count,
    };
  }
}

function withoutResourceVersion(meta: Event['metadata']): Event['metadata'] {
  const { resourceVersion: _rv, ...rest } = meta;
  return rest;
}
