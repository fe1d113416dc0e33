/**
 * The scenario file format as a zod schema: the single source of truth for validation and for
 * the published JSON Schema (`schemas/scenario.schema.json`). Objects are strict so a typo'd key
 * is an error naming it, not a silently ignored field.
 *
 * @module
 */
import { z } from 'zod';
import { parseDuration, ScenarioDurationError } from './duration.js';
import { errorMessage } from '../../log/error-message.js';
import { DEFAULT_SETTLE_WITHIN_MS, MAX_REPLICAS, MAX_STEP_DURATION_MS, NAMESPACED_KINDS, SCENARIO_KINDS } from './scenario-limits.js';

export { DEFAULT_SETTLE_WITHIN_MS, MAX_REPLICAS, MAX_STEP_DURATION_MS, NAMESPACED_KINDS, SCENARIO_KINDS };


const KIND_NAMES = Object.keys(SCENARIO_KINDS) as [string, ...string[]];

const kind = z.enum(KIND_NAMES).describe('Object kind: Node, Service, Event or Lease.');
const listMode = z.enum(['equal', 'contains']).describe('How lists compare: same items in order (equal, the default) or an any-order subset (contains).');


/** A Go duration text such as `30s`, `1h30m` or `250ms`; a bare number other than 0 is refused as ambiguous. */
const duration = z
  .union([z.string(), z.number()])
  .describe('A duration: "30s", "5m", "1h30m", "250ms"; at most 24h.')
  .transform((value, ctx) => {
    try {
      if (typeof value === 'number' && value !== 0) throw new ScenarioDurationError(String(value), `give a unit: "${value}s", "${value}ms"`);
      const ms = parseDuration(value);
      if (ms > MAX_STEP_DURATION_MS) throw new ScenarioDurationError(String(value), 'at most 24h of virtual time per step');
      return ms;
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: errorMessage(err), input: value });
      return z.NEVER;
    }
  });

/**
 * A Kubernetes manifest, checked minimally: a kind the simulator serves at its apiVersion and a
 * name. Everything else passes through for the simulated apiserver to judge, as kubectl would.
 */
const manifest = z
  .looseObject({
    apiVersion: z.string(),
    kind,
    metadata: z.looseObject({
      name: z.string().min(1, 'must not be empty'),
      namespace: z.string().min(1, 'must not be empty').optional(),
    }),
  })
  .superRefine((object, ctx) => {
    const want = SCENARIO_KINDS[object.kind];
    if (want !== undefined && object.apiVersion !== want) {
      ctx.addIssue({ code: 'custom', path: ['apiVersion'], input: object.apiVersion, message: `${object.kind} is served at apiVersion ${JSON.stringify(want)}, not ${JSON.stringify(object.apiVersion)}` });
    }
    if (object.kind === 'Node' && object.metadata.namespace !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['metadata', 'namespace'], input: object.metadata.namespace, message: 'Nodes are cluster-scoped and have no namespace' });
    }
  })
  .describe('A Kubernetes object (Node, Service, Event or Lease) as in a manifest.');

const objectRef = {
  kind,
  namespace: z.string().min(1, 'must not be empty').optional(),
  name: z.string().min(1, 'must not be empty'),
};

const apiFault = z.strictObject({
  verb: z.enum(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']).optional(),
  resource: z.string().optional().describe('Plural resource: nodes, services, events, leases.'),
  times: z.int().min(1).optional().describe('How many matching requests fail; absent: all of them.'),
  status: z.int().min(100).max(599).optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  latency: duration.optional(),
});

const objectExpectation = z
  .strictObject({
    ...objectRef,
    match: z.unknown().optional().describe('A partial object: maps match by subset, lists by equality unless listMode says contains.'),
    absent: z.boolean().optional().describe('The object must not exist.'),
    listMode: listMode.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.absent === true && e.match !== undefined) ctx.addIssue({ code: 'custom', path: ['absent'], input: e.absent, message: 'an absent object cannot also match fields; drop one of absent and match' });
  });

/** Why a manager stopped, as {@link StopReason} kinds name it. */
const stopKind = z.enum(['lease-lost', 'failed', 'shutdown']).describe('Why it stopped: lease-lost (a renew failed within the deadline), failed (initialize, a controller, leader election) or shutdown.');

