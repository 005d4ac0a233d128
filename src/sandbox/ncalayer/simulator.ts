// The sandbox's NCALayer: a WebSocket server on loopback (ws://, or wss:// with a caller-given
// certificate, as the real app's self-signed wss://127.0.0.1:13579, or both on two ports) speaking the protocol of
// shared/notes/ncalayer.md (protocol.ts), signing with test keys through the project's signer. The
// "person" at the desktop is played by switches on an admin API in the other simulators' style
// (plain HTTP on loopback, simulator.ts): GET /__sandbox/state, POST /__sandbox/config
// {behaviour, key, delayMs, failCode, failMessage}, POST /__sandbox/reset.
// Per socket: the greeting on open, `--heartbeat--` echoed at once, requests answered one at a
// time in arrival order (a request sent while another is outstanding is counted as `overlapping`).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../common/logger.js';
import type { SignerSpec } from '../../contracts/signer-spec.js';
import { openSigner, type CmsSigner } from '../../crypto/keys/signer.js';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../../secrets/resolve.js';
import { Simulator } from '../simulator.js';
import { answer } from './protocol.js';
import { NcaLayerState, type Behaviour } from './state.js';

export interface NcaLayerKey {
  name: string;
  signer: SignerSpec;
}

export interface NcaLayerSimulatorOptions {
  /** The person's keys; the first is the one they pick unless `key` says otherwise. */
  keys: NcaLayerKey[];
  key?: string;
  behaviour?: Behaviour;
  delayMs?: number;
  failCode?: string;
  failMessage?: string;
  /** The greeting's version (default "1.4", as ncalayer-rs sends; the real string is unverified). */
  version?: string;
  /** WebSocket port (default 0: any free port; the real NCALayer's is 13579). */
  port?: number;
  adminPort?: number;
  /** Serve wss:// with this certificate (PEM), e.g. SandboxPki.issueServerCertificate(). */
  tls?: { key: string; cert: string };
  /**
   * Also serve wss:// with this certificate on a second port (default 0: any free port), with the same
   * keys, switches and admin API: the sandbox room's ws:// for tests and the demo, wss:// as the real app.
   */
  wss?: { key: string; cert: string; port?: number };
  resolveSecret?: SecretResolver;
  logger?: Logger;
}

export interface NcaLayerSimulator {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** ws://127.0.0.1:<port> or wss://127.0.0.1:<port>. */
  readonly url: string;
  /** The wss:// URL: `url` itself with `tls`, the second port's with `wss`, else undefined. */
  readonly wssUrl: string | undefined;
  /** Root of the admin API (`<adminUrl>/__sandbox/state`). */
  readonly adminUrl: string;
}

export const HEARTBEAT = '--heartbeat--';

