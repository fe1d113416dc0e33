/**
 * Field paths in messages, written as an author would address the field.
 *
 * @module
 */
import { formatFieldPath } from '../../input/field-path.js';

/** A path as an author writes it: `steps[3].advance`, `metadata.labels["topology.kubernetes.io/zone"]`. */
export const formatPath = formatFieldPath;
