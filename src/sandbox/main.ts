// `npm run sandbox -- --dir DIR`: the simulators on loopback until stopped (Ctrl-C).
import { parseArgs } from 'node:util';
import { startSandbox } from './index.js';

const { values } = parseArgs({
  options: { dir: { type: 'string', default: '.sandbox' }, 'ismpt-port': { type: 'string' } },
});

const sandbox = await startSandbox({
  dir: values.dir!,
  ports: { ismpt: values['ismpt-port'] ? Number(values['ismpt-port']) : 0 },
});
console.log(`trustflow sandbox: manifest ${sandbox.manifestPath} (request logs: TRUSTFLOW_LOG_LEVEL=debug)`);
for (const [name, s] of Object.entries(sandbox.manifest.services)) {
  console.log(`  ${name.padEnd(8)} ${s.baseUrl}  (admin ${s.admin})`);
  // NCALayer also listens on wss://, as the real app, with a self-signed certificate.
  if (name === 'ncalayer') console.log(`  ${''.padEnd(8)} ${sandbox.manifest.ncalayer.wssUrl}  (self-signed; same keys and admin)`);
}
console.log(`  example input for mptSignIn: jq .examples.mptSignIn ${sandbox.manifestPath}`);
console.log(`  Kazakh GOST test key, certificate and CA: jq .kzGost ${sandbox.manifestPath}`);
console.log(`  NCALayer keys, CA bundle and a person-signer input: jq .ncalayer ${sandbox.manifestPath}`);
console.log('Ctrl-C stops the sandbox.');

const stop = () => void sandbox.stop().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
