/**
 * The admission.k8s.io/v1 types a cloud-provider webhook sees (kubernetes-types ships none for
 * this group), and the webhook contract — upstream's `WebhookConfig` (KEP-2699): a name, the
 * path it is served on, and a handler from an AdmissionRequest to an AdmissionResponse.
 *
 * @module
 */
import type { Status } from 'kubernetes-types/meta/v1.js';

/** Group, version and kind (or resource) of the object under review. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** Group, version and resource of the object under review. */
export interface GroupVersionResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
}

/** admission.k8s.io/v1 `AdmissionRequest`. */
export interface AdmissionRequest {
  /** Echoed in the response (the manager does this). */
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource?: string;
  readonly requestKind?: GroupVersionKind;
  readonly requestResource?: GroupVersionResource;
  readonly requestSubResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  /** `CREATE`, `UPDATE`, `DELETE` or `CONNECT`. */
  readonly operation: string;
  readonly userInfo: { readonly username?: string; readonly uid?: string; readonly groups?: readonly string[]; readonly extra?: Readonly<Record<string, readonly string[]>> };
  /** The object as it would be stored (absent on DELETE). */
  readonly object?: unknown;
  /** The stored object (UPDATE, DELETE). */
  readonly oldObject?: unknown;
  readonly dryRun?: boolean;
  readonly options?: unknown;
}

/** admission.k8s.io/v1 `AdmissionResponse`; `uid` is filled in from the request. */
export interface AdmissionResponse {
  readonly uid?: string;
  readonly allowed: boolean;
  /** Why a request was refused (shown to the user). */
  readonly status?: Status;
  /** Base64 of a JSON Patch (mutating webhooks), with `patchType: 'JSONPatch'`. */
  readonly patch?: string;
  readonly patchType?: 'JSONPatch';
  readonly auditAnnotations?: Readonly<Record<string, string>>;
  readonly warnings?: readonly string[];
}

/** admission.k8s.io/v1 `AdmissionReview`. */
export interface AdmissionReview {
  readonly apiVersion: 'admission.k8s.io/v1';
  readonly kind: 'AdmissionReview';
  readonly request?: AdmissionRequest;
  readonly response?: AdmissionResponse;
}

/**
 * A webhook the manager serves (upstream `WebhookConfig` registered with `RegisterWebhook`).
 *
 * @example
 * ```ts
 * const denyPublicLoadBalancers: AdmissionWebhook = {
 *   name: 'lb-policy',
 *   path: '/validate-services',
 *   admit: (request) => ({ allowed: request.namespace !== 'public' }),
 * };
 * await runCloudControllerManager({ argv, providers, webhooks: [denyPublicLoadBalancers] });
 * // run with --feature-gates=CloudControllerManagerWebhook=true --webhooks=lb-policy
 * ```
 */
export interface AdmissionWebhook {
  /** Its name in `--webhooks` (`*`, `name`, `-name`). */
  readonly name: string;
  /** The exact path it answers on, e.g. `/validate-services`. */
  readonly path: string;
  /**
   * Decides on one request. A thrown error or no answer is a 500 to the apiserver, which then
   * applies the webhook configuration's `failurePolicy`.
   */
  admit(request: AdmissionRequest): AdmissionResponse | undefined | Promise<AdmissionResponse | undefined>;
}
