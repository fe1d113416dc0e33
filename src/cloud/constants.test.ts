import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CCM_CONTROLLER_ALIASES, CONTROLLER_IDENTITIES, CONTROLLER_NAMES } from './constants.js';

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

describe('controller identities', () => {
  it('name every controller with its aliases, client and event component, as upstream', () => {
    assert.deepEqual(
      CONTROLLER_NAMES.map((name) => {
        const { aliases, clientName, eventComponent } = CONTROLLER_IDENTITIES[name];
        return [CONTROLLER_IDENTITIES[name].name, aliases, clientName, eventComponent];
      }),
      [
        ['cloud-node-controller', ['cloud-node'], 'node-controller', 'cloud-node-controller'],
        ['service-lb-controller', ['service'], 'service-controller', 'service-controller'],
        ['node-route-controller', ['route'], 'route-controller', 'route_controller'],
        ['cloud-node-lifecycle-controller', ['cloud-node-lifecycle'], 'node-controller', 'cloud-node-lifecycle-controller'],
      ],
    );
  });

  it('cannot be modified by a caller', () => {
    assert.throws(() => {
      (CONTROLLER_IDENTITIES[CONTROLLER_NAMES[0] ?? 'cloud-node-controller'].aliases as string[]).push('x');
    }, TypeError);
  });
});
