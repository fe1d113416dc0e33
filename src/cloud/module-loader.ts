/**
 * Loads a provider from an ES module named on the command line (a package name or a file path),
 * the TypeScript counterpart of upstream's compile-time `import _ "…/provider"` registration.
 *
 * The module convention — a provider module exports exactly one of:
 * - `register(registry)`: a function (may be async) that calls `registry.register(name, factory)`
 *   for one or more providers — use it when registration needs logic;
 * - `provider`: one `{ name, factory }` entry;
 * - `providers`: a non-empty array of `{ name, factory }` entries.
 * When the module has none of these as named exports, its default export is searched the same
 * way, which covers CommonJS modules (`module.exports = { provider }`).
 *
 * @example
 * ```js
 * // acme-provider.js
 * export const provider = { name: 'acme', factory: ({ contents }) => new AcmeCloud(contents) };
 * ```
 * ```ts
 * await loadProviderModule('./acme-provider.js', defaultRegistry, { cwd: process.cwd() });
 * ```
 *
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeValue } from './describe-value.js';
import type { ProviderFactory, ProviderRegistry } from './registry.js';
import { ProviderModuleError } from './registry-errors.js';
import { errorMessage } from '../log/error-message.js';

/** One provider exported by a provider module. */
export interface ProviderModuleEntry {
  /** The name to register (what `--cloud-provider` selects). */
  readonly name: string;
  /** Constructs the provider. */
  readonly factory: ProviderFactory;
}

/** Options of {@link loadProviderModule}. */
export interface LoadProviderModuleOptions {
  /** Directory relative paths and package names are resolved from; default `process.cwd()`. */
  readonly cwd?: string;
}

/** What {@link loadProviderModule} loaded. */
export interface LoadedProviderModule {
  /** The specifier as given. */
  readonly specifier: string;
  /** The URL the module was imported from. */
  readonly url: string;
  /** Provider names the module added to the registry, sorted. */
  readonly registered: readonly string[];
}

const CONVENTION_EXPORTS = ['register', 'provider', 'providers'] as const;
const CONVENTION = 'expected an export "register" (a function called with the registry), "provider" ({ name, factory }) or "providers" (an array of them)';

/** Whether `specifier` names a file (relative, absolute or `file:` URL) rather than a package. */
function isPathSpecifier(specifier: string): boolean {
  // As Node does: only `./`, `../` and absolute paths are files; `dir/x.js` would be a package subpath.
  return (
    specifier === '.' ||
    specifier === '..' ||
    /^\.\.?[\\/]/.test(specifier) ||
    specifier.startsWith('file:') ||
    isAbsolute(specifier)
  );
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The target of a package.json `exports` entry for `import` (conditions import, node, default). */
function exportTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = exportTarget(v);
      if (t !== undefined) return t;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if ('.' in record) return exportTarget(record['.']);
  for (const condition of ['import', 'node', 'default']) {
    if (condition in record) return exportTarget(record[condition]);
  }
  return undefined;
}

/**
 * The entry file of a package folder, as Node resolves a package by name: `exports` ('.', for
 * import), else `main`, else `index.js`.
 */
async function packageDirEntry(specifier: string, dir: string): Promise<string> {
  let pkg: { exports?: unknown; main?: unknown } = {};
  const manifest = join(dir, 'package.json');
  if (await isFile(manifest)) {
    try {
      pkg = JSON.parse(await readFile(manifest, 'utf8')) as typeof pkg;
    } catch (err) {
      throw new ProviderModuleError(specifier, `cannot read ${manifest}: ${errorMessage(err)}`, { cause: err });
    }
  }
  const target = pkg.exports !== undefined ? exportTarget(pkg.exports) : typeof pkg.main === 'string' ? pkg.main : 'index.js';
  if (target === undefined) throw new ProviderModuleError(specifier, `${manifest}: "exports" has no entry for "." under the import, node or default condition`);
  const entry = resolve(dir, target);
  if (!(await isFile(entry))) throw new ProviderModuleError(specifier, `module not found: the package folder ${dir} names ${target}, and there is no file at ${entry} (build it first?)`);
  return entry;
}

