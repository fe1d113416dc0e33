import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyControllers, CLOUD_CONTROLLER_MANAGER_COMPONENT, defaultLeaderMigrationConfig, parseLeaderMigrationConfig } from './index.js';

const CANONICAL = ['cloud-node-controller', 'cloud-node-lifecycle-controller', 'service-lb-controller', 'node-route-controller'];

describe('defaultLeaderMigrationConfig', () => {
  it('keeps upstream leader name and lock', () => {
    const cfg = defaultLeaderMigrationConfig();
    assert.equal(cfg.leaderName, 'cloud-provider-extraction-migration');
    assert.equal(cfg.resourceLock, 'leases');
    assert.equal(cfg.kind, 'LeaderMigrationConfiguration');
  });

  it('migrates the three controllers upstream meant, under current canonical names (not stale route-/service-controller)', () => {
    const cfg = defaultLeaderMigrationConfig();
    const names = cfg.controllerLeaders.map((l) => l.name);
    assert.ok(!names.includes('route-controller') && !names.includes('service-controller'));
    assert.deepEqual(classifyControllers(cfg, CANONICAL, CLOUD_CONTROLLER_MANAGER_COMPONENT), {
      migrated: ['cloud-node-lifecycle-controller', 'service-lb-controller', 'node-route-controller'],
      unowned: [],
      nonMigrated: ['cloud-node-controller'],
    });
  });

  it('returns a fresh object each call and passes the file parser as written', () => {
    const a = defaultLeaderMigrationConfig();
    a.controllerLeaders.pop();
    assert.equal(defaultLeaderMigrationConfig().controllerLeaders.length, 3);
    const b = defaultLeaderMigrationConfig();
    const { resourceLock: _lock, ...v1 } = b;
    assert.deepEqual(parseLeaderMigrationConfig(JSON.stringify(v1)), b);
  });
});
