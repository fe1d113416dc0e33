import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ImplementedElsewhereError, InstanceNotFoundError, NotImplementedError, RetryError } from '../../cloud/errors.js';
import type { FakeCall } from './call-recorder.js';
import { FakeConfigError, parseFakeConfig } from './fake-config.js';
import type { FakeFailure } from './fake-faults.js';

const call = { method: 'ensureLoadBalancer', args: ['kubernetes', {}, []], at: 0 } as unknown as FakeCall;
const build = (failure: FakeFailure): Error => (failure instanceof Error ? failure : failure(call));

describe('parseFakeConfig: valid configs', () => {
  it('treats missing and blank contents as all defaults', () => {
    assert.deepEqual(parseFakeConfig(undefined), {});
    assert.deepEqual(parseFakeConfig('  \n'), {});
    assert.deepEqual(parseFakeConfig('{}'), {});
  });

  it('reads every field', () => {
    const options = parseFakeConfig(
      JSON.stringify({
        capabilities: ['instancesV2', 'loadBalancer'],
        hasClusterID: false,
        defaultZone: { failureDomain: 'z1' },
        clusters: { kubernetes: '10.0.0.1' },
        instances: [
          { nodeName: 'n1', instanceType: 'small', zone: 'z2', region: 'r2', shutdown: true, addresses: [{ type: 'InternalIP', address: '10.0.0.11' }], additionalLabels: { 'example.com/pool': 'a' } },
          { providerID: 'fake://i-2', instanceID: 'i-2', exists: false },
        ],
        loadBalancerIPRange: '2001:DB8::/120',
        loadBalancerIPMode: 'Proxy',
        loadBalancerStatuses: { 'default/web': { ingress: [{ ip: '203.0.113.1', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP' }] }, { hostname: 'lb.example.com' }] } },
        routeNodeAddresses: true,
        latencyMs: { '*': 10, ensureLoadBalancer: 2000 },
        callHistoryLimit: 100,
      }),
    );
    assert.deepEqual(options, {
      capabilities: ['instancesV2', 'loadBalancer'],
      hasClusterID: false,
      defaultZone: { failureDomain: 'z1', region: '' },
      clusters: { kubernetes: '10.0.0.1' },
      instances: [
        { nodeName: 'n1', instanceType: 'small', zone: 'z2', region: 'r2', shutdown: true, addresses: [{ type: 'InternalIP', address: '10.0.0.11' }], additionalLabels: { 'example.com/pool': 'a' } },
        { providerID: 'fake://i-2', instanceID: 'i-2', exists: false },
      ],
      loadBalancerIPRange: '2001:db8::/120',
      loadBalancerIPMode: 'Proxy',
      loadBalancerStatuses: { 'default/web': { ingress: [{ ip: '203.0.113.1', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP' }] }, { hostname: 'lb.example.com' }] } },
      routeNodeAddresses: true,
      latencyMs: { '*': 10, ensureLoadBalancer: 2000 },
      callHistoryLimit: 100,
    });
  });

  const kinds: [string, object, (err: Error) => boolean][] = [
    ['Error with the default message', {}, (e) => e.message === 'fake cloud provider: injected failure of ensureLoadBalancer'],
    ['Error with a message', { message: 'quota exceeded' }, (e) => e.message === 'quota exceeded'],
    ['InstanceNotFound', { kind: 'InstanceNotFound' }, (e) => e instanceof InstanceNotFoundError],
    ['NotImplemented', { kind: 'NotImplemented' }, (e) => e instanceof NotImplementedError],
    ['ImplementedElsewhere', { kind: 'ImplementedElsewhere' }, (e) => e instanceof ImplementedElsewhereError],
    ['Retry', { kind: 'Retry', message: 'provisioning', retryAfterMs: 5000 }, (e) => e instanceof RetryError && e.retryAfterMs === 5000 && e.message === 'provisioning'],
  ];
  for (const [name, fields, check] of kinds) {
    it(`builds a fresh ${name} per failing call`, () => {
      const [rule] = parseFakeConfig(JSON.stringify({ failures: [{ method: 'ensureLoadBalancer', ...fields }] })).failures ?? [];
      assert.ok(rule !== undefined);
      assert.equal(rule.method, 'ensureLoadBalancer');
      assert.equal(rule.times, undefined);
      const first = build(rule.error);
      assert.ok(check(first), first.message);
      assert.notEqual(build(rule.error), first);
    });
  }

  it('keeps times of counted failures and accepts "*"', () => {
    const [rule] = parseFakeConfig('{"failures":[{"method":"*","times":3}]}').failures ?? [];
    assert.equal(rule?.method, '*');
    assert.equal(rule?.times, 3);
  });
});

describe('parseFakeConfig: bad configs name the field', () => {
  const bad: [string, string, string, RegExp][] = [
    ['a top-level array', '[]', '', /expected a JSON object, got an array/],
    ['an unknown top-level field', '{"capabilites":[]}', 'capabilites', /unknown field \(expected one of: capabilities, hasClusterID/],
    ['an unknown capability', '{"capabilities":["volumes"]}', 'capabilities[0]', /expected one of "loadBalancer", .*got "volumes"/],
    ['a capability listed twice', '{"capabilities":["routes","routes"]}', 'capabilities[1]', /"routes" is listed twice/],
    ['a non-boolean hasClusterID', '{"hasClusterID":"yes"}', 'hasClusterID', /expected true or false, got a string/],
    ['an unknown zone field', '{"defaultZone":{"zone":"z1"}}', 'defaultZone.zone', /unknown field/],
    ['an empty cluster address', '{"clusters":{"k":""}}', 'clusters.k', /must not be empty/],
    ['instances that are not an array', '{"instances":{}}', 'instances', /expected an array, got an object/],
    ['a wrongly typed instance field', '{"instances":[{"nodeName":"n1"},{"nodeName":"n2","zone":3}]}', 'instances[1].zone', /expected a string, got a number/],
    ['a misspelt instance field', '{"instances":[{"nodeName":"n1","shutDown":true}]}', 'instances[0].shutDown', /unknown field \(expected one of: nodeName, providerID/],
    ['an instance without identity', '{"instances":[{"zone":"z1"}]}', 'instances[0]', /needs a "nodeName" or a non-empty "providerID"/],
    ['an empty node name', '{"instances":[{"nodeName":""}]}', 'instances[0].nodeName', /must not be empty/],
    ['an unknown address type', '{"instances":[{"nodeName":"n1","addresses":[{"type":"Public","address":"1.2.3.4"}]}]}', 'instances[0].addresses[0].type', /expected one of "Hostname", .*got "Public"/],
    ['a non-string label value', '{"instances":[{"nodeName":"n1","additionalLabels":{"a":1}}]}', 'instances[0].additionalLabels.a', /expected a string, got a number/],
    ['a range with host bits', '{"loadBalancerIPRange":"192.0.2.1/24"}', 'loadBalancerIPRange', /host bits are set \(did you mean 192\.0\.2\.0\/24\?\)/],
    ['a range that is no CIDR', '{"loadBalancerIPRange":"lots"}', 'loadBalancerIPRange', /not a CIDR range/],
    ['an unknown ipMode', '{"loadBalancerIPMode":"Direct"}', 'loadBalancerIPMode', /expected one of "VIP", "Proxy", got "Direct"/],
    ['a status key that is no service key', '{"loadBalancerStatuses":{"web":{"ingress":[]}}}', 'loadBalancerStatuses.web', /"namespace\/name"/],
    ['a status without ingress', '{"loadBalancerStatuses":{"default/web":{}}}', 'loadBalancerStatuses["default/web"]', /missing field "ingress"/],
    ['an ingress without ip or hostname', '{"loadBalancerStatuses":{"default/web":{"ingress":[{}]}}}', 'loadBalancerStatuses["default/web"].ingress[0]', /needs an "ip" or a "hostname"/],
    ['an ingress IP that is not an IP', '{"loadBalancerStatuses":{"default/web":{"ingress":[{"ip":"1.2.3"}]}}}', 'loadBalancerStatuses["default/web"].ingress[0].ip', /"1\.2\.3" is not an IP address/],
    ['an ipMode without ip', '{"loadBalancerStatuses":{"default/web":{"ingress":[{"hostname":"h","ipMode":"VIP"}]}}}', 'loadBalancerStatuses["default/web"].ingress[0].ipMode', /only allowed together with "ip"/],
    ['a port out of range', '{"loadBalancerStatuses":{"default/web":{"ingress":[{"ip":"1.2.3.4","ports":[{"port":0,"protocol":"TCP"}]}]}}}', 'loadBalancerStatuses["default/web"].ingress[0].ports[0].port', /expected an integer from 1 to 65535, got 0/],
    ['a failure for an unknown method', '{"failures":[{"method":"ensureLB"}]}', 'failures[0].method', /expected "\*" or a provider method name \(initialize, .*\), got "ensureLB"/],
    ['a failure without method', '{"failures":[{}]}', 'failures[0].method', /got undefined/],
    ['a Retry without retryAfterMs', '{"failures":[{"method":"ensureLoadBalancer","kind":"Retry"}]}', 'failures[0]', /kind "Retry" needs "retryAfterMs"/],
    ['retryAfterMs on another kind', '{"failures":[{"method":"ensureLoadBalancer","retryAfterMs":5}]}', 'failures[0].retryAfterMs', /only allowed with kind "Retry"/],
    ['a message on a fixed-message kind', '{"failures":[{"method":"instanceID","kind":"InstanceNotFound","message":"x"}]}', 'failures[0].message', /not allowed with kind "InstanceNotFound"/],
    ['zero times', '{"failures":[{"method":"instanceID","times":0}]}', 'failures[0].times', /expected an integer from 1, got 0/],
    ['a negative latency', '{"latencyMs":{"getZone":-1}}', 'latencyMs.getZone', /expected an integer from 0, got -1/],
    ['latency for the synchronous setInformers', '{"latencyMs":{"setInformers":5}}', 'latencyMs.setInformers', /cannot be delayed/],
    ['latency for an unknown method', '{"latencyMs":{"all":5}}', 'latencyMs.all', /provider method name/],
  ];
  for (const [name, text, field, message] of bad) {
    it(`rejects ${name} at ${field === '' ? 'the top level' : field}`, () => {
      assert.throws(
        () => parseFakeConfig(text, '/etc/fake.json'),
        (err: unknown) => {
          assert.ok(err instanceof FakeConfigError);
          assert.equal(err.field, field);
          assert.equal(err.file, '/etc/fake.json');
          assert.ok(err.message.startsWith(`invalid fake cloud config "/etc/fake.json": ${field === '' ? '' : `${field}: `}`), err.message);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('reports a JSON syntax error with its line and column', () => {
    assert.throws(() => parseFakeConfig('{\n  "instances": [\n    {"nodeName": "n1",}\n  ]\n}'), (err: unknown) => {
      assert.ok(err instanceof FakeConfigError);
      assert.match(err.message, /^invalid fake cloud config: line 3, column 23: not valid JSON: /);
      return true;
    });
  });

  it('reports truncated JSON without inventing a position', () => {
    assert.throws(() => parseFakeConfig('{"instances": ['), { name: 'FakeConfigError', message: 'invalid fake cloud config: not valid JSON: Unexpected end of JSON input' });
  });

  it('never throws anything but FakeConfigError, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseFakeConfig(text);
        } catch (err) {
          assert.ok(err instanceof FakeConfigError, String(err));
        }
      }),
    );
  });
});

describe('parseFakeConfig: one instance listed twice', () => {
  it('names the second entry, by node name or by providerID', () => {
    assert.throws(
      () => parseFakeConfig(JSON.stringify({ instances: [{ nodeName: 'n1' }, { nodeName: 'n1', zone: 'z' }] }), 'f.json'),
      (err: unknown) => err instanceof FakeConfigError && err.field === 'instances[1]' && /same instance as instances\[0\] \(node name "n1"\)/.test(err.message),
    );
    assert.throws(
      () => parseFakeConfig(JSON.stringify({ instances: [{ providerID: 'fake://a' }, { nodeName: 'n2' }, { nodeName: 'n3', providerID: 'fake://a' }] })),
      (err: unknown) => err instanceof FakeConfigError && err.field === 'instances[2]',
    );
  });
});
