// `trustflow signing-server`: the HTTP server of the signing page (signing-page/server.ts), its own
// process and port: persons open their signing links there and sign in NCALayer while the flow waits.
// Everything is checked before it listens (flags, link key, certificate and key, payload encryption,
// the Temporal server, the port); then one line on stdout says where it listens, request logs go to
// stderr, and SIGINT/SIGTERM stop it gracefully (requests in flight finish; exit 0).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { Client, Connection } from '@temporalio/client';
import { isLocalAddress } from '../../codec/data-converter.js';
import { createLogger, type Logger } from '../../common/logger.js';
import { isLoopbackHost } from '../../common/transport.js';
import { createSigningServer } from '../../signing-page/server.js';
import { SIGNING_ENV, SigningSettingsError, signingSettingsFromEnv } from '../../common/signing-page-settings.js';
import { temporalSigningBackend } from '../../signing-page/temporal-backend.js';
import { connectClient } from '../connection.js';
import { defineCommand, UsageError } from './command.js';
import { readInputFile, type Commands } from './shared.js';

export const DEFAULT_LISTEN = '127.0.0.1:8443';
export const DEFAULT_NCALAYER_URL = 'wss://127.0.0.1:13579';

export interface SigningServerPlan {
  listen: { host: string; port: number };
  tls?: { cert: Buffer; key: Buffer };
  behindProxy: boolean;
  ncalayerUrl: string;
  linkKey: Buffer;
  /** TRUSTFLOW_SIGNING_PAGE_URL's origin, when set. */
  publicOrigin?: string;
  /** Worth saying on stderr, not worth refusing (a certificate close to or past its end). */
  warnings: string[];
}

export interface SigningServerFlags {
  listen?: string | undefined;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'behind-proxy'?: boolean | undefined;
  'ncalayer-url'?: string | undefined;
}

const KEY_HOWTO = `set ${SIGNING_ENV.linkKey} to 32 or more random characters (openssl rand -hex 32), the same value the workers have`;

/** Every check of the flags and the environment that needs no network: usage errors (exit 2) name the flag or variable. */
export async function signingServerPlan(v: SigningServerFlags, env: NodeJS.ProcessEnv = process.env): Promise<SigningServerPlan> {
  const listen = parseListen(v.listen ?? DEFAULT_LISTEN);
  const ncalayerUrl = parseNcalayerUrl(v['ncalayer-url'] ?? DEFAULT_NCALAYER_URL);
  const certPath = v['tls-cert'];
  const keyPath = v['tls-key'];
  if (!!certPath !== !!keyPath)
    throw new UsageError(
      `--tls-cert and --tls-key go together: give both (HTTPS) or neither (${certPath ? '--tls-key' : '--tls-cert'} is missing)`,
    );
  const behindProxy = v['behind-proxy'] === true;

  let settings;
  try {
    settings = signingSettingsFromEnv(env, { requireUrl: false });
  } catch (err) {
    if (err instanceof SigningSettingsError) throw new UsageError(err.message);
    throw err;
  }
  if (!settings)
    throw new UsageError(`${SIGNING_ENV.linkKey} is not set: the signing server opens the links the workers seal with it; ${KEY_HOWTO}`);

  const loopback = isLoopbackHost(listen.host);
  if (!loopback && !certPath && !behindProxy)
    throw new UsageError(
      `--listen ${v.listen}: not a loopback address, and no TLS: give --tls-cert and --tls-key, or --behind-proxy when TLS ends at ` +
        'your reverse proxy (browsers let only HTTPS pages reach NCALayer, and links would cross the network in clear)',
    );
  if (behindProxy && !settings.pageUrl.startsWith('https://'))
    throw new UsageError(
      `--behind-proxy needs ${SIGNING_ENV.pageUrl} set to the https:// URL your proxy serves the page at ` +
        `(${settings.pageUrl ? `it is ${settings.pageUrl}` : 'it is not set'}): the page must be HTTPS for browsers to let it reach NCALayer`,
    );

  const warnings: string[] = [];
  const tls = certPath && keyPath ? await readTls(certPath, keyPath, warnings) : undefined;
  return {
    listen,
    ...(tls ? { tls } : {}),
    behindProxy,
    ncalayerUrl,
    linkKey: settings.linkKey,
    ...(settings.pageUrl ? { publicOrigin: new URL(settings.pageUrl).origin } : {}),
    warnings,
  };
}

