// Placeholder until the signing page's bundle lands (the page's own branch replaces this file): the
// built page, its HTML and its assets (`page.<hash>.js`, …), served by server.ts under /assets/<name>.
import type { SigningPageBundle } from './server.js';

export async function buildSigningPage(): Promise<{ html: Buffer; assets: SigningPageBundle['assets'] }> {
  throw new Error('signing page assets not built yet');
}
