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
