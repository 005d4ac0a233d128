// A minimal NCALayer client over its WebSocket, for `npm start -- --exit-after-demo`, which plays the
// person at the signing page without a browser: one connection, the greeting, one basics.sign request
// with the arguments the page sends (ncalayer-js-client's basicsSign), the CMS back. Only what the
// demo needs; the page itself uses ncalayer-js-client.
import WebSocket from 'ws';

const HEARTBEAT = '--heartbeat--';

/** basics.sign's arguments, as the signing page (src/signing-page/assets/page.mjs) builds them. */
export interface BasicsSignArgs {
  /** null: every storage (ncalayer-js-client's basicsStorageAll). */
  allowedStorages: string[] | null;
  format: 'cms';
  /** base64 of the data to sign. */
  data: string;
  signingParams: { decode: boolean; encapsulate: boolean; digested: boolean };
  signerParams: { extKeyUsageOids: string[]; bin?: string; chain?: string[] };
  locale: string;
}

/** Signs with the key the person (the sandbox's switches) picks: the base64 CMS, or an error saying what NCALayer answered. */
export function ncalayerBasicsSign(url: string, args: BasicsSignArgs, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let greeted = false;
    let settled = false;
    const finish = (err: Error | undefined, cms?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.close();
      if (err) reject(err);
      else resolve(cms!);
    };
    const timer = setTimeout(() => finish(new Error(`NCALayer at ${url} did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
    ws.on('error', (err) => finish(new Error(`NCALayer at ${url}: ${err.message}`)));
    ws.on('close', () => finish(new Error(`NCALayer at ${url} closed the connection before it signed (is it running?)`)));
    ws.on('message', (data) => {
      const frame = (data as Buffer).toString('utf8');
      if (frame === HEARTBEAT) return;
      if (!greeted) {
        // The greeting, {result: {version}}; then the request.
        greeted = true;
        ws.send(JSON.stringify({ module: 'kz.gov.pki.knca.basics', method: 'sign', args }));
        return;
      }
      let reply: { status?: boolean; body?: { result?: unknown }; code?: string; message?: string };
      try {
        reply = JSON.parse(frame) as typeof reply;
      } catch {
        return finish(new Error('NCALayer answered something that is not JSON'));
      }
      if (reply.status === true && typeof reply.body?.result === 'string' && reply.body.result) return finish(undefined, reply.body.result);
      if (reply.status === true) return finish(new Error('NCALayer: the person cancelled (no signature)'));
      finish(new Error(`NCALayer refused: ${reply.code ?? '?'}: ${reply.message ?? '(no message)'}`));
    });
  });
}
