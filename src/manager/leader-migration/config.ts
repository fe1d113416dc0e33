/**
 * Strict parsing of a `LeaderMigrationConfiguration` file (KEP-2436; `--leader-migration-config`),
 * as k8s.io/controller-manager reads it: YAML or JSON, group `controllermanager.config.k8s.io`,
 * versions v1, v1beta1 and v1alpha1, unknown and duplicate fields rejected, then validated.
 * Every error names the file, line, column and field path.
 *
 * @module
 */
import { z } from 'zod';
import { oneLine } from '../../input/one-line.js';
import { formatFieldPath, parseYamlConfig, readYamlConfigFile } from '../../input/yaml-config.js';
import type { ConfigProblem, YamlConfig } from '../../input/yaml-config.js';

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
    super(oneLine(`invalid leader migration configuration ${where}: ${field === '' ? '' : `${field}: `}${detail}`));
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
  return leaderMigrationFromDocument(parseYamlConfig(text, { file: path, error: toError }));
}

/**
 * Reads `--leader-migration-config` (a regular file of at most 4 MiB) and parses it.
 *
 * @example
 * ```ts
 * const migration = await loadLeaderMigrationConfigFile(options.leaderMigrationConfig);
 * ```
 * @throws InputFileError naming `--leader-migration-config` when the file cannot be read;
 * LeaderMigrationConfigError for its content.
 */
export async function loadLeaderMigrationConfigFile(path: string, source = '--leader-migration-config'): Promise<LeaderMigrationConfiguration> {
  return leaderMigrationFromDocument(await readYamlConfigFile(path, { source, error: toError }));
}

function toError(p: ConfigProblem): LeaderMigrationConfigError {
  return new LeaderMigrationConfigError(p.file, p.position === undefined ? undefined : { line: p.position.line, col: p.position.column }, formatFieldPath(p.path), p.detail);
}

function leaderMigrationFromDocument(doc: YamlConfig): LeaderMigrationConfiguration {
  if (!doc.isMapping) {
    return doc.fail([], doc.isEmpty ? 'empty document: expected a LeaderMigrationConfiguration' : 'expected a mapping (a LeaderMigrationConfiguration object)');
  }
  const raw = doc.value as Record<string, unknown>;
  // As upstream's decoder: the type is chosen by apiVersion and kind before fields are checked.
  const apiVersion = raw['apiVersion'];
  const kind = raw['kind'];
  if (apiVersion === undefined || apiVersion === '') return doc.fail(['apiVersion'], 'required field is missing', 'key');
  if (kind === undefined || kind === '') return doc.fail(['kind'], 'required field is missing', 'key');
  if (typeof apiVersion !== 'string' || !(LEADER_MIGRATION_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    return doc.fail(['apiVersion'], `unsupported apiVersion ${JSON.stringify(apiVersion)}; expected one of ${LEADER_MIGRATION_API_VERSIONS.join(', ')}`);
  }
  if (kind !== 'LeaderMigrationConfiguration') {
    return doc.fail(['kind'], `unexpected kind ${JSON.stringify(kind)}; expected LeaderMigrationConfiguration`);
  }
  const isV1 = apiVersion === `${LEADER_MIGRATION_GROUP}/v1`;
  const cfg = doc.validate(isV1 ? v1 : v1beta1, {
    describe: (issue, described) =>
      issue.code === 'unrecognized_keys' && isV1 && issue.keys[0] === 'resourceLock'
        ? { ...described, detail: `unknown field (${apiVersion} always uses leases; resourceLock exists only in v1beta1 and v1alpha1)` }
        : undefined,
  });
  // ValidateLeaderMigrationConfiguration, field by field.
  if (cfg.leaderName === undefined || cfg.leaderName === '') {
    return doc.fail(['leaderName'], 'leaderName must be set for LeaderMigrationConfiguration', cfg.leaderName === undefined ? 'key' : 'value');
  }
  const resourceLock = isV1 ? 'leases' : 'resourceLock' in cfg ? cfg.resourceLock : undefined;
  if (resourceLock !== 'leases') {
    // Upstream validation still admits 'endpoints', but client-go removed that lock type, so
    // such a config only fails later, when the migration lock is built; say so up front.
    const detail =
      resourceLock === 'endpoints'
        ? 'the endpoints lock was removed from client-go; use "leases"'
        : `resource lock must be "leases", got ${JSON.stringify(resourceLock ?? '')}`;
    return doc.fail(['resourceLock'], detail, resourceLock === undefined ? 'key' : 'value');
  }
  const controllerLeaders = (cfg.controllerLeaders ?? []).map((entry, i) => {
    if (entry.name === '') doc.fail(['controllerLeaders', i, 'name'], 'required value');
    if (entry.component === '') doc.fail(['controllerLeaders', i, 'component'], 'required value');
    return { name: entry.name, component: entry.component };
  });
  return { apiVersion, kind: 'LeaderMigrationConfiguration', leaderName: cfg.leaderName, resourceLock, controllerLeaders };
}
