/**
 * `outrigger/credential-provider`: write a kubelet image credential provider plugin in
 * TypeScript ({@link runCredentialProvider}), and check any plugin binary the way the kubelet
 * runs it (matchImages, exec, strict decoding, cache).
 *
 * @module
 */
export * from './api.js';
export { CredentialProtocolError, decodeRequest, decodeResponse, encodeRequest, encodeResponse, isCacheKeyType, ResponseDecodeError } from './codec.js';
export type { DecodeRequestOptions } from './codec.js';
export { DEFAULT_PLUGIN_DEADLINE_MS, KUBELET_EXEC_TIMEOUT_MS, runCredentialProvider, serveCredentialRequest } from './run.js';
export type { CredentialProviderIo, CredentialProviderOptions, CredentialResult, ProvideContext, ProvideCredentials } from './run.js';
export { parseStrictJson, StrictJsonError } from './strict-json.js';
export type { JsonValue } from './strict-json.js';
// The kubelet's side, as a harness. The config reader (kubelet-config.ts) is left out on
// purpose: it loads yaml and zod, and a plugin importing this module should start fast.
export { execPlugin, PluginExecError } from './exec-plugin.js';
export type { ExecPluginOptions } from './exec-plugin.js';
export type { CredentialProviderEntry, ServiceAccountTokenCacheType, TokenAttributes } from './kubelet-config.js';
export { KubeletCredentialSimulator, testServiceAccountToken } from './kubelet-simulator.js';
export type { KubeletCredentialSimulatorOptions, PluginOutcome, PluginRunner, PullPod, PullReport, ServiceAccountInfo } from './kubelet-simulator.js';
export { explainMatch, ImageUrlError, parseSchemelessUrl, registryOf, repositoryOf, splitHostPort, urlsMatch } from './match-image.js';
export type { MatchVerdict, SchemelessUrl } from './match-image.js';
export { BadGlobPatternError, goFilepathMatch } from './go-glob.js';