/** Resolves `specifier` to an importable URL, or throws a ProviderModuleError saying it was not found. */
async function resolveSpecifier(specifier: string, cwd: string): Promise<string> {
  if (isPathSpecifier(specifier)) {
    let path: string;
    try {
      path = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolve(cwd, specifier);
    } catch (err) {
      throw new ProviderModuleError(specifier, `not a valid file URL: ${errorMessage(err)}`, { cause: err });
    }
    if (await isDirectory(path)) return pathToFileURL(await packageDirEntry(specifier, path)).href;
    if (!(await isFile(path))) throw new ProviderModuleError(specifier, `module not found: no file or package folder at ${path}`);
    return pathToFileURL(path).href;
  }
  // A package: look from `cwd` first, where the user installed it. require.resolve only knows the
  // CommonJS export conditions, so an ESM-only package that cwd cannot resolve that way is then
  // looked up from Outrigger's own location by the ES module resolver.
  try {
    const resolved = createRequire(join(cwd, '__outrigger_resolve__.js')).resolve(specifier);
    return isAbsolute(resolved) ? pathToFileURL(resolved).href : resolved;
  } catch {
    try {
      return import.meta.resolve(specifier);
    } catch (err) {
      const local = resolve(cwd, specifier);
      const hint = (await isFile(local)) ? `; to load the file ${local}, write "./${specifier}"` : '';
      throw new ProviderModuleError(specifier, `module not found: no package of that name is resolvable from ${cwd}${hint}`, { cause: err });
    }
  }
}

const TYPESCRIPT_FILE = /\.[cm]?ts$/;

/**
 * Imports a TypeScript provider module through tsx when the project has it (Node 20 cannot import
 * `.ts` itself); otherwise says in one line what to do.
 */
async function importTypeScript(specifier: string, url: string, cwd: string): Promise<Record<string, unknown>> {
  const tsxApi = (await tsxApiFrom(cwd)) ?? (await tsxApiFrom(fileURLToPath(new URL('.', import.meta.url))));
  if (tsxApi === undefined) {
    throw new ProviderModuleError(specifier, 'is TypeScript, which Node.js cannot import by itself: install tsx in your project (npm install --save-dev tsx) or compile the module to JavaScript');
  }
  try {
    const { tsImport } = (await import(tsxApi)) as { tsImport: (url: string, parent: string) => Promise<Record<string, unknown>> };
    return await tsImport(url, import.meta.url);
  } catch (err) {
    throw new ProviderModuleError(specifier, `importing ${url} through tsx failed: ${errorMessage(err)}`, { cause: err });
  }
}

/** The ES-module entry of tsx's `esm/api` as resolvable from `dir`, or undefined. */
async function tsxApiFrom(dir: string): Promise<string | undefined> {
  let manifest: string;
  try {
    manifest = createRequire(join(dir, '__outrigger_resolve__.js')).resolve('tsx/package.json');
  } catch {
    return undefined;
  }
  const pkg = JSON.parse(await readFile(manifest, 'utf8')) as { exports?: Record<string, unknown> };
  // The import condition of the subpath: require.resolve would pick the CommonJS build.
  const target = exportTarget(pkg.exports?.['./esm/api']);
  return target === undefined ? undefined : pathToFileURL(resolve(dirname(manifest), target)).href;
}

/** Why `value` is not a {@link ProviderModuleEntry} (`where` names the export), or undefined. */
function entryProblem(value: unknown, where: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `export ${where} is ${describeValue(value)}, expected { name: string, factory: function }`;
  }
  const { name, factory } = value as { name?: unknown; factory?: unknown };
  if (typeof name !== 'string' || name === '') {
    return `export ${where} has a "name" that is ${name === '' ? 'an empty string' : describeValue(name)}, expected a non-empty string`;
  }
  if (typeof factory !== 'function') {
    return `export ${where} (${JSON.stringify(name)}) has a "factory" that is ${describeValue(factory)}, expected a function`;
  }
  return undefined;
}

/** The object holding the convention exports: the namespace itself, else its default export. */
function conventionHolder(namespace: Record<string, unknown>): Record<string, unknown> | undefined {
  const has = (o: Record<string, unknown>): boolean => CONVENTION_EXPORTS.some((k) => o[k] !== undefined);
  if (has(namespace)) return namespace;
  const fallback = namespace['default'];
  if (typeof fallback === 'object' && fallback !== null && has(fallback as Record<string, unknown>)) {
    return fallback as Record<string, unknown>;
  }
  return undefined;
}