/** `HOST:PORT`, `[v6]:PORT`. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535)
    throw new UsageError(`--listen ${value}: expected HOST:PORT, e.g. ${DEFAULT_LISTEN}, 0.0.0.0:8443 or [::1]:8443 (port 1-65535)`);
  return { host: (m[1] ?? m[2])!, port };
}

/** wss://HOST:PORT; ws:// only to 127.0.0.1 (the sandbox's NCALayer without a certificate). */
export function parseNcalayerUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`--ncalayer-url ${value}: not a URL; NCALayer listens at ${DEFAULT_NCALAYER_URL}`);
  }
  if (u.protocol !== 'wss:' && u.protocol !== 'ws:')
    throw new UsageError(`--ncalayer-url ${value}: must be a wss:// URL (NCALayer's WebSocket, ${DEFAULT_NCALAYER_URL})`);
  if (u.protocol === 'ws:' && u.hostname !== '127.0.0.1')
    throw new UsageError(`--ncalayer-url ${value}: plain ws:// only to 127.0.0.1 (a local simulator); use wss://`);
  if (u.username || u.password || u.search || u.hash || (u.pathname !== '/' && u.pathname !== ''))
    throw new UsageError(`--ncalayer-url ${value}: give the scheme, host and port only, e.g. ${DEFAULT_NCALAYER_URL}`);
  return u.origin;
}

/** The certificate and key, read and checked: PEM, a pair, and (a warning) valid now. */
async function readTls(certPath: string, keyPath: string, warnings: string[]): Promise<{ cert: Buffer; key: Buffer }> {
  const cert = await readInputFile('--tls-cert', certPath);
  const key = await readInputFile('--tls-key', keyPath);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new UsageError(`--tls-cert ${certPath}: not a certificate (PEM, -----BEGIN CERTIFICATE-----, the chain after it)`);
  }
  try {
    createPrivateKey(key);
  } catch (err) {
    const encrypted = /passphrase|bad decrypt/i.test((err as Error).message);
    throw new UsageError(
      `--tls-key ${keyPath}: ${encrypted ? 'an encrypted key: give it unencrypted (readable by this process only)' : 'not a private key (PEM)'}`,
    );
  }
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    const mismatch = /key values mismatch/i.test((err as Error).message);
    throw new UsageError(
      mismatch
        ? `--tls-key ${keyPath} is not the key of --tls-cert ${certPath}`
        : `--tls-cert ${certPath} / --tls-key ${keyPath}: ${(err as Error).message}`,
    );
  }
  const now = Date.now();
  if (new Date(x509.validTo).getTime() <= now)
    warnings.push(`--tls-cert ${certPath} expired on ${x509.validTo}: browsers will refuse the page`);
  else if (new Date(x509.validFrom).getTime() > now) warnings.push(`--tls-cert ${certPath} is not valid before ${x509.validFrom}`);
  return { cert, key };
}

/**
 * The CMS travels as the Update's argument: without the payload codec it would be stored in clear in
 * the history (the signer's certificate, the IIN in it). Allowed only to a loopback server, asked for.
 */
function assertEncrypting(client: Client, address: string, env: NodeJS.ProcessEnv): void {
  if (client.options.loadedDataConverter.payloadCodecs.length > 0) return;
  if (env.TRUSTFLOW_ALLOW_UNENCRYPTED === '1' && isLocalAddress(address)) return;
  throw new Error(
    `refusing to serve the signing page without payload encryption: the signatures it submits would be stored in clear at ${address}. ` +
      "Set TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE to the workers' keyring" +
      (isLocalAddress(address) ? ', or TRUSTFLOW_ALLOW_UNENCRYPTED=1 for this loopback server' : ''),
  );
}

