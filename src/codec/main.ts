// `npm run codec-server`: the codec server for the Web UI and `temporal --codec-endpoint`.
//   TRUSTFLOW_CODEC_KEYS / TRUSTFLOW_CODEC_KEY_FILE   the keyring (required)
//   TRUSTFLOW_CODEC_HOST (127.0.0.1), TRUSTFLOW_CODEC_PORT (8234)
//   TRUSTFLOW_CODEC_CORS_ORIGINS (http://127.0.0.1:8233,http://localhost:8233): the Web UI's origins
//   TRUSTFLOW_CODEC_TLS_CERT_FILE + TRUSTFLOW_CODEC_TLS_KEY_FILE   serve HTTPS (PEM files), for callers on a network
//   TRUSTFLOW_CODEC_NAMESPACES (any)   serve only these namespaces, e.g. `payments,payments-staging`
//   TRUSTFLOW_CODEC_AUTH_TOKEN   accept `Authorization: Bearer <token>` (the CLI's --codec-auth)
//   TRUSTFLOW_CODEC_OIDC_ISSUER [TRUSTFLOW_CODEC_OIDC_AUDIENCE] [TRUSTFLOW_CODEC_OIDC_JWKS_URL]
//                                accept the Web UI user's OIDC access token (TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true)
// With either set, every request must present one; off loopback, one of them is required.
import { readFileSync } from 'node:fs';
import { createLogger } from '../common/logger.js';
import { keyringFromEnv } from './keyring.js';
import { AesGcmPayloadCodec } from './payload-codec.js';
import { CodecServer, DEFAULT_UI_ORIGINS } from './server.js';
import { isLocalAddress } from './data-converter.js';

const logger = createLogger({ name: 'trustflow-codec' });

try {
  const keyring = keyringFromEnv();
  if (!keyring) throw new Error('no codec keys: set TRUSTFLOW_CODEC_KEYS or TRUSTFLOW_CODEC_KEY_FILE (the same keys as the workers)');
  const host = process.env.TRUSTFLOW_CODEC_HOST ?? '127.0.0.1';
  const authToken = process.env.TRUSTFLOW_CODEC_AUTH_TOKEN;
  const issuer = process.env.TRUSTFLOW_CODEC_OIDC_ISSUER;
  const oidc = issuer
    ? {
        issuer,
        ...(process.env.TRUSTFLOW_CODEC_OIDC_AUDIENCE ? { audience: process.env.TRUSTFLOW_CODEC_OIDC_AUDIENCE } : {}),
        ...(process.env.TRUSTFLOW_CODEC_OIDC_JWKS_URL ? { jwksUrl: process.env.TRUSTFLOW_CODEC_OIDC_JWKS_URL } : {}),
      }
    : undefined;
  // Empty = unset (compose passes `${VAR:-}`); a list of only commas is a mistake worth stopping for.
  const namespacesRaw = process.env.TRUSTFLOW_CODEC_NAMESPACES?.trim() || undefined;
  const namespaces = namespacesRaw
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (namespaces && namespaces.length === 0) {
    throw new Error(`TRUSTFLOW_CODEC_NAMESPACES='${namespacesRaw}' names no namespace: unset it to serve any, or list them (a,b)`);
  }
  const tls = tlsFromEnv();
  if (oidc && !oidc.audience && !isLocalAddress(host)) {
    throw new Error(
      `refusing to serve decryption on ${host} to any access token of ${issuer} without TRUSTFLOW_CODEC_OIDC_AUDIENCE: every client of that issuer could read every history; set the audience your UI's (and services') tokens carry`,
    );
  }
  if (!isLocalAddress(host) && !authToken && !oidc) {
    throw new Error(
      `refusing to serve decryption on ${host} without TRUSTFLOW_CODEC_AUTH_TOKEN or TRUSTFLOW_CODEC_OIDC_ISSUER: anyone who reaches it could read every history`,
    );
  }
  const server = new CodecServer({
    codec: new AesGcmPayloadCodec(keyring),
    host,
    port: Number(process.env.TRUSTFLOW_CODEC_PORT ?? 8234),
    corsOrigins: (process.env.TRUSTFLOW_CODEC_CORS_ORIGINS ?? DEFAULT_UI_ORIGINS.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ...(authToken ? { authToken } : {}),
    ...(oidc ? { oidc } : {}),
    ...(namespaces ? { namespaces } : {}),
    ...(tls ? { tls } : {}),
    logger,
  });
  const url = await server.listen();
  logger.info(
    {
      url,
      activeKeyId: keyring.activeKeyId,
      keys: keyring.keys.size,
      auth: !!authToken,
      oidc: issuer ?? 'off',
      namespaces: namespaces ?? 'any',
    },
    `codec server listening on ${url}`,
  );
  if (!tls && !isLocalAddress(host)) {
    logger.warn(
      { host },
      'serving plain HTTP off loopback: bearer tokens and decrypted payloads cross the network in clear unless a TLS proxy fronts this server (or set TRUSTFLOW_CODEC_TLS_CERT_FILE and TRUSTFLOW_CODEC_TLS_KEY_FILE)',
    );
  }
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(`trustflow codec-server: ${(err as Error).message}`);
  process.exit(1);
}

/** Both files or neither, read now: a missing file stops the start, not the first request. */
function tlsFromEnv(): { cert: Buffer; key: Buffer } | undefined {
  const certFile = process.env.TRUSTFLOW_CODEC_TLS_CERT_FILE?.trim();
  const keyFile = process.env.TRUSTFLOW_CODEC_TLS_KEY_FILE?.trim();
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) {
    throw new Error('set both TRUSTFLOW_CODEC_TLS_CERT_FILE and TRUSTFLOW_CODEC_TLS_KEY_FILE (PEM), or neither for plain HTTP');
  }
  const read = (name: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${name}=${path}: cannot read (${(err as NodeJS.ErrnoException).code})`, { cause: err });
    }
  };
  return { cert: read('TRUSTFLOW_CODEC_TLS_CERT_FILE', certFile), key: read('TRUSTFLOW_CODEC_TLS_KEY_FILE', keyFile) };
}
