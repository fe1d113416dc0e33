/**
 * The kubelet's `matchImages` rule (pkg/credentialprovider `URLsMatchStr`), reproduced with its
 * sharp edges, because an operator's pattern either matches on the node or it does not:
 *
 * - pattern and image are parsed as URLs after prefixing `https://`, so a `?` starts a query and
 *   a `#` a fragment (neither is part of the host), and a scheme in the pattern breaks it;
 * - both hosts must have the same number of dot-separated labels, each label matched by Go's
 *   `filepath.Match` (`*.io` never matches `a.b.io`);
 * - the ports must be equal (no port only matches no port);
 * - the pattern's path must be a plain string prefix of the image's (`r.io/team` matches
 *   `r.io/teamwork/app`).
 *
 * @module
 */
import { goFilepathMatch } from './go-glob.js';

/** A pattern or image that Go's URL parser refuses (the kubelet's config validation rejects it). */
export class ImageUrlError extends Error {
  override readonly name = 'ImageUrlError';
}

/** The parts of a schemeless URL the matcher uses. */
export interface SchemelessUrl {
  /** Host with port, as Go's `url.URL.Host` (`registry.io:5000`). */
  readonly host: string;
  /** The decoded path (`/team/app`), `''` when none. */
  readonly path: string;
}

// Characters Go's URL parser allows unescaped in a host (RFC 3986 unreserved and sub-delims, plus
// `:`, `[`, `]`, and — Go being lenient — `<`, `>` and `"`).
const HOST_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]$/;

function unescapePercent(s: string, what: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ImageUrlError(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))} in ${what}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i] as string, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Parses `text` as the kubelet does (`https://` + text through Go's `url.Parse`).
 * @throws ImageUrlError for what Go's parser refuses: control characters, a bad port, a host
 * character that needs escaping, a malformed `%` escape.
 */
export function parseSchemelessUrl(text: string): SchemelessUrl {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new ImageUrlError('invalid control character in URL');
  let rest = text;
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const query = rest.indexOf('?');
  if (query !== -1) rest = rest.slice(0, query);
  const slash = rest.indexOf('/');
  let authority = slash === -1 ? rest : rest.slice(0, slash);
  const rawPath = slash === -1 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  if (at !== -1) authority = authority.slice(at + 1);
  let hostPart = authority;
  let colonPort = '';
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close === -1) throw new ImageUrlError(`missing ']' in host`);
    colonPort = authority.slice(close + 1);
    hostPart = authority.slice(0, close + 1);
    if (colonPort !== '' && !colonPort.startsWith(':')) throw new ImageUrlError(`invalid port ${JSON.stringify(colonPort)} after host`);
  } else {
    const colon = authority.lastIndexOf(':');
    if (colon !== -1) {
      colonPort = authority.slice(colon);
      hostPart = authority.slice(0, colon);
    }
  }
  if (colonPort !== '' && !/^:\d*$/.test(colonPort)) throw new ImageUrlError(`invalid port ${JSON.stringify(colonPort)} after host`);
  for (const c of hostPart.replace(/%[0-9a-fA-F]{2}/g, '')) {
    if (c.charCodeAt(0) < 0x80 && !HOST_CHAR.test(c)) throw new ImageUrlError(`invalid character ${JSON.stringify(c)} in host name`);
  }
  const host = unescapePercent(hostPart, 'host') + colonPort;
  return { host, path: unescapePercent(rawPath, 'path') };
}

/** Go's `net.SplitHostPort`, falling back to (host, '') when it fails, as the kubelet's `SplitURL`. */
export function splitHostPort(host: string): { readonly labels: readonly string[]; readonly port: string } {
  const whole = { labels: host.split('.'), port: '' };
  const colon = host.lastIndexOf(':');
  if (colon === -1) return whole;
  let name: string;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1 || close + 1 !== colon) return whole;
    name = host.slice(1, close);
  } else {
    name = host.slice(0, colon);
    if (name.includes(':')) return whole; // "too many colons"
  }
  const port = host.slice(colon + 1);
  if (port.includes('[') || port.includes(']')) return whole;
  return { labels: name.split('.'), port };
}

/** Why a pattern did or did not match, for the harness's explanations. */
export type MatchVerdict =
  | { readonly match: true }
  | { readonly match: false; readonly reason: string };

/** {@link urlsMatch} with the reason when it does not match. */
export function explainMatch(pattern: string, image: string): MatchVerdict {
  let glob: SchemelessUrl;
  let target: SchemelessUrl;
  try {
    glob = parseSchemelessUrl(pattern);
    target = parseSchemelessUrl(image);
  } catch (err) {
    return { match: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const g = splitHostPort(glob.host);
  const t = splitHostPort(target.host);
  if (g.port !== t.port) return { match: false, reason: `port ${JSON.stringify(t.port)} is not ${JSON.stringify(g.port)}` };
  if (g.labels.length !== t.labels.length) return { match: false, reason: `host has ${t.labels.length} labels, the pattern ${g.labels.length}` };
  if (!target.path.startsWith(glob.path)) return { match: false, reason: `path ${JSON.stringify(target.path)} does not start with ${JSON.stringify(glob.path)}` };
  for (let i = 0; i < g.labels.length; i++) {
    const p = g.labels[i] as string;
    const l = t.labels[i] as string;
    try {
      if (!goFilepathMatch(p, l)) return { match: false, reason: `label ${JSON.stringify(l)} does not match ${JSON.stringify(p)}` };
    } catch (err) {
      return { match: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }
  return { match: true };
}

/**
 * Whether `image` matches the `matchImages` entry `pattern`, exactly as the kubelet decides
 * (an unparsable pattern or image, or a malformed glob, is no match).
 *
 * @example
 * ```ts
 * urlsMatch('*.dkr.ecr.*.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app'); // true
 * urlsMatch('*.io', 'a.b.io/app'); // false: label counts differ
 * ```
 */
export function urlsMatch(pattern: string, image: string): boolean {
  return explainMatch(pattern, image).match;
}

/** The registry part of an image as the kubelet's cache keys it: everything before the first `/`. */
export function registryOf(image: string): string {
  return image.split('/')[0] ?? image;
}

/**
 * The repository the kubelet asks about for an image reference: tag and digest removed, Docker
 * Hub names completed (`nginx:1.27` → `docker.io/library/nginx`), as the kubelet's image-name
 * parser does before it consults credential providers.
 */
export function repositoryOf(reference: string): string {
  let ref = reference;
  const digest = ref.indexOf('@');
  if (digest !== -1) ref = ref.slice(0, digest);
  const lastSlash = ref.lastIndexOf('/');
  const tagColon = ref.lastIndexOf(':');
  if (tagColon > lastSlash) ref = ref.slice(0, tagColon);
  const first = ref.split('/')[0] ?? '';
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return ref;
  return ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
}
