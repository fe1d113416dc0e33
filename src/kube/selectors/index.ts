/**
 * Label and field selectors for list/watch, parsed and matched as kube-apiserver does.
 *
 * @module
 */
export { SelectorError } from './selector-error.js';
export { parseLabelSelector, labelSelectorFromMatch } from './label-selector.js';
export type {
  LabelOperator,
  LabelRequirement,
  LabelSelector,
  LabelSelectorObject,
  LabelSelectorRequirementObject,
} from './label-selector.js';
export { labelKeyErrors, labelValueErrors, dnsSubdomainErrors } from './label-names.js';
export { parseFieldSelector, checkFieldSelector, fieldGettersFor } from './field-selector.js';
export type { FieldGetters, FieldRequirement, FieldSelector } from './field-selector.js';
