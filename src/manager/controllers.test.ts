import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerContext } from '../controllers/context.js';
import { RouteControllerConfigError } from '../controllers/route/index.js';
import { FakeClock } from '../kube/clock.js';
import { EventBroadcaster } from '../kube/events.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { SharedInformerFactory } from '../kube/shared-informers.js';
import { noopLogger } from '../log/logger.js';
import { FakeCloudProvider } from '../providers/fake/index.js';
import type { FakeCapability } from '../providers/fake/index.js';
import { CONTROLLER_CATALOG, MANAGED_CONTROLLERS, userAgentFor } from './controllers.js';
import { optionsFromFlags } from './options/manager-options.js';
import { parseFlags } from './options/parse-flags.js';

function context(capabilities: readonly FakeCapability[]): ControllerContext {
  const clock = new FakeClock();
  const kube = new SimulatedApiServer({ clock }).client();
  const random = (): number => 0.5;
  return {
    kube,
    informers: new SharedInformerFactory({ client: kube, clock, random }),
    cloud: new FakeCloudProvider({ clock, capabilities }),
    recorder: new EventBroadcaster({ client: kube, clock, random }).newRecorder({ component: 'test' }),
    clock,
    random,
    logger: noopLogger,
  };
}

function spec(name: string): (typeof MANAGED_CONTROLLERS)[number] {
  const found = MANAGED_CONTROLLERS.find((c) => c.name === name);
  assert.ok(found, name);
  return found;
}

describe('managed controllers', () => {
  it('has upstream canonical names, aliases and client identities', () => {
    assert.deepEqual(
      MANAGED_CONTROLLERS.map((c) => [c.name, c.aliases, userAgentFor(c.clientName), c.eventComponent]),
      [
        ['cloud-node-controller', ['cloud-node'], 'cloud-controller-manager/node-controller', 'cloud-node-controller'],
        ['cloud-node-lifecycle-controller', ['cloud-node-lifecycle'], 'cloud-controller-manager/node-controller', 'cloud-node-lifecycle-controller'],
        ['service-lb-controller', ['service'], 'cloud-controller-manager/service-controller', 'service-controller'],
        ['node-route-controller', ['route'], 'cloud-controller-manager/route-controller', 'route_controller'],
      ],
    );
    assert.equal(CONTROLLER_CATALOG.aliases.get('route'), 'node-route-controller');
  });

  const options = (extra: string[] = []): ReturnType<typeof optionsFromFlags> => optionsFromFlags(parseFlags(['--cloud-provider=fake', ...extra]));
  const skips: [string, FakeCapability[], string[], RegExp][] = [
    ['cloud-node-controller', ['loadBalancer'], [], /does not support instances/],
    ['cloud-node-lifecycle-controller', ['loadBalancer'], [], /does not support instances/],
    ['service-lb-controller', ['instancesV2'], [], /does not support external load balancers/],
    ['node-route-controller', ['instancesV2'], [], /does not support routes/],
    ['node-route-controller', ['routes'], ['--configure-cloud-routes=false'], /--configure-cloud-routes: false/],
  ];
  for (const [name, caps, extra, reason] of skips) {
    it(`skips ${name} with a reason when ${caps.join('+')} ${extra.join(' ')} leaves it nothing to do`, () => {
      const result = spec(name).start(context(caps), { options: options(extra) });
      assert.ok('skipped' in result);
      assert.match(result.skipped, reason);
    });
  }

  it('builds every controller when the provider has every capability', () => {
    const ctx = context(['instancesV2', 'loadBalancer', 'routes']);
    for (const c of MANAGED_CONTROLLERS) {
      const result = c.start(ctx, { options: options(['--cluster-cidr=10.244.0.0/16']) });
      assert.ok('controller' in result, c.name);
      assert.equal(result.controller.name, c.name);
    }
  });

  it('throws a route configuration error when routes are configured without --cluster-cidr', () => {
    assert.throws(() => spec('node-route-controller').start(context(['routes']), { options: options() }), RouteControllerConfigError);
  });
});