const managerExpectation = z.strictObject({
  manager: z
    .strictObject({
      replica: z.int().min(0).optional().describe('Which replica (default 0).'),
      running: z.boolean().optional().describe('The replica is alive: neither stopped nor killed (a paused one is alive).'),
      leading: z.boolean().optional().describe("The main Lease names this replica (and it is alive)."),
      stopped: stopKind.optional().describe('The replica stopped on its own for this reason; a stop no expectation asks for fails the run.'),
      exitCode: z.int().min(0).max(255).optional().describe('With stopped: the exit code its process ends with (lease-lost 1, failed 1 or 2 for bad input, shutdown 0).'),
      messageContains: z.string().min(1).optional().describe('With stopped: text in the reason it stopped.'),
      deposedWrites: z.int().min(0).optional().describe('Writes (Leases excluded) the API accepted from this replica while the Lease named another one.'),
    })
    .superRefine((m, ctx) => {
      if (m.stopped === undefined) {
        for (const key of ['exitCode', 'messageContains'] as const) {
          if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], input: m[key], message: `${key} describes a stop: give stopped too` });
        }
      } else if (m.running === true || m.leading === true) {
        const key = m.running === true ? 'running' : 'leading';
        ctx.addIssue({ code: 'custom', path: [key], input: true, message: `a stopped replica is not ${key}; drop one of stopped and ${key}` });
      }
    }),
});

const cloudExpectation = z.strictObject({
  cloud: z.unknown().describe("A partial match against the provider's state snapshot."),
  listMode: listMode.optional(),
});

const eventExpectation = z.strictObject({
  event: z
    .strictObject({
      reason: z.string().min(1),
      type: z.enum(['Normal', 'Warning']).optional(),
      object: z.strictObject({ kind: z.string().min(1), name: z.string().min(1), namespace: z.string().optional() }).optional(),
      messageContains: z.string().optional(),
      minCount: z.int().min(0).optional().describe('Default 1.'),
      maxCount: z.int().min(0).optional(),
    })
    .superRefine((e, ctx) => {
      if (e.minCount !== undefined && e.maxCount !== undefined && e.minCount > e.maxCount) {
        ctx.addIssue({ code: 'custom', path: ['maxCount'], input: e.maxCount, message: `must not be less than minCount (${e.minCount})` });
      }
    }),
});

const JSON_PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

/**
 * A patch body of its type: a mapping for `merge` and `strategic`, a list of RFC 6902 operations
 * for `json` (each with its `op`, a `path`, and `value` or `from` as the operation needs).
 */
const patchStep = z
  .strictObject({ ...objectRef, type: z.enum(['merge', 'strategic', 'json']), patch: z.unknown().describe('A mapping (merge, strategic) or a list of JSON Patch operations (json).') })
  .superRefine((p, ctx) => {
    const body = p.patch;
    const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (p.type !== 'json') {
      if (!isMapping(body)) ctx.addIssue({ code: 'custom', path: ['patch'], input: body, message: `a ${p.type} patch is a mapping, got ${describeValue(body)}` });
      return;
    }
    if (!Array.isArray(body)) {
      ctx.addIssue({ code: 'custom', path: ['patch'], input: body, message: `a json patch is a list of operations ({ op, path, value }), got ${describeValue(body)}` });
      return;
    }
    body.forEach((op: unknown, i) => {
      const at = ['patch', i];
      if (!isMapping(op)) return ctx.addIssue({ code: 'custom', path: at, input: op, message: `a JSON Patch operation is a mapping ({ op, path, value }), got ${describeValue(op)}` });
      const allowed = new Set(['op', 'path', 'value', 'from']);
      for (const key of Object.keys(op)) if (!allowed.has(key)) ctx.addIssue({ code: 'custom', path: [...at, key], input: op[key], message: 'unknown field (op, path, value, from)' });
      if (!(JSON_PATCH_OPS as readonly unknown[]).includes(op['op'])) {
        return ctx.addIssue({ code: 'custom', path: [...at, 'op'], input: op['op'], message: `expected one of ${JSON_PATCH_OPS.map((o) => JSON.stringify(o)).join(', ')}, got ${describeValue(op['op'])}` });
      }
      for (const key of ['path', ...(op['op'] === 'move' || op['op'] === 'copy' ? ['from'] : [])]) {
        const ptr = op[key];
        if (typeof ptr !== 'string' || (ptr !== '' && !ptr.startsWith('/'))) ctx.addIssue({ code: 'custom', path: [...at, key], input: ptr, message: `a JSON pointer ("" or starting with "/") is needed, got ${describeValue(ptr)}` });
      }
      if ((op['op'] === 'add' || op['op'] === 'replace' || op['op'] === 'test') && !('value' in op)) {
        ctx.addIssue({ code: 'custom', path: [...at, 'value'], input: undefined, message: `a ${String(op['op'])} operation needs a value` });
      }
    });
  });

