/**
 * `--controllers` semantics exactly as upstream's `IsControllerEnabled` (k8s.io/controller-manager):
 * the first explicit mention of a name (`name` or `-name`) decides; otherwise `*` enables every
 * controller not disabled by default. Aliases are rewritten to canonical names first, keeping `-`.
 *
 * @module
 */
import { FlagError } from './flag-error.js';

/** The controllers a manager knows. */
export interface ControllerCatalog {
  /** Canonical names. */
  readonly names: readonly string[];
  /** Alias ⇒ canonical name (upstream `CCMControllerAliases`). */
  readonly aliases: ReadonlyMap<string, string>;
  /** Controllers `*` does not enable (empty upstream). */
  readonly disabledByDefault?: ReadonlySet<string>;
}

/**
 * Rewrites aliases to canonical names (keeping a leading `-`) and rejects unknown names with the
 * list of known ones, as upstream's validation ("%q is not in the list of known controllers").
 * @throws FlagError naming `--controllers`.
 */
export function resolveControllerAliases(list: readonly string[], catalog: ControllerCatalog): string[] {
  return list.map((entry) => {
    if (entry === '*') return entry;
    const disabled = entry.startsWith('-');
    const bare = disabled ? entry.slice(1) : entry;
    const canonical = catalog.aliases.get(bare) ?? bare;
    if (!catalog.names.includes(canonical)) {
      const known = [...catalog.names, ...catalog.aliases.keys()].sort().join(', ');
      throw new FlagError('--controllers', entry, `--controllers: ${JSON.stringify(bare)} is not in the list of known controllers: ${known}`);
    }
    return disabled ? `-${canonical}` : canonical;
  });
}

/** Whether `name` is enabled by an already-resolved `--controllers` list (upstream `IsControllerEnabled`). */
export function isControllerEnabled(name: string, list: readonly string[], disabledByDefault: ReadonlySet<string> = new Set()): boolean {
  let star = false;
  for (const entry of list) {
    if (entry === name) return true;
    if (entry === `-${name}`) return false;
    if (entry === '*') star = true;
  }
  return star && !disabledByDefault.has(name);
}

/** The canonical names enabled by `list`, in catalog order. @throws FlagError for unknown names. */
export function enabledControllers(list: readonly string[], catalog: ControllerCatalog): string[] {
  const resolved = resolveControllerAliases(list, catalog);
  return catalog.names.filter((name) => isControllerEnabled(name, resolved, catalog.disabledByDefault));
}
