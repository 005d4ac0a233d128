// Whether OpenSSL + gost-engine is there for a cross-check: false on a developer machine without it
// (the test then skips, saying so), and a failure under CI=true, where it must be installed.
import { gostOpensslEnv } from '../../src/crypto/openssl-gost-engine.js';

export async function gostEngineAvailable(): Promise<boolean> {
  return gostOpensslEnv().then(
    () => true,
    (e: unknown) => {
      if (process.env.CI) throw e;
      return false;
    },
  );
}
