// Why did a mutual-TLS connection reset? With TLS 1.3 the server checks our certificate only after
// the client has finished its handshake and already sent the request; the server's alert ("unknown
// CA", "bad certificate") is then often lost in a TCP reset and the client sees only ECONNRESET,
// which looks transient. This probe opens a fresh TLS connection with the same identity, sends
// nothing, and waits briefly: a certificate alert now arrives intact. Some servers (Node's own
// among them) send no alert at all and just close the connection after the handshake: that is
// reported as CLOSED_AFTER_HANDSHAKE, because a healthy server keeps an idle new connection open.
import { connect, type ConnectionOptions } from 'node:tls';
import type { Agent } from 'node:https';

/** The TLS error code the server answers our identity with, or undefined if the handshake is fine. */
export const CLOSED_AFTER_HANDSHAKE = 'TLS_CLOSED_AFTER_HANDSHAKE';

export function probeTlsAlert(url: string, agent: Agent, waitMs = 1500): Promise<string | undefined> {
  const target = new URL(url);
  const o = (agent as Agent & { options: ConnectionOptions }).options;
  return new Promise((resolve) => {
    const socket = connect({
      host: target.hostname,
      port: Number(target.port || 443),
      servername: /^[\d.]+$|^\[/.test(target.hostname) ? '' : target.hostname,
      ...(o.key ? { key: o.key } : {}),
      ...(o.cert ? { cert: o.cert } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
      rejectUnauthorized: o.rejectUnauthorized !== false,
    });
    let settled = false;
    let handshakeDone = false;
    socket.once('secureConnect', () => (handshakeDone = true));
    socket.on('data', () => (handshakeDone = false)); // the server spoke: not a silent refusal
    const done = (code: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => done(undefined), waitMs);
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code && /^ERR_SSL_|CERT|UNABLE_TO/.test(err.code) ? err.code : undefined),
    );
    socket.once('close', () => done(handshakeDone ? CLOSED_AFTER_HANDSHAKE : undefined));
  });
}
