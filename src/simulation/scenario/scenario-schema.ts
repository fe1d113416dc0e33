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

/** The kinds a scenario may hold, with the one apiVersion the simulated apiserver serves each at. */
export const SCENARIO_KINDS: Readonly<Record<string, string>> = Object.freeze({
  Node: 'v1',
  Service: 'v1',
  Event: 'v1',
  Lease: 'coordination.k8s.io/v1',
});

/** Kinds that live in a namespace (the others are cluster-scoped). */
export const NAMESPACED_KINDS: ReadonlySet<string> = new Set(['Service', 'Event', 'Lease']);

const KIND_NAMES = Object.keys(SCENARIO_KINDS) as [string, ...string[]];

const kind = z.enum(KIND_NAMES).describe('Object kind: Node, Service, Event or Lease.');
const listMode = z.enum(['equal', 'contains']).describe('How lists compare: same items in order (equal, the default) or an any-order subset (contains).');

/** A Go duration text such as `30s`, `1h30m` or `250ms`; a bare number other than 0 is refused as ambiguous. */
const duration = z
  .union([z.string(), z.number()])
  .describe('A duration: "30s", "5m", "1h30m", "250ms".')
  .transform((value, ctx) => {
    try {
      if (typeof value === 'number' && value !== 0) throw new ScenarioDurationError(String(value), `give a unit: "${value}s", "${value}ms"`);
      return parseDuration(value);
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

/** The option schemas of a step, one per step key (a step has exactly one key). */
export const STEP_SCHEMAS = {
  apply: z.strictObject({ apply: z.array(manifest).describe('Create or replace these objects.') }),
  patch: z.strictObject({
    patch: z.strictObject({ ...objectRef, type: z.enum(['merge', 'strategic', 'json']), patch: z.unknown() }),
  }),
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
  expect: z.strictObject({ expect: z.array(z.union([objectExpectation, cloudExpectation, eventExpectation])) }),
} as const;

/** The step keys, in documentation order. */
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as (keyof typeof STEP_SCHEMAS)[];

/** How long `settle` may run by default: ten virtual minutes. */
export const DEFAULT_SETTLE_WITHIN_MS = 600_000;

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
    manager: z.record(z.string(), managerValue).default({}).describe('Manager flags by upstream name without dashes.'),
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
          STEP_SCHEMAS.expect,
        ]),
      )
      .default([]),
  })
  .describe('An Outrigger simulator scenario.');