/** Registers the `provider`/`providers` entries, all or (as far as can be checked up front) none. */
function registerEntries(specifier: string, registry: ProviderRegistry, entries: readonly ProviderModuleEntry[]): void {
  const seen = new Set<string>();
  for (const { name } of entries) {
    if (seen.has(name) || registry.has(name)) {
      throw new ProviderModuleError(specifier, `cloud provider ${JSON.stringify(name)} is already registered`);
    }
    seen.add(name);
  }
  for (const { name, factory } of entries) {
    try {
      registry.register(name, factory);
    } catch (err) {
      throw new ProviderModuleError(specifier, errorMessage(err), { cause: err });
    }
  }
}

/**
 * Imports a provider module and registers its providers into `registry`, following the module
 * convention above.
 * @param specifier - a package name (resolved from `cwd`) or a file path: relative paths must start
 *   with `./` or `../` and are resolved against `cwd`; absolute paths and `file:` URLs are accepted.
 * @throws ProviderModuleError naming the specifier when the module is not found, fails to import,
 *   has no recognised export or more than one, has an export of the wrong shape, when `register()`
 *   throws or registers nothing, or when a name is already registered.
 */
export async function loadProviderModule(
  specifier: string,
  registry: ProviderRegistry,
  options: LoadProviderModuleOptions = {},
): Promise<LoadedProviderModule> {
  if (typeof specifier !== 'string' || specifier.trim() === '') {
    throw new ProviderModuleError(String(specifier), 'the specifier is empty, expected a package name or a file path');
  }
  const cwd = options.cwd ?? process.cwd();
  const url = await resolveSpecifier(specifier, cwd);

  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || !TYPESCRIPT_FILE.test(url)) {
      throw new ProviderModuleError(specifier, `importing ${url} failed: ${errorMessage(err)}`, { cause: err });
    }
    namespace = await importTypeScript(specifier, url, cwd);
  }

  const holder = conventionHolder(namespace);
  if (holder === undefined) {
    const names = Object.keys(namespace);
    const found = names.length === 0 ? 'it has no exports' : `it exports ${names.map((n) => JSON.stringify(n)).join(', ')}`;
    throw new ProviderModuleError(specifier, `no recognised export: ${found}; ${CONVENTION}`);
  }
  const present = CONVENTION_EXPORTS.filter((k) => holder[k] !== undefined);
  if (present.length > 1) {
    throw new ProviderModuleError(
      specifier,
      `it exports ${present.map((n) => JSON.stringify(n)).join(' and ')}; export exactly one of "register", "provider", "providers"`,
    );
  }

  const before = new Set(registry.names());
  const { register, provider, providers } = holder;
  if (register !== undefined) {
    if (typeof register !== 'function') {
      throw new ProviderModuleError(specifier, `export "register" is ${describeValue(register)}, expected a function register(registry)`);
    }
    try {
      await (register as (registry: ProviderRegistry) => unknown)(registry);
    } catch (err) {
      throw new ProviderModuleError(specifier, `register() failed: ${errorMessage(err)}`, { cause: err });
    }
    const added = registry.names().filter((n) => !before.has(n));
    if (added.length === 0) throw new ProviderModuleError(specifier, 'register() registered no cloud provider in the registry it was given');
    return { specifier, url, registered: added };
  }

  let entries: ProviderModuleEntry[];
  if (provider !== undefined) {
    const problem = entryProblem(provider, '"provider"');
    if (problem !== undefined) throw new ProviderModuleError(specifier, problem);
    entries = [provider as ProviderModuleEntry];
  } else {
    if (!Array.isArray(providers) || providers.length === 0) {
      const got = Array.isArray(providers) ? 'an empty array' : describeValue(providers);
      throw new ProviderModuleError(specifier, `export "providers" is ${got}, expected a non-empty array of { name, factory }`);
    }
    entries = [];
    for (const [i, entry] of (providers as unknown[]).entries()) {
      const problem = entryProblem(entry, `"providers[${i}]"`);
      if (problem !== undefined) throw new ProviderModuleError(specifier, problem);
      entries.push(entry as ProviderModuleEntry);
    }
  }
  registerEntries(specifier, registry, entries);
  return { specifier, url, registered: entries.map((e) => e.name).sort() };
}
