import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { explainMatch, parseSchemelessUrl, repositoryOf, urlsMatch } from './match-image.js';

// Ported from the kubelet's pkg/credentialprovider keyring_test.go TestURLsMatch rows, then
// plugin_test.go's isImageAllowed rows, then the gotchas the parser implies.
const KUBELET_CASES: readonly (readonly [string, string, boolean])[] = [
  // match when there is no path component
  ['*.kubernetes.io', 'prefix.kubernetes.io', true],
  ['prefix.*.io', 'prefix.kubernetes.io', true],
  ['prefix.kubernetes.*', 'prefix.kubernetes.io', true],
  ['*-good.kubernetes.io', 'prefix-good.kubernetes.io', true],
  // match with path components
  ['*.kubernetes.io/blah', 'prefix.kubernetes.io/blah', true],
  ['prefix.*.io/foo', 'prefix.kubernetes.io/foo/bar', true],
  // match with path components and ports
  ['*.kubernetes.io:1111/blah', 'prefix.kubernetes.io:1111/blah', true],
  ['prefix.*.io:1111/foo', 'prefix.kubernetes.io:1111/foo/bar', true],
  // no match when number of parts mismatch
  ['*.kubernetes.io', 'kubernetes.io', false],
  ['*.*.kubernetes.io', 'prefix.kubernetes.io', false],
  ['*.*.kubernetes.io', 'kubernetes.io', false],
  // no match when some parts mismatch
  ['kubernetes.io', 'kubernetes.com', false],
  ['k*.io', 'quay.io', false],
  // no match when ports mismatch
  ['*.kubernetes.io:1234/blah', 'prefix.kubernetes.io:1111/blah', false],
  ['prefix.*.io/foo', 'prefix.kubernetes.io:1111/foo/bar', false],
  // plugin_test.go: provider matchImages against pulled images
  ['test.registry.io', 'test.registry.io/foo/bar', true],
  ['*.registry.io:8080', 'test.registry.io:8080/foo', true],
  ['*.*.registry.io', 'foo.bar.registry.io/foo/bar', true],
  ['*.registry.io', 'test.registry.io', true],
  ['*.dkr.ecr.*.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app', true],
  ['*.dkr.ecr.*.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com.cn/app', false],
];

const GOTCHAS: readonly (readonly [string, string, boolean, string])[] = [
  ['registry.io/foo', 'registry.io/foobar/x', true, 'the path is a string prefix, not a path-segment prefix'],
  ['registry.io', 'registry.io:5000/app', false, 'no port only matches no port'],
  ['registry.io:5000', 'registry.io/app', false, 'a port only matches the same port'],
  ['*.io', 'a.b.io', false, 'a glob never crosses a dot'],
  ['reg-[a-c].io', 'reg-b.io/app', true, 'character classes work within a label'],
  ['reg?.io', 'reg1.io/app', false, '? starts a URL query: the host is "reg" (one label)'],
  ['https://registry.io', 'registry.io/app', false, 'a scheme in the pattern breaks it'],
  ['reg[.io', 'reg[.io', false, 'a malformed glob is no match'],
];

describe('urlsMatch: the kubelet\'s matchImages rule', () => {
  for (const [pattern, image, expected] of KUBELET_CASES) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${image}`, () => assert.equal(urlsMatch(pattern, image), expected));
  }
  for (const [pattern, image, expected, why] of GOTCHAS) {
    it(`${pattern} vs ${image}: ${why}`, () => assert.equal(urlsMatch(pattern, image), expected));
  }
  it('explains a miss', () => {
    assert.deepEqual(explainMatch('*.io', 'a.b.io'), { match: false, reason: 'host has 3 labels, the pattern 2' });
    assert.deepEqual(explainMatch('r.io:1', 'r.io:2'), { match: false, reason: 'port "2" is not "1"' });
  });
});

describe('parseSchemelessUrl: what Go refuses', () => {
  for (const [text, message] of [
    ['registry.io:abc', /invalid port ":abc" after host/],
    ['registry io', /invalid character " " in host name/],
    ['registry.io/%zz', /invalid URL escape "%zz"/],
    ['registry.io\n', /control character/],
  ] as const) {
    it(JSON.stringify(text), () => assert.throws(() => parseSchemelessUrl(text), message));
  }
  it('accepts an empty port and percent-escaped paths', () => {
    assert.deepEqual(parseSchemelessUrl('r.io:/a%20b'), { host: 'r.io:', path: '/a b' });
  });
});

describe('repositoryOf: what the kubelet asks the plugin about', () => {
  for (const [ref, repo] of [
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:1.27', 'docker.io/library/nginx'],
    ['team/app:v1', 'docker.io/team/app'],
    ['registry.io:5000/team/app:v1', 'registry.io:5000/team/app'],
    ['registry.io/app@sha256:abcd', 'registry.io/app'],
    ['localhost/app:1', 'localhost/app'],
  ] as const) {
    it(`${ref} → ${repo}`, () => assert.equal(repositoryOf(ref), repo));
  }
});
