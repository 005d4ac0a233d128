// OpenSSL 3 + gost-engine, as child processes through the one spawner (openssl.ts). Node cannot
// load the engine in-process safely (two OpenSSL copies), and no JS library does GOST CMS.
// The engine is enabled by a generated OPENSSL_CONF; its directory comes from `openssl version -e`
// (or TRUSTFLOW_GOST_ENGINE_PATH), so no multiarch path is hard-coded.
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOpenssl, type OpensslOptions } from './openssl.js';
import { FailureType, TrustflowError } from '../common/errors.js';

export class GostEngineMissingError extends TrustflowError {
  override readonly name = 'GostEngineMissingError';
  constructor(message: string) {
    super(message, FailureType.CryptoUnavailable, false);
  }
}

const INSTALL_HINT =
  'install gost-engine for OpenSSL 3 (Debian/Ubuntu: apt-get install libengine-gost-openssl), or set TRUSTFLOW_GOST_ENGINE_PATH to its gost.so';

let configPath: Promise<string> | undefined;

/** Environment that makes `openssl` load gost-engine. Checked once per process. */
export async function gostOpensslEnv(): Promise<Record<string, string>> {
  configPath ??= (async () => {
    let enginePath = process.env.TRUSTFLOW_GOST_ENGINE_PATH;
    if (!enginePath) {
      const { stdout } = await runOpenssl(['version', '-e']);
      const dir = /ENGINESDIR: "([^"]+)"/.exec(stdout.toString())?.[1];
      enginePath = dir ? join(dir, 'gost.so') : undefined;
    }
    if (!enginePath || !existsSync(enginePath))
      throw new GostEngineMissingError(`gost-engine not found${enginePath ? ` at ${enginePath}` : ''}: ${INSTALL_HINT}`);
    const dir = await mkdtemp(join(tmpdir(), 'trustflow-gost-'));
    const path = join(dir, 'openssl-gost.cnf');
    await writeFile(
      path,
      [
        'openssl_conf = openssl_init',
        '[openssl_init]',
        'engines = engine_section',
        'providers = provider_section',
        '[provider_section]',
        'default = default_sect',
        '[default_sect]',
        'activate = 1',
        '[engine_section]',
        'gost = gost_section',
        '[gost_section]',
        'engine_id = gost',
        `dynamic_path = ${enginePath}`,
        'default_algorithms = ALL',
        '',
      ].join('\n'),
    );
    const check = await runOpenssl(['engine', '-c', '-t', 'gost'], { env: { OPENSSL_CONF: path } }).catch(() => undefined);
    if (!check || !check.stdout.toString().includes('[ available ]'))
      throw new GostEngineMissingError(`gost-engine at ${enginePath} does not load: ${INSTALL_HINT}`);
    return path;
  })();
  try {
    return { OPENSSL_CONF: await configPath };
  } catch (err) {
    configPath = undefined; // let a later call retry (e.g. after the package was installed)
    throw err;
  }
}

/** `openssl` with gost-engine loaded. */
export async function runGostOpenssl(args: string[], opts: OpensslOptions = {}) {
  return runOpenssl(args, { ...opts, env: { ...(await gostOpensslEnv()), ...opts.env } });
}

/** GOST public-key algorithm OIDs (R 34.10-2012 256/512, R 34.10-2001). */
export const GOST_KEY_OIDS = new Set(['1.2.643.7.1.1.1.1', '1.2.643.7.1.1.1.2', '1.2.643.2.2.19']);
