// A plugin built on runCredentialProvider whose behaviour the test picks with SCRIPT (and
// SCRIPT_* variables), so protocol tests run a real child process through the real framework.
import { runCredentialProvider } from '../run.js';
import type { CredentialResult } from '../run.js';
import { CREDENTIAL_PROVIDER_V1, CREDENTIAL_PROVIDER_V1BETA1 } from '../api.js';

const mode = process.env.SCRIPT ?? 'answer';
const registry = (image: string): string => image.split('/')[0] ?? image;

await runCredentialProvider({
  name: 'scripted-plugin',
  apiVersions: process.env.SCRIPT_BETA === '1' ? [CREDENTIAL_PROVIDER_V1, CREDENTIAL_PROVIDER_V1BETA1] : [CREDENTIAL_PROVIDER_V1],
  ...(process.env.SCRIPT_DEADLINE_MS === undefined ? {} : { deadlineMs: Number(process.env.SCRIPT_DEADLINE_MS) }),
  provide: (request, { args, signal }): Promise<CredentialResult> | CredentialResult => {
    if (mode === 'hang') return new Promise<CredentialResult>(() => undefined);
    if (mode === 'hang-honouring-signal') return new Promise<CredentialResult>((_, reject) => signal.addEventListener('abort', () => reject(new Error('backend call aborted'))));
    if (mode === 'throw') throw new Error('the registry said 403');
    if (mode === 'bad-cache-key-type') return { cacheKeyType: 'Forever' as 'Global', auth: {} };
    const annotations = request.serviceAccountAnnotations ?? {};
    return {
      cacheKeyType: (process.env.SCRIPT_CACHE_KEY_TYPE ?? 'Registry') as CredentialResult['cacheKeyType'],
      ...(process.env.SCRIPT_CACHE_MS === undefined ? {} : { cacheDurationMs: Number(process.env.SCRIPT_CACHE_MS) }),
      auth: {
        [registry(request.image)]: {
          username: args.join(',') || 'user',
          password: request.serviceAccountToken === undefined ? 'static' : `exchanged:${request.serviceAccountToken.length}:${Object.keys(annotations).sort().join(',')}`,
        },
      },
    };
  },
});
