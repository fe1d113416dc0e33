/**
 * The one error every patch engine throws, classified the way kube-apiserver answers a patch it
 * cannot apply: a malformed patch document is a 400 BadRequest, a well-formed one that does not
 * fit the object is a 422 Invalid.
 *
 * @module
 */

/** How the apiserver classifies a failed patch: `bad-request` → 400, `invalid` → 422. */
export type PatchErrorKind = 'bad-request' | 'invalid';

/** A patch that could not be applied, with the field it failed at when known. */
export class PatchError extends Error {
  /** Stable code for `instanceof`-free checks. */
  readonly code = 'PatchError' as const;
  /** `bad-request`: the patch document is malformed; `invalid`: it cannot apply to this object. */
  readonly kind: PatchErrorKind;
  /** Dotted/indexed path of the offending field, e.g. `spec.taints` or `status.addresses[1]`. */
  readonly field: string | undefined;

  constructor(kind: PatchErrorKind, message: string, field?: string) {
    super(message);
    this.name = 'PatchError';
    this.kind = kind;
    this.field = field;
  }
}
