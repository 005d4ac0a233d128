// The one transport rule for every provider: https, or plain http only to this machine (loopback:
// the sandbox). A closed network segment that really has only plain http (KPSIS) needs an explicit
// opt-in, and every use of it is logged as a warning. Pure (URL only): input schemas and the HTTP
// layer both apply it, so a URL that slips past one is refused by the other.

/** 127.0.0.0/8, localhost, [::1]: traffic that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface TransportOptions {
  /** Plain http to another host is allowed (a closed segment); the caller warns on every use. */
  allowPlainHttp?: boolean;
  /** https even on loopback (KISC: mutual TLS is the protocol). */
  httpsOnly?: boolean;
}

/** Why `url` may not carry provider traffic, or undefined when it may. Never echoes credentials. */
export function transportProblem(url: string, o: TransportOptions = {}): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (u.username || u.password) return 'must not contain credentials (pass secrets by reference, never in the URL)';
  if (u.protocol === 'https:') return undefined;
  if (u.protocol !== 'http:') return `must be an https URL, not ${u.protocol.replace(/:$/, '')}`;
  if (o.httpsOnly) return 'must be https';
  if (isLoopbackHost(u.hostname) || o.allowPlainHttp) return undefined;
  return `must be https: plain http is allowed only on loopback (127.0.0.1, localhost, [::1]); signed data, tokens and passwords would cross the network in clear to ${u.hostname}`;
}

/** True when `url` is plain http to another machine (allowed only by an opt-in, warned about on every use). */
export function isPlainHttpToRemote(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && !isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

/** host:port of a URL, the port spelled out even when it is the scheme's default. */
export function hostAndPort(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '?')}`;
  } catch {
    return '(unparsable URL)';
  }
}
