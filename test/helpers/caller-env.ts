// What a non-TypeScript caller's test starts: a real dev server, the sandbox and the trustflow worker
// (startFlowTestEnv), plus the codec server other SDKs post to, guarded by a bearer token. The caller
// (a Go or Python program) gets everything it needs through the environment `callerProcessEnv` lists,
// the way a bank's service would be configured: an address, a namespace, a task queue, the codec
// endpoint and its token, or the keys for a local codec.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AesGcmPayloadCodec } from '../../src/codec/payload-codec.js';
import { CodecServer } from '../../src/codec/server.js';
import { createLogger } from '../../src/common/logger.js';
import { startFlowTestEnv, type FlowTestEnv } from './flow-env.js';
import { repoRoot } from './paths.js';
import { TEST_CODEC_KEYS, testKeyring } from './temporal.js';

export interface CallerEnv {
  flow: FlowTestEnv;
  codecServer: CodecServer;
  /** The environment a caller process runs with (see callerProcessEnv). */
  processEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** The committed codec test vectors (contract/codec-vectors.json). */
export const codecVectorsPath = join(repoRoot, 'contract', 'codec-vectors.json');

/**
 * Starts the server, sandbox, worker and codec server. The caller process's environment:
 *   TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TRUSTFLOW_TASK_QUEUE   where to start flows
 *   TRUSTFLOW_CODEC_ENDPOINT (http://127.0.0.1:<port>), TRUSTFLOW_CODEC_AUTH_TOKEN   the remote codec
 *   TRUSTFLOW_CODEC_KEYS   the keyring (id:base64,...), for a caller that encrypts locally
 *   TRUSTFLOW_SANDBOX_MANIFEST   sandbox.json: `examples.<workflowType>` is a ready input of each flow
 *   TRUSTFLOW_CODEC_VECTORS   contract/codec-vectors.json
 */
export async function startCallerEnv(taskQueue: string): Promise<CallerEnv> {
  const flow = await startFlowTestEnv(taskQueue);
  const token = randomBytes(24).toString('base64url');
  const codecServer = new CodecServer({
    codec: new AesGcmPayloadCodec(testKeyring),
    port: 0,
    corsOrigins: [],
    authToken: token,
    // As a bank would run it: its namespaces only. Go's remote codec names it in the path, Python's X-Namespace.
    namespaces: ['default'],
    logger: createLogger({ name: 'codec', level: 'warn' }),
  });
  try {
    await codecServer.listen();
  } catch (err) {
    await flow.stop();
    throw err;
  }
  const processEnv: Record<string, string> = {
    TEMPORAL_ADDRESS: flow.env.address,
    TEMPORAL_NAMESPACE: 'default',
    TRUSTFLOW_TASK_QUEUE: taskQueue,
    TRUSTFLOW_CODEC_ENDPOINT: codecServer.url,
    TRUSTFLOW_CODEC_AUTH_TOKEN: token,
    TRUSTFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
    TRUSTFLOW_SANDBOX_MANIFEST: flow.sandbox.manifestPath,
    TRUSTFLOW_CODEC_VECTORS: codecVectorsPath,
  };
  return {
    flow,
    codecServer,
    processEnv,
    stop: async () => {
      await codecServer.close();
      await flow.stop();
    },
  };
}
