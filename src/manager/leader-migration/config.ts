/**
 * Strict parsing of a `LeaderMigrationConfiguration` file (KEP-2436; `--leader-migration-config`),
 * as k8s.io/controller-manager reads it: YAML or JSON, group `controllermanager.config.k8s.io`,
 * versions v1, v1beta1 and v1alpha1, unknown and duplicate fields rejected, then validated.
 * Every error names the file, line, column and field path.
 *
 * @module
 */
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { z } from 'zod';

/** The config group every accepted version belongs to. */
export const LEADER_MIGRATION_GROUP = 'controllermanager.config.k8s.io';

/** The accepted `apiVersion`s, newest first. */
export const LEADER_MIGRATION_API_VERSIONS = [`${LEADER_MIGRATION_GROUP}/v1`, `${LEADER_MIGRATION_GROUP}/v1beta1`, `${LEADER_MIGRATION_GROUP}/v1alpha1`] as const;

/** One migrating controller and the component that should run it (`*`: whichever takes the migration lock). */
export interface ControllerLeaderConfiguration {
  name: string;
  component: string;
}

/** A validated leader migration configuration (the internal, version-independent form). */
export interface LeaderMigrationConfiguration {
  apiVersion: string;
  kind: 'LeaderMigrationConfiguration';
  /** Name of the Lease that guards the migrated controllers. */
  leaderName: string;
  /** Always `leases`: v1 has no such field and client-go removed every other lock type. */
  resourceLock: string;
  controllerLeaders: ControllerLeaderConfiguration[];
}

/** The configuration file is invalid; the message reads `<file>:<line>:<col>: <field>: <problem>`. */
export class LeaderMigrationConfigError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  override readonly name = 'LeaderMigrationConfigError';
  /** The file, when known. */
  readonly file: string | undefined;
  /** 1-based line of the offending field, when known. */
  readonly line: number | undefined;
  /** 1-based column of the offending field, when known. */
  readonly column: number | undefined;
  /** Path of the offending field (`controllerLeaders[1].component`), `''` for the document. */
  readonly field: string;

  constructor(file: string | undefined, pos: { line: number; col: number } | undefined, field: string, detail: string) {
    const where = `${file ?? '<leader-migration-config>'}${pos === undefined ? '' : `:${pos.line}:${pos.col}`}`;
    super(`invalid leader migration configuration ${where}: ${field === '' ? '' : `${field}: `}${detail}`);
    this.file = file;
    this.line = pos?.line;
    this.column = pos?.col;
    this.field = field;
  }
}

const leader = z.strictObject({
  name: z.string(),
  component: z.string(),
});
const common = {
  apiVersion: z.string(),
  kind: z.string(),
  leaderName: z.string().optional(),
  // `null` is what `controllerLeaders:` with no items decodes to; upstream accepts it as empty.
  controllerLeaders: z.array(leader).nullable().optional(),
};
// v1 dropped resourceLock: with strict decoding the field is unknown there.
const v1 = z.strictObject(common);
const v1beta1 = z.strictObject({ ...common, resourceLock: z.string().optional() });

type Path = readonly (string | number)[];

function formatPath(path: Path): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

/**
 * Parses and validates a LeaderMigrationConfiguration.
 *
 * @example
 * ```yaml
 * apiVersion: controllermanager.config.k8s.io/v1
 * kind: LeaderMigrationConfiguration
 * leaderName: cloud-provider-extraction-migration
 * controllerLeaders:
 *   - name: node-route-controller
 *     component: '*'
 * ```
 * @throws LeaderMigrationConfigError naming the file, line, column and field at fault.
 */
