/**
 * The list/watch filter of the simulated API server (a test double): namespace plus label and
 * field selectors, parsed and checked with the shared selector helpers. A malformed selector or an
 * unsupported field is a 400 BadRequest, as the apiserver answers.
 *
 * @module
 */
import { apiErrors } from '../errors.js';
import type { ResourceType } from '../resources.js';
import { checkFieldSelector, fieldGettersFor, parseFieldSelector, parseLabelSelector, SelectorError } from '../selectors/index.js';
import { isJsonObject } from '../json-value.js';
import type { JsonObject } from '../json-value.js';
import type { ObjectPredicate } from './watch-hub.js';

/** What a list or watch is restricted to. */
export interface FilterOptions {
  readonly namespace?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly fieldSelector?: string | undefined;
}

/** A compiled filter and whether it selects by label or field (which disables remainingItemCount). */
export interface ObjectFilter {
  readonly matches: ObjectPredicate;
  readonly hasSelectors: boolean;
}

function labelsOf(obj: JsonObject): Record<string, string> | undefined {
  const meta = obj['metadata'];
  const labels = isJsonObject(meta) ? meta['labels'] : undefined;
  return isJsonObject(labels) ? (labels as Record<string, string>) : undefined;
}

function namespaceOf(obj: JsonObject): string {
  const meta = obj['metadata'];
  const ns = isJsonObject(meta) ? meta['namespace'] : undefined;
  return typeof ns === 'string' ? ns : '';
}

/** Compiles the filter of a list/watch request; throws a 400 KubeApiError for bad selectors. */
export function compileFilter(type: ResourceType, options: FilterOptions): ObjectFilter {
  try {
    const labels = parseLabelSelector(options.labelSelector ?? '');
    const fields = parseFieldSelector(options.fieldSelector ?? '');
    const getters = fieldGettersFor(type.group, type.kind);
    checkFieldSelector(fields, getters);
    const namespace = options.namespace ?? '';
    return {
      hasSelectors: !labels.empty || !fields.empty,
      matches: (obj) =>
        (namespace === '' || namespaceOf(obj) === namespace) && labels.matches(labelsOf(obj)) && fields.matches(obj, getters),
    };
  } catch (err) {
    if (err instanceof SelectorError) throw apiErrors.badRequest(err.message);
    throw err;
  }
}
