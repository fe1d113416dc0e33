import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { enabledControllers, isControllerEnabled, resolveControllerAliases } from './controller-selection.js';
import type { ControllerCatalog } from './controller-selection.js';
import { FlagError } from './flag-error.js';

const catalog: ControllerCatalog = {
  names: ['cloud-node-controller', 'cloud-node-lifecycle-controller', 'service-lb-controller', 'node-route-controller'],
  aliases: new Map([
    ['cloud-node', 'cloud-node-controller'],
    ['cloud-node-lifecycle', 'cloud-node-lifecycle-controller'],
    ['service', 'service-lb-controller'],
    ['route', 'node-route-controller'],
  ]),
};
const ALL = catalog.names;

describe('--controllers resolution', () => {
  const cases: [string, string[], readonly string[]][] = [
    ['star enables every controller', ['*'], ALL],
    ['star with a disabled name disables only that one', ['*', '-service-lb-controller'], ['cloud-node-controller', 'cloud-node-lifecycle-controller', 'node-route-controller']],
    ['a single name enables only that one', ['cloud-node-controller'], ['cloud-node-controller']],
    ['aliases resolve to canonical names', ['service', 'route'], ['service-lb-controller', 'node-route-controller']],
    ['disabled alias keeps its dash', ['*', '-route'], ['cloud-node-controller', 'cloud-node-lifecycle-controller', 'service-lb-controller']],
    ['first explicit mention wins over a later one', ['-service', 'service', '*'], ['cloud-node-controller', 'cloud-node-lifecycle-controller', 'node-route-controller']],
    ['enabling before star still enables', ['service', '-service', '*'], ALL],
    ['an empty list enables nothing', [], []],
    ['only disables without star enables nothing', ['-route'], []],
  ];
  for (const [name, list, want] of cases) {
    it(name, () => assert.deepEqual(enabledControllers(list, catalog), want));
  }

  it('rejects an unknown name listing the known ones', () => {
    assert.throws(
      () => resolveControllerAliases(['*', '-bogus'], catalog),
      (err: unknown) =>
        err instanceof FlagError && err.flag === '--controllers' && /"bogus" is not in the list of known controllers: cloud-node, cloud-node-controller/.test(err.message),
    );
  });

  it('respects controllers disabled by default under star but not when named', () => {
    const off = new Set(['node-route-controller']);
    assert.equal(isControllerEnabled('node-route-controller', ['*'], off), false);
    assert.equal(isControllerEnabled('node-route-controller', ['*', 'node-route-controller'], off), true);
  });
});
