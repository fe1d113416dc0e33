import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyControllers, leaderMigrationFilter } from './classify.js';
import type { MigrationClass } from './classify.js';
import type { LeaderMigrationConfiguration } from './config.js';

const config = (component: string, names = ['route-controller', 'service-controller', 'cloud-node-lifecycle-controller']): LeaderMigrationConfiguration => ({
  apiVersion: 'controllermanager.config.k8s.io/v1',
  kind: 'LeaderMigrationConfiguration',
  leaderName: 'cloud-provider-extraction-migration',
  resourceLock: 'leases',
  controllerLeaders: names.map((name) => ({ name, component })),
});
const KCM = 'kube-controller-manager';
const CCM = 'cloud-controller-manager';

// Ported case by case from upstream TestLeaderMigratorFilterFunc.
describe('leaderMigrationFilter (TestLeaderMigratorFilterFunc)', () => {
  const fromConfig = config(KCM);
  const toConfig = config(CCM);
  const wildcardConfig = config('*');
  const cases: { name: string; config: LeaderMigrationConfiguration; component: string; expect: Record<string, MigrationClass> }[] = [
    {
      name: 'from config, kcm',
      config: fromConfig,
      component: KCM,
      expect: { 'deployment-controller': 'nonMigrated', 'route-controller': 'migrated', 'service-controller': 'migrated', 'cloud-node-lifecycle-controller': 'migrated' },
    },
    {
      name: 'from config, ccm',
      config: fromConfig,
      component: CCM,
      expect: { 'cloud-node': 'nonMigrated', 'route-controller': 'unowned', 'service-controller': 'unowned', 'cloud-node-lifecycle-controller': 'unowned' },
    },
    {
      name: 'to config, kcm',
      config: toConfig,
      component: KCM,
      expect: { 'deployment-controller': 'nonMigrated', 'route-controller': 'unowned', 'service-controller': 'unowned', 'cloud-node-lifecycle-controller': 'unowned' },
    },
    {
      name: 'to config, ccm',
      config: toConfig,
      component: CCM,
      expect: { 'cloud-node-controller': 'nonMigrated', 'route-controller': 'migrated', 'service-controller': 'migrated', 'cloud-node-lifecycle-controller': 'migrated' },
    },
    {
      name: 'wildcard config, kcm',
      config: wildcardConfig,
      component: KCM,
      expect: { 'deployment-controller': 'nonMigrated', 'route-controller': 'migrated', 'service-controller': 'migrated', 'cloud-node-lifecycle-controller': 'migrated' },
    },
    {
      name: 'wildcard config, ccm',
      config: wildcardConfig,
      component: CCM,
      expect: { 'cloud-node-controller': 'nonMigrated', 'route-controller': 'migrated', 'service-controller': 'migrated', 'cloud-node-lifecycle-controller': 'migrated' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const filter = leaderMigrationFilter(c.config, c.component);
      for (const [name, expected] of Object.entries(c.expect)) assert.equal(filter(name), expected, name);
    });
  }

  it('matches exact names only: aliases are not resolved', () => {
    const filter = leaderMigrationFilter(config('*', ['node-route-controller']), CCM);
    assert.equal(filter('route'), 'nonMigrated');
    assert.equal(filter('node-route-controller'), 'migrated');
  });

  it('takes the last entry for a controller listed twice, as upstream map assignment', () => {
    const cfg = config(CCM, ['service-lb-controller']);
    cfg.controllerLeaders.push({ name: 'service-lb-controller', component: KCM });
    assert.equal(leaderMigrationFilter(cfg, CCM)('service-lb-controller'), 'unowned');
  });
});

describe('classifyControllers', () => {
  it('splits the canonical controllers into migrated, unowned and non-migrated, keeping order', () => {
    const cfg: LeaderMigrationConfiguration = {
      ...config('*', []),
      controllerLeaders: [
        { name: 'service-lb-controller', component: '*' },
        { name: 'node-route-controller', component: KCM },
        { name: 'cloud-node-lifecycle-controller', component: CCM },
      ],
    };
    const all = ['cloud-node-controller', 'cloud-node-lifecycle-controller', 'service-lb-controller', 'node-route-controller'];
    assert.deepEqual(classifyControllers(cfg, all, CCM), {
      migrated: ['cloud-node-lifecycle-controller', 'service-lb-controller'],
      unowned: ['node-route-controller'],
      nonMigrated: ['cloud-node-controller'],
    });
    assert.deepEqual(classifyControllers(cfg, all, KCM), {
      migrated: ['service-lb-controller', 'node-route-controller'],
      unowned: ['cloud-node-lifecycle-controller'],
      nonMigrated: ['cloud-node-controller'],
    });
  });

  it('classifies everything as non-migrated with no controller leaders', () => {
    assert.deepEqual(classifyControllers(config('*', []), ['a', 'b'], CCM), { migrated: [], unowned: [], nonMigrated: ['a', 'b'] });
  });
});
