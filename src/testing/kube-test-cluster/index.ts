/**
 * The real test cluster: kube-apiserver and etcd from upstream's modules (see docs/real-kubernetes.md).
 *
 * @module
 */
export { ADMIN_USER, startKubeTestCluster } from './kube-test-cluster.js';
export type { KubeTestCluster, KubeTestClusterOptions, KubeTestUser } from './kube-test-cluster.js';
export { findKubeBinaries, KUBE_BIN_DIR_ENV } from './binaries.js';
export type { KubeBinaries } from './binaries.js';
export { AUDIT_POLICY_YAML, countBy, parseAuditLog, readAuditLog, WRITE_VERBS } from './audit-log.js';
export type { AuditedWrite } from './audit-log.js';
export type { ApiResponse } from './api-request.js';
