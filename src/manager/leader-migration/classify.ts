/**
 * Which lock a controller runs under during leader migration, ported from
 * k8s.io/controller-manager `leadermigration.NewLeaderMigrator`'s filter.
 *
 * @module
 */
import { CLOUD_CONTROLLER_MANAGER } from '../../cloud/constants.js';
import type { LeaderMigrationConfiguration } from './config.js';

/** The component name this manager matches `controllerLeaders[].component` against. */
export const CLOUD_CONTROLLER_MANAGER_COMPONENT = CLOUD_CONTROLLER_MANAGER;

/** The component value meaning "whichever manager holds the migration lock". */
export const ANY_COMPONENT = '*';

/**
 * - `migrated`: listed for our component or `*` — runs under the migration lock;
 * - `unowned`: listed for another component — never runs here;
 * - `nonMigrated`: not listed — runs under the main lock.
 */
export type MigrationClass = 'migrated' | 'unowned' | 'nonMigrated';

/**
 * The classification function for `component` (upstream `FilterFunc`). Names match exactly —
 * aliases are not resolved — and a controller listed twice takes its last entry, as upstream's map.
 */
export function leaderMigrationFilter(config: LeaderMigrationConfiguration, component: string): (controller: string) => MigrationClass {
  const runsHere = new Map<string, boolean>();
  for (const entry of config.controllerLeaders) runsHere.set(entry.name, entry.component === component || entry.component === ANY_COMPONENT);
  return (controller) => {
    const here = runsHere.get(controller);
    if (here === undefined) return 'nonMigrated';
    return here ? 'migrated' : 'unowned';
  };
}

/** Splits `controllers` (canonical names, order kept) into the three migration classes for `component`. */
export function classifyControllers(
  config: LeaderMigrationConfiguration,
  controllers: readonly string[],
  component: string,
): { migrated: string[]; unowned: string[]; nonMigrated: string[] } {
  const filter = leaderMigrationFilter(config, component);
  const out = { migrated: [] as string[], unowned: [] as string[], nonMigrated: [] as string[] };
  for (const name of controllers) out[filter(name)].push(name);
  return out;
}
