import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CCM_CONTROLLER_ALIASES, CONTROLLER_NAMES } from './constants.js';

describe('controller names', () => {
  it('maps every legacy alias to a canonical controller name', () => {
    assert.deepEqual(Object.keys(CCM_CONTROLLER_ALIASES).sort(), ['cloud-node', 'cloud-node-lifecycle', 'route', 'service']);
    for (const canonical of Object.values(CCM_CONTROLLER_ALIASES)) assert.ok(CONTROLLER_NAMES.includes(canonical), canonical);
    assert.equal(new Set(Object.values(CCM_CONTROLLER_ALIASES)).size, CONTROLLER_NAMES.length);
  });

  it('cannot be modified by a caller', () => {
    assert.throws(() => {
      (CCM_CONTROLLER_ALIASES as Record<string, string>)['route'] = 'other';
    }, TypeError);
    assert.equal(CCM_CONTROLLER_ALIASES['route'], 'node-route-controller');
  });
});