export function parseLeaderMigrationConfig(text: string, path?: string): LeaderMigrationConfiguration {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const posAt = (offset: number | undefined): { line: number; col: number } | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset);
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const pos = posAt(firstError.pos[0]);
    throw new LeaderMigrationConfigError(path, pos, '', `YAML syntax error: ${firstError.message.split('\n')[0] ?? ''}`);
  }
  const fail = (at: Path, detail: string, key?: string): never => {
    throw new LeaderMigrationConfigError(path, posAt(offsetOf(doc, at, key)), formatPath(key === undefined ? at : [...at, key]), detail);
  };
  if (!isMap(doc.contents)) {
    return fail([], doc.contents === null ? 'empty document: expected a LeaderMigrationConfiguration' : 'expected a mapping (a LeaderMigrationConfiguration object)');
  }
  const raw = doc.toJS() as Record<string, unknown>;
  // As upstream's decoder: the type is chosen by apiVersion and kind before fields are checked.
  const apiVersion = raw['apiVersion'];
  const kind = raw['kind'];
  if (apiVersion === undefined || apiVersion === '') return fail([], 'required field is missing', 'apiVersion');
  if (kind === undefined || kind === '') return fail([], 'required field is missing', 'kind');
  if (typeof apiVersion !== 'string' || !(LEADER_MIGRATION_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    return fail(['apiVersion'], `unsupported apiVersion ${JSON.stringify(apiVersion)}; expected one of ${LEADER_MIGRATION_API_VERSIONS.join(', ')}`);
  }
  if (kind !== 'LeaderMigrationConfiguration') {
    return fail(['kind'], `unexpected kind ${JSON.stringify(kind)}; expected LeaderMigrationConfiguration`);
  }
  const isV1 = apiVersion === `${LEADER_MIGRATION_GROUP}/v1`;
  const parsed = (isV1 ? v1 : v1beta1).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue === undefined) return fail([], 'invalid');
    const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      const hint = isV1 && key === 'resourceLock' ? ` (${apiVersion} always uses leases; resourceLock exists only in v1beta1 and v1alpha1)` : '';
      return fail(at, `unknown field${hint}`, key);
    }
    if (issue.code === 'invalid_type' && valueAt(raw, at) === undefined) return fail(at.slice(0, -1), 'required field is missing', String(at[at.length - 1]));
    return fail(at, issue.message);
  }
  const cfg = parsed.data;
  // ValidateLeaderMigrationConfiguration, field by field.
  if (cfg.leaderName === undefined || cfg.leaderName === '') {
    return fail(cfg.leaderName === undefined ? [] : ['leaderName'], 'leaderName must be set for LeaderMigrationConfiguration', cfg.leaderName === undefined ? 'leaderName' : undefined);
  }
  const resourceLock = isV1 ? 'leases' : 'resourceLock' in cfg ? cfg.resourceLock : undefined;
  if (resourceLock !== 'leases') {
    // Upstream validation still admits 'endpoints', but client-go removed that lock type, so
    // such a config only fails later, when the migration lock is built; say so up front.
    const detail =
      resourceLock === 'endpoints'
        ? 'the endpoints lock was removed from client-go; use "leases"'
        : `resource lock must be "leases", got ${JSON.stringify(resourceLock ?? '')}`;
    return resourceLock === undefined ? fail([], detail, 'resourceLock') : fail(['resourceLock'], detail);
  }
  const controllerLeaders = (cfg.controllerLeaders ?? []).map((entry, i) => {
    if (entry.name === '') fail(['controllerLeaders', i, 'name'], 'required value');
    if (entry.component === '') fail(['controllerLeaders', i, 'component'], 'required value');
    return { name: entry.name, component: entry.component };
  });
  return { apiVersion, kind: 'LeaderMigrationConfiguration', leaderName: cfg.leaderName, resourceLock, controllerLeaders };
}

/** Source offset of the node at `path` (of `key` inside it, when given), or of its nearest existing ancestor. */
function offsetOf(doc: Document, path: Path, key: string | undefined): number | undefined {
  if (key !== undefined) {
    const parent = doc.getIn(path, true) as YamlNode | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === key);
      const keyOffset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
      if (keyOffset !== undefined) return keyOffset;
    }
  }
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as YamlNode | null | undefined;
    const offset = node?.range?.[0];
    if (offset !== undefined) return offset;
  }
  // An empty document: point at its start.
  return 0;
}

/** The decoded value at `path`, or `undefined` when any step is missing. */
function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}
