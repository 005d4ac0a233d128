// A bare `ws` client of the sandbox's NCALayer for tests: frames in arrival order, the greeting read
// by open(), and a basics.sign request as the sigex client and NCALayer's own JS example send it.
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { MODULE } from '../../src/sandbox/ncalayer/index.js';

export interface NcaLayerClient {
  ws: WebSocket;
  /** The next text frame, parsed as JSON unless it is the heartbeat. */
  next(timeoutMs?: number): Promise<unknown>;
  send(message: unknown): void;
  close(): Promise<void>;
}

export function connect(url: string, options: WebSocket.ClientOptions = {}): Promise<NcaLayerClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const frames: string[] = [];
    const waiters: ((frame: string) => void)[] = [];
    ws.on('message', (data) => {
      const frame = (data as Buffer).toString('utf8');
      const w = waiters.shift();
      if (w) w(frame);
      else frames.push(frame);
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        next: (timeoutMs = 10_000) =>
          new Promise((res, rej) => {
            const parse = (f: string) => (f === '--heartbeat--' ? f : JSON.parse(f));
            const f = frames.shift();
            if (f !== undefined) return res(parse(f));
            const timer = setTimeout(() => rej(new Error('no frame')), timeoutMs);
            waiters.push((frame) => {
              clearTimeout(timer);
              res(parse(frame));
            });
          }),
        send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
        close: () =>
          new Promise<void>((res) => {
            if (ws.readyState === WebSocket.CLOSED) return res();
            ws.once('close', () => res());
            ws.close();
          }),
      }),
    );
  });
}

/** Connects and reads the greeting. */
export async function open(url: string, options?: WebSocket.ClientOptions): Promise<NcaLayerClient> {
  const c = await connect(url, options);
  assert.deepEqual(await c.next(), { result: { version: '1.4' } });
  return c;
}

/** basics.sign of `data` (bytes, or base64 strings as given), attached unless `encapsulate: false`. */
export const signRequest = (data: Buffer | unknown, o: { encapsulate?: boolean; iin?: string; bin?: string; oids?: string[] } = {}) => ({
  module: MODULE.basics,
  method: 'sign',
  args: {
    allowedStorages: ['PKCS12', 'AKKaztokenStore'],
    format: 'cms',
    data: Buffer.isBuffer(data) ? data.toString('base64') : data,
    signingParams: { decode: true, encapsulate: o.encapsulate ?? true, digested: false, tsaProfile: null },
    signerParams: { extKeyUsageOids: o.oids ?? [], iin: o.iin ?? '', bin: o.bin ?? '', serialNumber: '', chain: [] },
    locale: 'ru',
  },
});