export function createNcaLayerSimulator(o: NcaLayerSimulatorOptions): NcaLayerSimulator {
  if (o.keys.length === 0) throw new Error('ncalayer simulator: at least one key is needed');
  const names = o.keys.map((k) => k.name);
  if (new Set(names).size !== names.length) throw new Error('ncalayer simulator: key names must be unique');
  if (o.key !== undefined && !names.includes(o.key)) throw new Error(`ncalayer simulator: no key named ${o.key}`);

  const sockets = new Set<WebSocket>();
  const closeAll = () => {
    for (const ws of sockets) ws.terminate();
  };
  const state = new NcaLayerState(
    {
      behaviour: o.behaviour ?? 'sign',
      key: o.key ?? names[0]!,
      delayMs: o.delayMs ?? 0,
      failCode: o.failCode ?? 'SIGNING_FAILURE',
      failMessage: o.failMessage ?? 'sandbox: signing failed',
    },
    names,
    closeAll,
  );
  const admin = new Simulator({
    name: 'ncalayer',
    routes: {},
    state: () => state.snapshot(),
    reset: () => state.reset(),
    configure: (json) => state.configure(json),
    ...(o.logger ? { logger: o.logger } : {}),
  });

  const signers = new Map<string, Promise<CmsSigner>>();
  const signer = (name: string): Promise<CmsSigner> => {
    let s = signers.get(name);
    if (!s) {
      const spec = o.keys.find((k) => k.name === name)!.signer;
      s = openSigner(spec, o.resolveSecret ?? defaultResolveSecret);
      s.catch(() => signers.delete(name)); // a failed open is retried next time
      signers.set(name, s);
    }
    return s;
  };

  let server: Server | undefined;
  let secondServer: Server | undefined;
  let wss: WebSocketServer | undefined;

  const onConnection = (ws: WebSocket) => {
    sockets.add(ws);
    state.connections++;
    let queue = Promise.resolve();
    let outstanding = 0;
    let closed = false;
    const timers = new Set<{ timer: NodeJS.Timeout; resolve: (alive: boolean) => void }>();
    ws.on('close', () => {
      closed = true;
      sockets.delete(ws);
      for (const t of timers) {
        clearTimeout(t.timer);
        t.resolve(false);
      }
    });
    ws.on('error', () => ws.terminate());
    const wait = (ms: number) =>
      new Promise<boolean>((resolve) => {
        if (closed) return resolve(false);
        const entry = {
          timer: setTimeout(() => {
            timers.delete(entry);
            resolve(!closed);
          }, ms),
          resolve,
        };
        timers.add(entry);
      });

    ws.on('message', (raw, isBinary) => {
      const text = isBinary ? '' : Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(raw as Buffer[]).toString('utf8');
      if (!isBinary && text === HEARTBEAT) {
        state.heartbeats++;
        ws.send(HEARTBEAT);
        return;
      }
      if (outstanding > 0) state.overlapping++;
      outstanding++;
      queue = queue.then(async () => {
        try {
          // A binary frame is not a request NCALayer reads: answered as malformed (not JSON).
          const reply = closed ? undefined : await answer(isBinary ? '\u0000binary' : text, { state, signer, wait });
          o.logger?.debug({ simulator: 'ncalayer', request: state.lastRequest?.method, answered: reply !== undefined }, 'sandbox request');
          if (reply && !closed) ws.send(JSON.stringify(reply));
        } catch (err) {
          if (!closed) ws.send(JSON.stringify({ code: '500', message: `sandbox internal error: ${(err as Error).name}` }));
        } finally {
          outstanding--;
        }
      });
    });
    ws.send(JSON.stringify({ result: { version: o.version ?? '1.4' } }));
  };

  const onUpgrade = (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!wss) return void socket.destroy();
    if (state.config.behaviour === 'absent') {
      // NCALayer not running: the connection goes nowhere (no HTTP answer, no WebSocket).
      state.refusedConnections++;
      return void socket.destroy();
    }
    const server = wss;
    server.handleUpgrade(req, socket, head, (ws) => server.emit('connection', ws, req));
  };

  const listen = async (s: Server, port: number) => {
    s.on('request', (_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('NCALayer (sandbox): WebSocket only\n'));
    s.on('upgrade', onUpgrade);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
  };
  const portOf = (s: Server | undefined) => {
    const addr = s?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error('ncalayer simulator is not listening');
    return addr.port;
  };
  const stop = async () => {
    closeAll();
    const servers = [server, secondServer].filter((s): s is Server => s !== undefined);
    server = secondServer = undefined;
    wss?.close();
    wss = undefined;
    await Promise.all(
      servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
    await admin.close();
  };

  return {
    async start() {
      if (server) throw new Error('ncalayer simulator: already started');
      try {
        await admin.listen(o.adminPort ?? 0);
        wss = new WebSocketServer({ noServer: true, maxPayload: 20 * 1024 * 1024 });
        wss.on('connection', onConnection);
        server = o.tls ? createHttpsServer({ key: o.tls.key, cert: o.tls.cert }) : createServer();
        await listen(server, o.port ?? 0);
        if (o.wss) {
          secondServer = createHttpsServer({ key: o.wss.key, cert: o.wss.cert });
          await listen(secondServer, o.wss.port ?? 0);
        }
      } catch (err) {
        await stop().catch(() => {});
        throw err;
      }
    },
    stop,
    get url() {
      return `${o.tls ? 'wss' : 'ws'}://127.0.0.1:${portOf(server)}`;
    },
    get wssUrl() {
      if (o.tls) return `wss://127.0.0.1:${portOf(server)}`;
      return o.wss ? `wss://127.0.0.1:${portOf(secondServer)}` : undefined;
    },
    get adminUrl() {
      return admin.adminBaseUrl;
    },
  };
}
