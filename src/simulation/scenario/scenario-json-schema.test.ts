import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { scenarioJsonSchema } from './scenario-json-schema.js';

const CHECKED_IN = new URL('../../../schemas/scenario.schema.json', import.meta.url);

describe('scenarioJsonSchema', () => {
  it('matches the checked-in schemas/scenario.schema.json (run `npm run schema` after changing the format)', () => {
    const onDisk = readFileSync(CHECKED_IN, 'utf8');
    assert.equal(onDisk, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });

  it('describes the file as written: strict objects, required name and provider, every step kind', () => {
    const schema = scenarioJsonSchema() as { required?: string[]; additionalProperties?: unknown; properties?: Record<string, unknown> };
    assert.deepEqual(schema.required, ['name', 'provider']);
    assert.equal(schema.additionalProperties, false);
    const steps = JSON.stringify(schema.properties?.['steps']);
    for (const step of ['apply', 'patch', 'delete', 'cloud', 'fault', 'advance', 'settle', 'expect']) {
      assert.ok(steps.includes(`"required":["${step}"]`), `step ${step} is in the schema`);
    }
    assert.match(steps, /"enum":\["Node","Service","Event","Lease"\]/);
  });
});
