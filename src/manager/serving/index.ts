/**
 * The manager's HTTPS serving: health endpoints, `/metrics`, delegated authn/authz.
 *
 * @module
 */
export { startServing, listenHttps, ServingError, DEFAULT_ALWAYS_ALLOW_PATHS, bearerToken, isAlwaysAllowed } from './start-serving.js';
export type { ServingOptions, StartServingOptions, ServingHandle } from './start-serving.js';
export { evaluateHealth, evaluateSingleCheck, healthCheck, pingCheck } from './health.js';
export type { HealthCheck, HealthFailure, HealthQuery, HealthResponse } from './health.js';
export { DelegatedAuth, ANONYMOUS_USER, TOKEN_REVIEWS, SUBJECT_ACCESS_REVIEWS } from './delegated-auth.js';
export type { AuthUser, AuthnResult, AuthzResult, DelegatedAuthOptions } from './delegated-auth.js';
export { loadServingCertificate, ServingCertError } from './tls.js';
export type { ServingCertificate } from './tls.js';
