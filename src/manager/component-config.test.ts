import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROLLER_CATALOG } from './controllers.js';
import { componentConfig, configzBody } from './component-config.js';
import { defaultLeaderMigrationConfig } from './leader-migration/index.js';
import { resolveControllerAliases } from './options/controller-selection.js';
import { optionsFromFlags } from './options/manager-options.js';
import { parseFlags } from './options/parse-flags.js';

const optionsOf = (argv: string[]) => optionsFromFlags(parseFlags(argv));

describe('componentConfig (/configz)', () => {
  it('publishes upstream defaults as v1alpha1 CloudControllerManagerConfiguration, Go field names and duration text', () => {
    const o = optionsOf(['--cloud-provider=fake']);
    assert.deepEqual(componentConfig(o, resolveControllerAliases(o.controllers, CONTROLLER_CATALOG), undefined), {
      kind: 'CloudControllerManagerConfiguration',
      apiVersion: 'cloudcontrollermanager.config.k8s.io/v1alpha1',
      Generic: {
        Port: 0,
        Address: '0.0.0.0',
        MinResyncPeriod: '12h0m0s',
        ClientConnection: { kubeconfig: '', acceptContentTypes: '', contentType: 'application/vnd.kubernetes.protobuf', qps: 20, burst: 30 },
        ControllerStartInterval: '0s',
        LeaderElection: {
          leaderElect: true,
          leaseDuration: '15s',
          renewDeadline: '10s',
          retryPeriod: '2s',
          resourceLock: 'leases',
          resourceName: 'cloud-controller-manager',
          resourceNamespace: 'kube-system',
        },
        Controllers: ['*'],
        Debugging: { enableProfiling: true, enableContentionProfiling: false },
        LeaderMigrationEnabled: false,
        LeaderMigration: { leaderName: '', resourceLock: '', controllerLeaders: null },
      },
      KubeCloudShared: {
        CloudProvider: { Name: 'fake', CloudConfigFile: '' },
        ExternalCloudVolumePlugin: '',
        UseServiceAccountCredentials: false,
        AllowUntaggedCloud: false,
        RouteReconciliationPeriod: '10s',
        NodeMonitorPeriod: '5s',
        ClusterName: 'kubernetes',
        ClusterCIDR: '',
        AllocateNodeCIDRs: false,
        CIDRAllocatorType: 'RangeAllocator',
        ConfigureCloudRoutes: true,
        NodeSyncPeriod: '0s',
      },
      NodeController: { ConcurrentNodeSyncs: 1, ConcurrentNodeStatusUpdates: 0 },
      NodeLifecycleController: { NodeMonitorPeriod: '5s', NodeMonitorWorkers: 1 },
      ServiceController: { ConcurrentServiceSyncs: 1 },
      NodeStatusUpdateFrequency: '5m0s',
      Webhook: { Webhooks: null },
    });
  });

  it('reflects flags: canonical controller names, the migration config in force, webhooks', () => {
    const o = optionsOf(['--cloud-provider=acme', '--controllers=*,-route,cloud-node', '--node-monitor-period=90s', '--webhooks=*', '--leader-elect-retry-period=1500ms', '--cluster-cidr=10.244.0.0/16']);
    const config = componentConfig(o, resolveControllerAliases(o.controllers, CONTROLLER_CATALOG), defaultLeaderMigrationConfig()) as Record<string, Record<string, unknown>>;
    const generic = config['Generic'] as Record<string, unknown>;
    assert.deepEqual(generic['Controllers'], ['*', '-node-route-controller', 'cloud-node-controller']);
    assert.equal(generic['LeaderMigrationEnabled'], true);
    assert.equal((generic['LeaderMigration'] as { leaderName: string }).leaderName, 'cloud-provider-extraction-migration');
    assert.equal((generic['LeaderElection'] as { retryPeriod: string }).retryPeriod, '1.5s');
    assert.equal(config['KubeCloudShared']?.['NodeMonitorPeriod'], '1m30s');
    assert.equal(config['KubeCloudShared']?.['ClusterCIDR'], '10.244.0.0/16');
    assert.deepEqual(config['Webhook'], { Webhooks: ['*'] });
  });

  it('wraps the configuration under its configz name, as component-base serves it', () => {
    assert.deepEqual(JSON.parse(configzBody({ a: 1 })), { 'cloudcontrollermanager.config.k8s.io': { a: 1 } });
  });
});
