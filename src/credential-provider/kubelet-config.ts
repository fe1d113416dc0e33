/**
 * The kubelet's `CredentialProviderConfig` (`--image-credential-provider-config`): read from a
 * file or, as newer kubelets allow, a directory of `*.json`/`*.yaml`/`*.yml` files merged in name
 * order; decoded strictly (an unknown field is an error, as the kubelet's strict decoder) and
 * validated with the kubelet's rules (pkg/credentialprovider/plugin/config.go), every problem
 * reported as `file:line:column: field: what`.
 *
 * @module
 */
import { access, constants, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseGoDuration } from '../manager/options/duration.js';
import { readYamlConfigFile } from '../input/yaml-config.js';
import type { YamlConfig } from '../input/yaml-config.js';
import { CREDENTIAL_PROVIDER_API_VERSIONS, CREDENTIAL_PROVIDER_V1 } from './api.js';
import type { CredentialProviderApiVersion } from './api.js';
import { parseSchemelessUrl } from './match-image.js';

/** The config's own API versions, newest first. */
export const KUBELET_CONFIG_API_VERSIONS = ['kubelet.config.k8s.io/v1', 'kubelet.config.k8s.io/v1beta1', 'kubelet.config.k8s.io/v1alpha1'] as const;

/** How the kubelet caches answers in service-account token mode. */
export type ServiceAccountTokenCacheType = 'Token' | 'ServiceAccount';

/** `tokenAttributes` of a provider: the service-account token mode. */
export interface TokenAttributes {
  readonly serviceAccountTokenAudience: string;
  readonly cacheType: ServiceAccountTokenCacheType;
  readonly requireServiceAccount: boolean;
  readonly requiredServiceAccountAnnotationKeys: readonly string[];
  readonly optionalServiceAccountAnnotationKeys: readonly string[];
}

/** One provider of the config, validated. */
export interface CredentialProviderEntry {
  /** The executable's name in the plugin directory. */
  readonly name: string;
  readonly matchImages: readonly string[];
  /** Milliseconds; used when a response has no `cacheDuration`. */
  readonly defaultCacheDurationMs: number;
  readonly apiVersion: CredentialProviderApiVersion;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly tokenAttributes?: TokenAttributes;
}

const durationText = z.string().superRefine((s, ctx) => {
  try {
    parseGoDuration(s);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
  }
});

const schema = z.strictObject({
  apiVersion: z.enum(KUBELET_CONFIG_API_VERSIONS),
  kind: z.literal('CredentialProviderConfig'),
  providers: z
    .array(
      z.strictObject({
        name: z.string(),
        matchImages: z.array(z.string()).nullish(),
        defaultCacheDuration: durationText.nullish(),
        apiVersion: z.string().nullish(),
        args: z.array(z.string()).nullish(),
        env: z.array(z.strictObject({ name: z.string(), value: z.string() })).nullish(),
        tokenAttributes: z
          .strictObject({
            serviceAccountTokenAudience: z.string().nullish(),
            cacheType: z.string().nullish(),
            requireServiceAccount: z.boolean().nullish(),
            requiredServiceAccountAnnotationKeys: z.array(z.string()).nullish(),
            optionalServiceAccountAnnotationKeys: z.array(z.string()).nullish(),
          })
          .nullish(),
      }),
    )
    .nullish(),
});

type ParsedProvider = NonNullable<z.output<typeof schema>['providers']>[number];

const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** apimachinery's IsQualifiedName on the lower-cased key, as the kubelet checks annotation keys. */
function qualifiedNameProblem(key: string): string | undefined {
  const k = key.toLowerCase();
  const parts = k.split('/');
  if (parts.length > 2) return 'a qualified name must be a name with an optional DNS subdomain prefix and "/"';
  const name = parts[parts.length - 1] ?? '';
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '' || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return 'prefix part must be a DNS subdomain';
  }
  if (name === '' || name.length > 63 || !QUALIFIED_NAME.test(name)) return 'name part must be 63 characters or less, alphanumerics, "-", "_" or ".", starting and ending alphanumeric';
  return undefined;
}

