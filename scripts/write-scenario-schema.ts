// Regenerates schemas/scenario.schema.json from the zod schema (`npm run schema`); a test fails
// when the checked-in file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchema } from '../src/simulation/scenario/index.js';

const target = fileURLToPath(new URL('../schemas/scenario.schema.json', import.meta.url));
writeFileSync(target, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
