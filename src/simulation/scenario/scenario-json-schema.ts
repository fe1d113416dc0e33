/**
 * The JSON Schema of scenario files, derived from the zod schema so the two cannot drift; it is
 * published as `schemas/scenario.schema.json` for editors (`# yaml-language-server: $schema=…`).
 *
 * @module
 */
import { z } from 'zod';
import { scenarioSchema } from './scenario-schema.js';

/** The scenario file format as a JSON Schema (draft 2020-12), describing what an author writes. */
export function scenarioJsonSchema(): Record<string, unknown> {
  // `input`: the file as written (durations as text, defaults optional), not the parsed result.
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://outrigger.dev/schemas/scenario.schema.json', title: 'Outrigger simulator scenario' };
}