/** Resolves at the first SIGINT/SIGTERM; later ones are logged and otherwise ignored (the stop is bounded). */
function firstStopSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen: NodeJS.Signals | undefined;
    const on = (signal: NodeJS.Signals) => {
      if (seen) return void logger.warn({ signal }, 'signing server: already stopping');
      seen = signal;
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

const command = defineCommand({
  summary: 'serve the signing page persons open their signing links at (NCALayer)',
  options: {
    listen: { type: 'string', value: 'HOST:PORT', default: DEFAULT_LISTEN, help: `where to listen (default ${DEFAULT_LISTEN})` },
    'tls-cert': { type: 'string', value: 'FILE', help: 'HTTPS: the certificate (PEM, chain after it); with --tls-key' },
    'tls-key': { type: 'string', value: 'FILE', help: 'HTTPS: its private key (PEM, unencrypted); with --tls-cert' },
    'behind-proxy': {
      type: 'boolean',
      help: `TLS ends at your reverse proxy (needs an https ${SIGNING_ENV.pageUrl}); the rate limit reads X-Forwarded-For`,
    },
    'ncalayer-url': {
      type: 'string',
      value: 'URL',
      default: DEFAULT_NCALAYER_URL,
      help: `where the page finds NCALayer (default ${DEFAULT_NCALAYER_URL}; ws:// to 127.0.0.1 only)`,
    },
  },
  details: `Persons open the links a waiting flow (a person signer) sends them, <page URL>/sign#<token>;
the page reads the request from the flow, has NCALayer sign it and submits the CMS to the flow.
Off loopback the page must be HTTPS (browsers let only HTTPS pages reach NCALayer): --tls-cert
and --tls-key, or --behind-proxy. Request logs (JSON, never tokens, CMS or IINs) go to stderr;
stdout gets one line, "signing page listening on <url>", when it is ready. SIGINT/SIGTERM: stops
accepting, lets requests in flight finish, exits 0.
Environment:
  ${SIGNING_ENV.linkKey}   (required) the secret links are sealed with (the workers' value)
  ${SIGNING_ENV.pageUrl}   the page's public URL (required with --behind-proxy)
  TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS…, TEMPORAL_API_KEY: the Temporal server
  TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE: the workers' keyring (signatures are encrypted)
Example: trustflow signing-server --listen 0.0.0.0:8443 --tls-cert sign.pem --tls-key sign.key
Exit codes: 0 stopped by a signal, 1 could not start (Temporal, port, page), 2 wrong usage.`,
  async run(v) {
    const plan = await signingServerPlan(v);
    for (const w of plan.warnings) console.error(`trustflow signing-server: warning: ${w}`);
    const logger = createLogger({ name: 'trustflow-signing', destination: process.stderr });
    const { buildSigningPage } = await import('../../signing-page/page-bundle.js');
    const page = await buildSigningPage();
    const client = await connectClient();
    let served = false;
    try {
      const address = (client.connection as Connection).options?.address ?? '(unknown address)';
      assertEncrypting(client, address, process.env);
      const server = createSigningServer({
        backend: temporalSigningBackend(client),
        linkKey: plan.linkKey,
        listen: plan.listen,
        ...(plan.tls ? { tls: plan.tls } : {}),
        ncalayerUrl: plan.ncalayerUrl,
        page,
        logger,
        behindProxy: plan.behindProxy,
        ...(plan.publicOrigin ? { publicOrigin: plan.publicOrigin } : {}),
      });
      const stopped = firstStopSignal(logger);
      await server.start();
      served = true;
      logger.info(
        {
          url: server.url,
          publicOrigin: plan.publicOrigin ?? null,
          ncalayerUrl: plan.ncalayerUrl,
          behindProxy: plan.behindProxy,
          temporal: address,
        },
        'signing server: listening',
      );
      console.log(`signing page listening on ${server.url}`);
      const signal = await stopped;
      logger.info({ signal }, 'signing server: stopping; letting requests in flight finish');
      await server.stop();
      logger.info({ signal }, 'signing server: stopped');
      return 0;
    } finally {
      // After serving, the process exits next. A call abandoned at its bound while Temporal was
      // unreachable may still be waiting to retry in the SDK (its gRPC retry ignores cancellation),
      // and closing the connection under it would throw "Channel has been shut down" uncaught.
      if (!served) await client.connection.close();
    }
  },
});

/** Registered in main.ts as a command of its own (not a group). */
export const commands: Commands = { 'signing-server': command };
