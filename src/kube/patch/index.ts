/**
 * Patch engines the simulated API server applies: JSON merge patch, JSON patch and strategic
 * merge patch, all pure functions over parsed JSON.
 *
 * @module
 */
export { PatchError } from './patch-error.js';
export type { PatchErrorKind } from './patch-error.js';
export { applyMergePatch } from './merge-patch.js';
export { applyJsonPatch } from './json-patch.js';
export { applyStrategicMergePatch, strategicSchemaFor } from './strategic-merge-patch.js';
export type { ListStrategy, PatchSchema } from './strategic-merge-patch.js';
