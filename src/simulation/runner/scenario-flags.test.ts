import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FLAGS } from '../../manager/options/flag-table.js';
import { REFUSED_SCENARIO_FLAGS, refusedScenarioFlag, SCENARIO_SAFE_FLAGS } from './scenario-flags.js';

describe('scenario flags', () => {
  it('classify every flag of the manager: refused in scenarios, or safe — never both, never neither', () => {
    const names = FLAGS.map((f) => f.name);
    const unclassified = names.filter((n) => !REFUSED_SCENARIO_FLAGS.has(n) && !SCENARIO_SAFE_FLAGS.has(n));
    assert.deepEqual(unclassified, [], 'a new manager flag: decide whether a scenario may set it');
    assert.deepEqual([...REFUSED_SCENARIO_FLAGS.keys()].filter((n) => SCENARIO_SAFE_FLAGS.has(n)), []);
    assert.deepEqual([...REFUSED_SCENARIO_FLAGS.keys(), ...SCENARIO_SAFE_FLAGS].filter((n) => !names.includes(n)), [], 'no stale names');
  });

  it('refuse every flag that names a file, a port, code or an API server', () => {
    // By the table's own words: any flag whose usage mentions a file, directory, port, kubeconfig or module.
    const touching = FLAGS.filter((f) => /\b(file|directory|port\b|kubeconfig|module|API server address)/i.test(f.usage) && f.type !== 'bool' && !/(?:cipher|curve|version|max-streams|vmodule)/.test(f.name));
    for (const f of touching) assert.ok(REFUSED_SCENARIO_FLAGS.has(f.name), `${f.name}: ${f.usage}`);
  });

  it('allows a provider-module the caller loaded, and only that one', () => {
    assert.equal(refusedScenarioFlag({ 'provider-module': './a.js' }, ['./a.js']), undefined);
    assert.match(refusedScenarioFlag({ 'provider-module': ['./a.js', './b.js'] }, ['./a.js'])?.message ?? '', /asks to load "\.\/b\.js"; .*--provider-module "\.\/b\.js"$/);
    assert.equal(refusedScenarioFlag({ 'node-monitor-period': '5s', v: 4 }, []), undefined);
  });
});
