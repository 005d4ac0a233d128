// The `kontur` group: `kontur refresh` (called directly, no Temporal).
import { KonturClient } from '../../providers/kontur/index.js';
import { defineCommand, required } from './command.js';
import { secretsFromEnv, type Commands } from './shared.js';

const refresh = defineCommand({
  summary: 'renew a Kontur session: prints the new pair (the old one stops working)',
  options: {
    'base-url': { type: 'string', value: 'URL', help: '(required) the Kontur API root' },
    'sid-env': { type: 'string', value: 'NAME', help: '(required) the environment variable holding the session id' },
    'refresh-token-env': { type: 'string', value: 'NAME', help: '(required) the environment variable holding the refresh token' },
    'api-key-env': { type: 'string', value: 'NAME', help: 'the environment variable holding the API key' },
    'api-version': { type: 'string', value: 'VERSION', default: 'v5.9', help: 'the API version (default v5.9)' },
  },
  details: 'Secrets come from the environment, never the command line.',
  async run(v) {
    const baseUrl = required(v['base-url'], 'base-url');
    const [sid, refreshToken, apiKey] = secretsFromEnv([
      ['--sid-env', v['sid-env']],
      ['--refresh-token-env', v['refresh-token-env']],
      ...(v['api-key-env'] !== undefined ? [['--api-key-env', v['api-key-env']] as const] : []),
    ]);
    const client = new KonturClient({ baseUrl, apiVersion: v['api-version']!, ...(apiKey !== undefined ? { apiKey } : {}) });
    const s = await client.refreshSession(sid!, refreshToken!);
    console.log(JSON.stringify({ sid: s.Sid, refreshToken: s.RefreshToken }, null, 2));
    return 0;
  },
});

/** `trustflow kontur <name> ...` */
export const commands: Commands = { refresh };
