#!/usr/bin/env node
/**
 * `outrigger-credential-provider`: a kubelet image credential provider plugin. The kubelet runs it
 * with the `args` of its CredentialProviderConfig entry, which choose the source:
 *
 *   --credentials FILE          Outrigger's mapping file (registry pattern → credentials)
 *   --docker-config FILE        a Docker config.json
 *   --token-exchange-url URL    exchange the pod's service-account token at URL
 *
 * @module
 */
import { runCredentialProvider } from '../credential-provider/run.js';
import type { ProvideCredentials } from '../credential-provider/run.js';
import { answerFromStatic, loadDockerConfig, loadMappingFile } from '../credential-provider/static-credentials.js';
import { checkExchangeUrl, exchangeToken } from '../credential-provider/token-exchange.js';

const NAME = 'outrigger-credential-provider';
const USAGE = `${NAME}: a kubelet image credential provider. Use exactly one of
  --credentials FILE        registry pattern → credentials (JSON, see docs/credential-provider.md)
  --docker-config FILE      a Docker config.json
  --token-exchange-url URL  exchange the pod's service-account token at URL (https, or http to loopback)
as the provider's args in the kubelet's CredentialProviderConfig; the request comes on stdin.
`;

/** Picks the source from the args; a usage problem fails every request with one line. */
function chooseProvide(args: readonly string[]): ProvideCredentials {
  const [flag, value, ...rest] = args;
  const wrong = (why: string): ProvideCredentials => () => {
    throw new Error(`${why} (args: ${JSON.stringify(args)}); run ${NAME} --help`);
  };
  if (flag === undefined) return wrong('no source given');
  if (value === undefined || rest.length > 0) return wrong(`expected one flag and its value`);
  switch (flag) {
    case '--credentials':
      return async (req) => answerFromStatic(await loadMappingFile(value), req.image);
    case '--docker-config':
      return async (req) => answerFromStatic(await loadDockerConfig(value), req.image);
    case '--token-exchange-url': {
      const url = checkExchangeUrl(value);
      return (req, { signal }) => exchangeToken(url, req, signal);
    }
    default:
      return wrong(`unknown flag ${JSON.stringify(flag)}`);
  }
}

const args = process.argv.slice(2);
if (args[0] === '--help' || args[0] === '-h') {
  process.stdout.write(USAGE);
  process.exit(0);
}
let provide: ProvideCredentials;
try {
  provide = chooseProvide(args);
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  provide = () => {
    throw new Error(message);
  };
}
await runCredentialProvider({ name: NAME, provide });