/** Validates one provider as the kubelet does; `at` points a failure at a field of provider `i`. */
function validateProvider(p: ParsedProvider, i: number, seen: Set<string>, doc: YamlConfig): CredentialProviderEntry {
  const at = (field: (string | number)[], detail: string): never => doc.fail(['providers', i, ...field], detail);
  if (p.name.includes('/')) at(['name'], "provider name cannot contain '/'");
  if (p.name.includes(' ')) at(['name'], 'provider name cannot contain spaces');
  if (p.name === '.' || p.name === '..') at(['name'], `provider name cannot be '${p.name}'`);
  if (p.name === '') at(['name'], 'required');
  if (seen.has(p.name)) at(['name'], `duplicate provider name ${JSON.stringify(p.name)}`);
  seen.add(p.name);
  const apiVersion = p.apiVersion ?? '';
  if (apiVersion === '') at(['apiVersion'], 'required');
  if (!(CREDENTIAL_PROVIDER_API_VERSIONS as readonly string[]).includes(apiVersion)) {
    at(['apiVersion'], `unsupported value ${JSON.stringify(apiVersion)}: supported values: ${[...CREDENTIAL_PROVIDER_API_VERSIONS].sort().join(', ')}`);
  }
  const matchImages = p.matchImages ?? [];
  if (matchImages.length === 0) at(['matchImages'], 'at least 1 item in matchImages is required');
  matchImages.forEach((m, j) => {
    try {
      parseSchemelessUrl(m);
    } catch (err) {
      at(['matchImages', j], `match image is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  if (p.defaultCacheDuration === undefined || p.defaultCacheDuration === null) at(['defaultCacheDuration'], 'required');
  const defaultCacheDurationMs = parseGoDuration(p.defaultCacheDuration ?? '0');
  if (defaultCacheDurationMs < 0) at(['defaultCacheDuration'], 'defaultCacheDuration must be greater than or equal to 0');
  let tokenAttributes: TokenAttributes | undefined;
  const t = p.tokenAttributes;
  if (t !== undefined && t !== null) {
    const audience = t.serviceAccountTokenAudience ?? '';
    if (audience === '') at(['tokenAttributes', 'serviceAccountTokenAudience'], 'required');
    if (t.requireServiceAccount === undefined || t.requireServiceAccount === null) at(['tokenAttributes', 'requireServiceAccount'], 'required');
    if (apiVersion !== CREDENTIAL_PROVIDER_V1) at(['tokenAttributes'], `tokenAttributes is only supported for ${CREDENTIAL_PROVIDER_V1} API version`);
    const required = t.requiredServiceAccountAnnotationKeys ?? [];
    const optional = t.optionalServiceAccountAnnotationKeys ?? [];
    if (t.requireServiceAccount === false && required.length > 0) at(['tokenAttributes', 'requiredServiceAccountAnnotationKeys'], 'requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set');
    for (const [field, keys] of [['requiredServiceAccountAnnotationKeys', required], ['optionalServiceAccountAnnotationKeys', optional]] as const) {
      const seenKeys = new Set<string>();
      keys.forEach((k, j) => {
        const problem = qualifiedNameProblem(k);
        if (problem !== undefined) at(['tokenAttributes', field, j], problem);
        if (seenKeys.has(k)) at(['tokenAttributes', field, j], `duplicate value ${JSON.stringify(k)}`);
        seenKeys.add(k);
      });
    }
    const both = required.filter((k) => optional.includes(k));
    if (both.length > 0) at(['tokenAttributes'], `annotation keys cannot be both required and optional: ${both.join(', ')}`);
    const cacheType = t.cacheType ?? '';
    if (cacheType === '') at(['tokenAttributes', 'cacheType'], 'cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token');
    if (cacheType !== 'Token' && cacheType !== 'ServiceAccount') at(['tokenAttributes', 'cacheType'], `unsupported value ${JSON.stringify(cacheType)}: supported values: ServiceAccount, Token`);
    tokenAttributes = {
      serviceAccountTokenAudience: audience,
      cacheType: cacheType as ServiceAccountTokenCacheType,
      requireServiceAccount: t.requireServiceAccount === true,
      requiredServiceAccountAnnotationKeys: required,
      optionalServiceAccountAnnotationKeys: optional,
    };
  }
  return {
    name: p.name,
    matchImages,
    defaultCacheDurationMs,
    apiVersion: apiVersion as CredentialProviderApiVersion,
    args: p.args ?? [],
    env: p.env ?? [],
    ...(tokenAttributes === undefined ? {} : { tokenAttributes }),
  };
}

/** The config files the kubelet reads for `path`: the file, or a directory's config files by name. */
async function configFiles(path: string, source: string): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory() !== true) return [path];
  const names = (await readdir(path, { withFileTypes: true }))
    .filter((e) => !e.isDirectory() && /\.(json|ya?ml)$/.test(e.name))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) throw new Error(`${source}: no configuration files found in directory ${JSON.stringify(path)}`);
  return names.map((n) => join(path, n));
}

/**
 * Reads and validates a credential provider config as the kubelet does.
 * @param source the flag that named it, for messages (`--config`).
 * @throws ConfigFileError (at a file, line and field) or InputFileError.
 */
export async function readCredentialProviderConfig(path: string, source = '--image-credential-provider-config'): Promise<CredentialProviderEntry[]> {
  const providers: CredentialProviderEntry[] = [];
  const seen = new Set<string>();
  for (const file of await configFiles(path, source)) {
    const doc = await readYamlConfigFile(file, { source });
    const parsed = doc.validate(schema);
    const list = parsed.providers ?? [];
    if (list.length === 0 && providers.length === 0) doc.fail(['providers'], 'at least 1 item in plugins is required');
    list.forEach((p, i) => providers.push(validateProvider(p, i, seen, doc)));
  }
  return providers;
}

/**
 * Checks what the kubelet checks at start-up: the plugin directory exists and holds an
 * executable for every provider.
 * @throws Error naming the directory or the missing executable.
 */
export async function checkPluginBinaries(binDir: string, providers: readonly CredentialProviderEntry[]): Promise<void> {
  const info = await stat(binDir).catch(() => undefined);
  if (info === undefined) throw new Error(`plugin binary directory ${binDir} did not exist`);
  for (const p of providers) {
    const bin = join(binDir, p.name);
    try {
      await access(bin, constants.X_OK);
    } catch {
      throw new Error(`plugin binary executable ${bin} did not exist (or is not executable)`);
    }
  }
}
