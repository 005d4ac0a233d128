import { createServer, type AddressInfo } from 'node:net';

/** A port free on loopback right now (for servers whose port must be known before they start). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
