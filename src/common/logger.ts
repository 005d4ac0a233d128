// The one structured logger (pino) of the worker, activities, sandbox, codec server and demo.
// Redaction happens on every record, at any depth: fields whose names say they hold secrets are
// replaced, and errors are reduced to name/type/message/stack/code, so an HTTP error's response
// body or request options (headers, json) never reach a log line.
import pino from 'pino';

export type Logger = pino.Logger;

export const REDACTED = '[redacted]';

/** Field names that hold secrets: exact names, and any name ending in password/token/secret. */
const SECRET_FIELD =
  /^(password|passwd|passphrase|pin|secret|token|sid|key|privatekey|private_key|authorization|proxy-authorization|cookie|set-cookie|x-jws-signature|x-api-key|signeddata|photo|body)$|(password|token|secret)$/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]';
  if (value instanceof Error) return serializeError(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.length} bytes]`;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}

export function serializeError(err: Error): Record<string, unknown> {
  const e = err as Error & { type?: unknown; code?: unknown; cause?: unknown };
  return {
    name: e.name,
    ...(typeof e.type === 'string' ? { type: e.type } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    ...(e.cause instanceof Error ? { cause: serializeError(e.cause) } : {}),
  };
}

export interface LoggerOptions {
  name?: string;
  /** trace | debug | info | warn | error; default TRUSTFLOW_LOG_LEVEL or info. */
  level?: string;
  /** Where records go (default stdout). Tests pass a stream to capture everything. */
  destination?: pino.DestinationStream;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  return pino(
    {
      name: o.name ?? 'trustflow',
      level: o.level ?? process.env.TRUSTFLOW_LOG_LEVEL ?? 'info',
      formatters: { log: (record) => redact(record) as Record<string, unknown> },
      serializers: { err: serializeError, error: serializeError },
    },
    o.destination,
  );
}
