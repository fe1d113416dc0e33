/**
 * The checks of an `expect` step: an object, a manager replica, the fake cloud's state, or the
 * recorded Events, each answered with what it checked and every mismatch.
 *
 * @module
 */
import type { SimulatedApiServer } from '../../kube/memory/index.js';
import { cloneJson } from '../../kube/json-value.js';
import { EVENTS, LEASES, NODES, SERVICES } from '../../kube/resources.js';
import type { Event, ResourceType } from '../../kube/resources.js';
import { exitCodeFor } from '../../manager/exit.js';
import { describeStop } from '../../manager/stop-reason.js';
import type { FakeCloudProvider } from '../../providers/fake/fake-provider.js';
import { matchPartial } from '../scenario/match-partial.js';
import type { Expectation, ManagerExpectation } from '../scenario/scenario-types.js';
import type { LeaseHolders, Replica } from './replica.js';
import type { AnyObject } from './report.js';

/** What an expectation is checked against. */
export interface ExpectationContext {
  readonly server: SimulatedApiServer;
  /** The fake provider's cloud, when the scenario runs it. */
  readonly cloud: FakeCloudProvider | undefined;
  readonly replicas: readonly Replica[];
  /** Who the main Lease names (already observed for this check). */
  readonly leases: LeaseHolders;
}

/** The outcome of one check. */
export interface Checked {
  readonly description: string;
  readonly ok: boolean;
  readonly mismatches: string[];
}

const KINDS: Readonly<Record<string, ResourceType>> = { Node: NODES, Service: SERVICES, Event: EVENTS, Lease: LEASES };

/**
 * Checks one expectation. A `manager` expectation of a stop that holds marks that replica's stop
 * as expected (an unexpected one fails the run).
 */
export function evaluateExpectation(e: Expectation, ctx: ExpectationContext): Checked {
  if ('manager' in e) return evaluateManager(e.manager, ctx);
  if ('cloud' in e) {
    const cloud = ctx.cloud;
    if (cloud === undefined) return { description: 'cloud', ok: false, mismatches: ['cloud expectations need the fake provider'] };
    const actual = { instances: cloud.listInstances(), loadBalancers: cloud.loadBalancers(), routes: cloud.routesState() };
    return { description: 'cloud', ...matchPartial(cloneJson(actual, { shareFrozenArrays: true }), e.cloud, e.listMode) };
  }
  if ('event' in e) {
    const want = e.event;
    const events = ctx.server.objects(EVENTS).filter(
      (ev: Readonly<Event>) =>
        ev.reason === want.reason &&
        (want.type === undefined || ev.type === want.type) &&
        (want.object === undefined ||
          (ev.involvedObject.kind === want.object.kind && ev.involvedObject.name === want.object.name && (want.object.namespace === undefined || ev.involvedObject.namespace === want.object.namespace))) &&
        (want.messageContains === undefined || (ev.message ?? '').includes(want.messageContains)),
    );
    const n = events.reduce((sum, ev) => sum + (ev.count ?? 1), 0);
    const min = want.minCount ?? 1;
    const mismatches: string[] = [];
    if (n < min) mismatches.push(`expected at least ${min} matching event(s), got ${n}`);
    if (want.maxCount !== undefined && n > want.maxCount) mismatches.push(`expected at most ${want.maxCount} matching event(s), got ${n}`);
    return { description: `event ${want.reason}${want.object === undefined ? '' : ` on ${want.object.kind} ${want.object.name}`}`, ok: mismatches.length === 0, mismatches };
  }
  const type = KINDS[e.kind];
  const description = `${e.kind} ${e.namespace === undefined ? '' : `${e.namespace}/`}${e.name}`;
  // The schema admits only the kinds above.
  if (type === undefined) return { description, ok: false, mismatches: [`unknown kind ${JSON.stringify(e.kind)}`] };
  const namespace = type.namespaced ? (e.namespace ?? 'default') : undefined;
  const named = `${e.kind} ${namespace === undefined ? '' : `${namespace}/`}${e.name}`;
  const found = (ctx.server.objects(type) as readonly AnyObject[]).find((o) => o.metadata?.name === e.name && (namespace === undefined || o.metadata?.namespace === namespace));
  if (e.absent === true) return { description: named, ok: found === undefined, mismatches: found === undefined ? [] : ['expected the object to be absent, it exists'] };
  if (found === undefined) return { description: named, ok: false, mismatches: ['object not found'] };
  return { description: named, ...matchPartial(found, e.match ?? {}, e.listMode) };
}

function evaluateManager(e: ManagerExpectation, ctx: ExpectationContext): Checked {
  const count = ctx.replicas.length;
  const index = e.replica ?? 0;
  const replica = ctx.replicas[index];
  const description = count === 1 ? 'manager' : `manager replica ${index} (${replica?.identity ?? '?'})`;
  if (replica === undefined) return { description, ok: false, mismatches: [`no replica ${index}: the scenario runs ${count}`] };
  const mismatches: string[] = [];
  const state = replica.describeState();
  if (e.running !== undefined && e.running !== replica.alive) mismatches.push(`expected it ${e.running ? 'running' : 'not running'}, it is ${state}`);
  if (e.leading !== undefined) {
    const holder = ctx.leases.holder;
    const leading = replica.alive && holder === replica.identity;
    if (leading !== e.leading) mismatches.push(`expected it ${e.leading ? 'leading' : 'not leading'}; the Lease names ${holder === undefined ? 'no holder' : JSON.stringify(holder)} and it is ${state}`);
  }
  if (e.stopped !== undefined) {
    const why = replica.stopReason;
    if (why === undefined) mismatches.push(`expected it stopped (${e.stopped}), it is ${state}`);
    else {
      const text = describeStop(why);
      if (why.kind !== e.stopped) mismatches.push(`expected it stopped (${e.stopped}), it stopped: ${text}`);
      if (e.exitCode !== undefined && exitCodeFor(why) !== e.exitCode) mismatches.push(`expected exit code ${e.exitCode}, got ${exitCodeFor(why)} (${text})`);
      if (e.messageContains !== undefined && !text.includes(e.messageContains)) mismatches.push(`expected the reason to contain ${JSON.stringify(e.messageContains)}, got: ${text}`);
    }
  }
  if (e.deposedWrites !== undefined && replica.deposedWrites !== e.deposedWrites) {
    mismatches.push(`expected ${e.deposedWrites} write(s) accepted while the Lease named another holder, got ${replica.deposedWrites}`);
  }
  const ok = mismatches.length === 0;
  if (ok && e.stopped !== undefined) replica.stopExpected = true;
  return { description, ok, mismatches };
}
