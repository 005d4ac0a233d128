// The `kontur` group: `kontur refresh` (called directly, no Temporal).
import { parseArgs } from 'node:util';
import { KonturClient } from '../../providers/kontur/index.js';
import { resolveSecret } from '../../secrets/resolve.js';
import { UsageError, type Commands } from './shared.js';

async function refresh(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'base-url': { type: 'string' },
      'sid-env': { type: 'string' },
      'refresh-token-env': { type: 'string' },
      'api-key-env': { type: 'string' },
      'api-version': { type: 'string', default: 'v5.9' },
    },
  });
  if (!values['base-url'] || !values['sid-env'] || !values['refresh-token-env']) {
    throw new UsageError(
      'kontur refresh needs --base-url URL --sid-env NAME --refresh-token-env NAME (secrets come from the environment, never argv)',
    );
  }
  const client = new KonturClient({
    baseUrl: values['base-url'],
    apiVersion: values['api-version']!,
    ...(values['api-key-env'] ? { apiKey: await resolveSecret(`env:${values['api-key-env']}`) } : {}),
  });
  const s = await client.refreshSession(
    await resolveSecret(`env:${values['sid-env']}`),
    await resolveSecret(`env:${values['refresh-token-env']}`),
  );
  console.log(JSON.stringify({ sid: s.Sid, refreshToken: s.RefreshToken }, null, 2));
  return 0;
}

/** `trustflow kontur <name> ...` */
export const commands: Commands = { refresh };
