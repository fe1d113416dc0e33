import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadScenario } from './load-scenario.js';

const DIR = fileURLToPath(new URL('../../../examples/scenarios/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

describe('examples/scenarios', () => {
  it('holds the documented set of example scenarios', () => {
    assert.deepEqual(FILES, ['flaky-cloud.yaml', 'instance-removed.yaml', 'leader-failover.yaml', 'lease-lost.yaml', 'load-balancer-lifecycle.yaml', 'node-initialisation.yaml', 'paused-leader.yaml', 'routes.yaml', 'shutdown-taint.yaml']);
  });

  for (const file of FILES) {
    it(`${file} loads, points editors at the schema and checks something`, () => {
      const text = readFileSync(`${DIR}${file}`, 'utf8');
      const scenario = loadScenario(text, `examples/scenarios/${file}`);
      assert.match(text, /^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/scenario\.schema\.json$/m);
      assert.equal(scenario.provider.name, 'fake');
      const expectations = scenario.steps.flatMap((s) => ('expect' in s ? s.expect : []));
      assert.ok(expectations.length >= 2, 'an example shows what to expect');
      assert.ok(scenario.steps.some((s) => 'settle' in s), 'an example lets the controllers settle');
    });
  }
});
