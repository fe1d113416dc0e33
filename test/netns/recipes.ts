/**
 * The recipes of docs/local-provider.md as the namespace tests run them: the YAML block after a
 * `<!-- recipe: <name> -->` marker, with named substitutions (each must match, so a recipe edited
 * out of step with its test fails the test instead of going untested).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOC = fileURLToPath(new URL('../../docs/local-provider.md', import.meta.url));

/** The recipe's YAML with each `from` replaced by `to`. */
export function recipeConfig(name: string, substitutions: readonly (readonly [string, string])[] = []): string {
  const text = readFileSync(DOC, 'utf8');
  const marker = text.indexOf(`<!-- recipe: ${name} -->`);
  if (marker < 0) throw new Error(`docs/local-provider.md has no "<!-- recipe: ${name} -->" marker`);
  const open = text.indexOf('```yaml\n', marker);
  const close = text.indexOf('\n```', open + 8);
  if (open < 0 || close < 0) throw new Error(`docs/local-provider.md: no yaml block after the ${name} recipe marker`);
  let yaml = text.slice(open + 8, close + 1);
  for (const [from, to] of substitutions) {
    if (!yaml.includes(from)) throw new Error(`docs/local-provider.md recipe ${name}: ${JSON.stringify(from)} not found in its YAML`);
    yaml = yaml.replace(from, to);
  }
  return yaml;
}
