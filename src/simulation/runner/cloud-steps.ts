/**
 * `cloud` steps for the fake provider: the scenario's way to change the cloud under the manager
 * (an instance vanishes, calls start failing, calls get slow).
 *
 * @module
 */
import { RetryError } from '../../cloud/errors.js';
import type { FakeCloudProvider } from '../../providers/fake/fake-provider.js';
import { FakeConfigError, parseFakeConfig } from '../../providers/fake/fake-config.js';
import { isFakeMethod } from '../../providers/fake/fake-methods.js';
import { MAX_STEP_DURATION_MS } from '../scenario/scenario-limits.js';
import type { FakeMethod } from '../../providers/fake/fake-methods.js';

/** A `cloud` step the runner cannot apply; the message names the operation and field. */
export class CloudStepError extends Error {
  override readonly name = 'CloudStepError';
}

type Selector = FakeMethod | '*';

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CloudStepError(`${where}: expected an object`);
  return value as Record<string, unknown>;
}

function method(value: unknown, where: string): Selector {
  if (value === '*' || isFakeMethod(value)) return value;
  throw new CloudStepError(`${where}.method: ${JSON.stringify(value)} is not a fake provider method or '*'`);
}

function positiveInt(value: unknown, where: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new CloudStepError(`${where}: expected a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/** The error a failure step injects: a plain cloud error, or a `RetryError` with `retryAfterMs`. */
function failure(spec: Record<string, unknown>, where: string): () => Error {
  const message = typeof spec['message'] === 'string' ? spec['message'] : 'injected cloud failure';
  if (spec['retryAfterMs'] !== undefined) {
    const ms = spec['retryAfterMs'];
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_STEP_DURATION_MS)) throw new CloudStepError(`${where}.retryAfterMs: expected milliseconds from 0 to ${MAX_STEP_DURATION_MS} (24h)`);
    return () => new RetryError(message, ms);
  }
  return () => new Error(message);
}

/**
 * Applies one `cloud` step to the fake provider. Operations (one or more keys):
 * `setInstance: {nodeName, providerID?, zone?, addresses?, …}`, `removeInstance: n1`,
 * `updateInstance: {ref: n1, changes: {…}}`, `failNext: {method, times?, message?, retryAfterMs?}`,
 * `failAlways: {method, message?}`, `failRate: {method, rate, message?}` (seeded),
 * `clearFailures: method | '*' | true`, `setLatency: {method, ms}`.
 * @throws CloudStepError naming the operation at fault.
 */
export function applyFakeCloudStep(
  cloud: FakeCloudProvider,
  step: Readonly<Record<string, unknown>>,
  random: () => number,
  where = 'cloud',
): void {
  for (const [op, value] of Object.entries(step)) {
    const at = `${where}.${op}`;
    switch (op) {
      case 'setInstance':
        for (const spec of Array.isArray(value) ? value : [value]) {
          // Validated as the config file's instances are, so a typo is named with its field.
          let parsed;
          try {
            parsed = parseFakeConfig(JSON.stringify({ instances: [record(spec, at)] }));
          } catch (err) {
            if (err instanceof FakeConfigError) throw new CloudStepError(`${at}: ${err.field.replace(/^instances\[0\]\.?/, '')}: ${err.message.replace(/^.*?instances\[0\][^:]*: /, '')}`);
            throw err;
          }
          for (const instance of parsed.instances ?? []) cloud.setInstance(instance);
        }
        break;
      case 'removeInstance':
        for (const ref of Array.isArray(value) ? value : [value]) {
          if (typeof ref !== 'string') throw new CloudStepError(`${at}: expected a node name`);
          if (!cloud.removeInstance(ref)) throw new CloudStepError(`${at}: no instance for node ${JSON.stringify(ref)}`);
        }
        break;
      case 'updateInstance': {
        const spec = record(value, at);
        if (typeof spec['ref'] !== 'string') throw new CloudStepError(`${at}.ref: expected a node name`);
        const ref = spec['ref'];
        const changes = record(spec['changes'], `${at}.changes`);
        // The changed fields are checked as the config file's instances are.
        try {
          parseFakeConfig(JSON.stringify({ instances: [{ nodeName: ref, ...changes }] }));
        } catch (err) {
          if (err instanceof FakeConfigError) throw new CloudStepError(`${at}.changes: ${err.field.replace(/^instances\[0\]\.?/, '')}: ${err.message.replace(/^.*?instances\[0\][^:]*: /, '')}`);
          throw err;
        }
        try {
          cloud.updateInstance(ref, changes);
        } catch (err) {
          // The fake checks the instance and the changed fields itself.
          if (err instanceof RangeError || err instanceof TypeError || err instanceof FakeConfigError || (err instanceof Error && err.message.startsWith('fake cloud provider'))) {
            throw new CloudStepError(`${at}: ${err.message.replace(/^fake cloud provider: /, '')}`, { cause: err });
          }
          throw err;
        }
        break;
      }
      case 'failNext': {
        const spec = record(value, at);
        cloud.failNext(method(spec['method'], at), failure(spec, at), positiveInt(spec['times'], `${at}.times`, 1));
        break;
      }
      case 'failAlways': {
        const spec = record(value, at);
        cloud.failAlways(method(spec['method'], at), failure(spec, at));
        break;
      }
      case 'failRate': {
        const spec = record(value, at);
        const sel = method(spec['method'], at);
        const rate = spec['rate'];
        if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new CloudStepError(`${at}.rate: expected a number in [0, 1]`);
        const make = failure(spec, at);
        // The hook runs inside the fake's call pipeline; throwing from it fails the call. The draw
        // comes from the scenario's seeded generator, so the same calls fail on every replay.
        cloud.onCall = rate === 0 ? undefined : (call) => {
          if ((sel === '*' || call.method === sel) && random() < rate) throw make();
        };
        break;
      }
      case 'clearFailures':
        if (value === true || value === '*') cloud.clearFailures();
        else cloud.clearFailures(method(value, at));
        if (value === true || value === '*') cloud.onCall = undefined;
        break;
      case 'setLatency': {
        const spec = record(value, at);
        const sel = method(spec['method'], at);
        if (sel !== '*' && sel === 'setInformers') throw new CloudStepError(`${at}.method: setInformers has no latency`);
        const ms = spec['ms'];
        if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_STEP_DURATION_MS)) throw new CloudStepError(`${at}.ms: expected milliseconds from 0 to ${MAX_STEP_DURATION_MS} (24h), got ${JSON.stringify(ms) ?? String(ms)}`);
        cloud.setLatency(sel, ms);
        break;
      }
      default:
        throw new CloudStepError(`${at}: unknown fake cloud operation (setInstance, removeInstance, updateInstance, failNext, failAlways, failRate, clearFailures, setLatency)`);
    }
  }
}