/** A value for messages: scalars as JSON, collections by kind. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value) ?? typeof value;
}

const replicaIndex = z.int().min(0);

/** The option schemas of a step, one per step key (a step has exactly one key). */
export const STEP_SCHEMAS = {
  apply: z.strictObject({ apply: z.array(manifest).describe('Create or replace these objects.') }),
  patch: z.strictObject({ patch: patchStep }),
  delete: z.strictObject({ delete: z.strictObject(objectRef) }),
  cloud: z.strictObject({ cloud: z.record(z.string(), z.unknown()).describe("A provider-specific change of the cloud's state.") }),
  fault: z.strictObject({
    fault: z.strictObject({
      api: apiFault.optional(),
      dropWatches: z.boolean().optional().describe('End every open watch, as an apiserver restart would.'),
      compactHistory: z.boolean().optional().describe('Forget watch history, so resuming watches get 410 Gone and relist.'),
    }),
  }),
  advance: z.strictObject({ advance: duration.describe('Let this much virtual time pass.') }),
  settle: z.strictObject({
    settle: z
      .strictObject({ within: duration.optional().describe('Fail if not settled within this virtual time; default 10m.') })
      .nullable()
      .transform((s) => ({ within: s?.within ?? DEFAULT_SETTLE_WITHIN_MS })),
  }),
  replica: z.strictObject({
    replica: z
      .strictObject({
        kill: replicaIndex.optional().describe('The process dies: no drain, no Lease release, nothing more from it.'),
        pause: replicaIndex.optional().describe('The process is frozen (SIGSTOP): its timers, requests, watch events and cloud calls wait.'),
        resume: replicaIndex.optional().describe('A paused process continues (SIGCONT): overdue timers fire, held answers arrive.'),
      })
      .superRefine((r, ctx) => {
        const given = (['kill', 'pause', 'resume'] as const).filter((k) => r[k] !== undefined);
        if (given.length !== 1) ctx.addIssue({ code: 'custom', input: r, message: `give exactly one of kill, pause, resume${given.length > 1 ? ` (got ${given.join(', ')}): split it into ${given.length} steps` : ''}` });
      })
      .describe('Kill, pause or resume one manager replica by index.'),
  }),
  expect: z.strictObject({ expect: z.array(z.union([objectExpectation, managerExpectation, cloudExpectation, eventExpectation])) }),
} as const;

/** The step keys, in documentation order. */
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as (keyof typeof STEP_SCHEMAS)[];


const managerValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

/** The whole scenario file. */
export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Editor hint; ignored.'),
    name: z.string().min(1, 'must not be empty'),
    description: z.string().optional().describe('Free text; ignored by the runner.'),
    seed: z.int().default(1).describe('Seed of the deterministic random source.'),
    provider: z.strictObject({
      name: z.string().min(1, 'must not be empty').describe('fake, local, or a registered or module-loaded provider.'),
      config: z.unknown().optional().describe("The provider's own configuration."),
    }),
    replicas: z.int().min(1).max(MAX_REPLICAS).default(1).describe('Manager replicas sharing the simulated API and cloud, identities outrigger-simulator-<i> (one replica: outrigger-simulator).'),
    manager: z
      .record(z.string(), managerValue)
      .default({})
      .describe('Manager flags by upstream name without dashes; flags that load code or touch files or ports are refused (give them on the command line).'),
    objects: z.array(manifest).default([]).describe('Objects present before the manager starts.'),
    steps: z
      .array(
        z.union([
          STEP_SCHEMAS.apply,
          STEP_SCHEMAS.patch,
          STEP_SCHEMAS.delete,
          STEP_SCHEMAS.cloud,
          STEP_SCHEMAS.fault,
          STEP_SCHEMAS.advance,
          STEP_SCHEMAS.settle,
          STEP_SCHEMAS.replica,
          STEP_SCHEMAS.expect,
        ]),
      )
      .default([]),
  })
  .superRefine((s, ctx) => {
    // Replica indices name a replica the scenario runs.
    const check = (index: number | undefined, path: (string | number)[]): void => {
      if (index !== undefined && index >= s.replicas) {
        ctx.addIssue({ code: 'custom', path, input: index, message: `no replica ${index}: the scenario runs ${s.replicas} (replicas: ${s.replicas}, indices from 0)` });
      }
    };
    s.steps.forEach((step, i) => {
      if ('replica' in step) for (const [key, index] of Object.entries(step.replica)) check(index, ['steps', i, 'replica', key]);
      if ('expect' in step) step.expect.forEach((e, j) => 'manager' in e && check(e.manager.replica, ['steps', i, 'expect', j, 'manager', 'replica']));
    });
  })
  .describe('An Outrigger simulator scenario.');
