// KPSIS activities. Key generation is not idempotent, so kpsisGenerate is retried only when the
// request surely never left this machine; any other failure after sending ends the flow with what
// to check. The key container and shards are written here (owner-only files) and never returned:
// history carries paths and SHA-256 fingerprints only.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type {
  CertificateRequestSummary,
  FileFingerprint,
  IssuedCertificateSummary,
  KpsisArtifacts,
} from './kpsis-issue-certificate.contract.js';
import type { AlertSettings } from '../../common/alert-settings.js';
import { FailureType, InvalidInputError, ProviderHttpError, ProviderNetworkError, TrustflowError } from '../../common/errors.js';
import { httpTimeout } from '../http-timeout.activities.js';
import { alertSettingsOf, deliverAlert, type AlertActivityDeps } from '../credentials/alerts.activities.js';
import type { TrustflowAlert } from '../../contracts/alert.js';
import { certificationRequestFacts, type RequestFacts } from '../../common/x509-der.js';
import { KpsisClient, type GenCertReqRequest, type GeneratedKey } from '../../providers/kpsis/index.js';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../../secrets/resolve.js';

export interface KpsisActivityDeps extends AlertActivityDeps {
  resolveSecret?: SecretResolver;
}

export interface KpsisGenerateInput {
  baseUrl: string;
  /** The input's opt-in for plain http to a closed segment; warned about on every use. */
  allowPlainHttp?: boolean | undefined;
  keyParam: { securityLevel: number; iterationCount: number; usersNum: number; thresholdNum: number; passwords: string[] };
  certReqParam: {
    type: string;
    certInfo: {
      commonName: string;
      organization: string;
      description?: string | undefined;
      state?: string | undefined;
      locality?: string | undefined;
      street?: string | undefined;
      email?: string | undefined;
      subjectAltNames?: string[] | undefined;
    };
  };
  saveToFile: boolean;
  artifactsDir: string;
}

/** The dependencies the activities that need them are given, defaults filled in. */
interface KpsisDeps {
  resolveSecret: SecretResolver;
  alerts: AlertSettings;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const ctx = () => Context.current();
const REQUEST_FILE = 'cert_req.req';
const CHECK_DATA_FOLDER =
  "check the service's data folder (esiful-kpsis/data/keygensrvc/) and the artifacts folder before starting again: a key may have been made";

/** Every KPSIS activity, by the name workflows call it. */
export function createKpsisActivities(deps: KpsisActivityDeps = {}) {
  const d: KpsisDeps = { resolveSecret: deps.resolveSecret ?? defaultResolveSecret, alerts: alertSettingsOf(deps) };
  function withDeps<I, R>(activity: (d: KpsisDeps, input: I) => R): (input: I) => R {
    return (input) => activity(d, input);
  }
  return {
    kpsisCheckPasswords: withDeps(kpsisCheckPasswords),
    kpsisGenerate: withDeps(kpsisGenerate),
    kpsisNotifyPending: withDeps(kpsisNotifyPending),
    kpsisStoreCertificate,
  };
}

export type KpsisActivities = ReturnType<typeof createKpsisActivities>;

/** Every password reference resolves to a non-empty value: checked before the key exists. */
async function kpsisCheckPasswords(d: KpsisDeps, input: { passwords: string[] }): Promise<{ count: number }> {
  return { count: (await resolvePasswords(d, input.passwords)).length };
}

async function kpsisGenerate(
  d: KpsisDeps,
  input: KpsisGenerateInput,
): Promise<{ request: CertificateRequestSummary; artifacts: KpsisArtifacts }> {
  await assertNoEarlierRequest(input.artifactsDir);
  const passwords = await resolvePasswords(d, input.keyParam.passwords);
  let generated: GeneratedKey;
  try {
    generated = await generateKey(input, genCertReqRequestOf(input, passwords));
  } finally {
    passwords.fill('');
  }
  const summary = certificationRequestFacts(generated.certRequestDer);
  return saveArtifacts(input.artifactsDir, generated, summary);
}

/**
 * "Still pending at the CA", through the one alert sink (log + the worker's webhook). The
 * alert carries the subject's organisation only, never the rest of the subject.
 */
async function kpsisNotifyPending(
  d: KpsisDeps,
  input: {
    workflowId: string;
    requestedAt: string;
    subject: string;
    requestSha256: string;
    reminder: number;
  },
): Promise<{ via: 'webhook' | 'log' }> {
  const organization = /(?:^|,\s*)O=([^,]+)/.exec(input.subject)?.[1]?.trim() ?? null;
  const since = input.requestedAt;
  const alert: TrustflowAlert = {
    alertId: `${input.workflowId}/ca-pending-${input.reminder}`,
    event: 'kpsis.certificate.pending',
    credentialId: input.workflowId,
    kind: 'kpsis-certificate',
    tier: `ca-pending-${input.reminder}`,
    notAfter: null,
    daysLeft: null,
    action: `hand the request (SHA-256 ${input.requestSha256}) to the CA if not done yet, then submit its certificate: trustflow kpsis submit-cert --workflow-id ${input.workflowId} --cert FILE`,
    certificate: { role: 'leaf', organization, issuer: null, serialNumber: null },
    labels: {},
    text: `KPSIS certificate request of ${input.workflowId}${organization ? ` (${organization})` : ''} has been with the CA since ${since} (reminder ${input.reminder})`,
    // When the reminder was scheduled: the same for every attempt, so a redelivery has the same body.
    createdAt: new Date(ctx().info.scheduledTimestampMs).toISOString(),
  };
  return { via: (await deliverAlert(alert, d.alerts)).via };
}

/** Stores the accepted certificate beside the artifacts. */
async function kpsisStoreCertificate(input: { artifactsDir: string; certificatePem: string }): Promise<IssuedCertificateSummary> {
  const cert = new X509Certificate(input.certificatePem);
  const path = join(input.artifactsDir, 'certificate.pem');
  await writeFile(`${path}.part`, cert.toString(), { mode: 0o644 });
  await rename(`${path}.part`, path).catch(async (err: unknown) => {
    await rm(`${path}.part`, { force: true });
    throw err;
  });
  return {
    path,
    serialNumber: cert.serialNumber,
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    sha256Fingerprint: cert.fingerprint256,
  };
}

async function resolvePasswords(d: KpsisDeps, refs: string[]): Promise<string[]> {
  return Promise.all(
    refs.map(async (ref, i) => {
      const value = await d.resolveSecret(ref);
      if (!value) throw new InvalidInputError(`keyParam.passwords[${i}] (${ref}) resolves to an empty password`);
      return value;
    }),
  );
}

/** Creates the artifacts folder; never overwrite an earlier request: its key and shards would be lost with it. */
async function assertNoEarlierRequest(artifactsDir: string): Promise<void> {
  await mkdir(artifactsDir, { recursive: true, mode: 0o700 });
  if ((await readdir(artifactsDir)).includes(REQUEST_FILE)) {
    throw new InvalidInputError(
      `${artifactsDir} already holds a ${REQUEST_FILE}: use a new artifactsDir for a new key (the old key and shards belong to that request)`,
    );
  }
}

/** The input in KPSIS's wire format, with the resolved passwords. */
function genCertReqRequestOf(input: KpsisGenerateInput, passwords: string[]): GenCertReqRequest {
  const { certInfo } = input.certReqParam;
  return {
    key_param: {
      security_level: input.keyParam.securityLevel,
      iteration_count: input.keyParam.iterationCount,
      users_num: input.keyParam.usersNum,
      treshold_num: input.keyParam.thresholdNum,
      passwords,
    },
    cert_req_param: {
      type: input.certReqParam.type,
      cert_info: {
        common_name: certInfo.commonName,
        organization: certInfo.organization,
        ...(certInfo.description ? { description: certInfo.description } : {}),
        ...(certInfo.state ? { state: certInfo.state } : {}),
        ...(certInfo.locality ? { locality: certInfo.locality } : {}),
        ...(certInfo.street ? { street: certInfo.street } : {}),
        ...(certInfo.email ? { email: certInfo.email } : {}),
        ...(certInfo.subjectAltNames?.length ? { subject_alt_name: certInfo.subjectAltNames } : {}),
      },
    },
    save_to_file: input.saveToFile,
  };
}

/**
 * The one key-generation call. Retryable only when the request surely never left this machine;
 * once it may have reached KPSIS, the failure says what to check instead of repeating it.
 */
async function generateKey(input: KpsisGenerateInput, request: GenCertReqRequest): Promise<GeneratedKey> {
  try {
    const kpsis = new KpsisClient({
      baseUrl: input.baseUrl,
      timeoutMs: httpTimeout(),
      allowPlainHttp: input.allowPlainHttp === true,
      warnPlainHttp: (message) => ctx().log.warn(message),
    });
    return await kpsis.generate(request, ctx().cancellationSignal);
  } catch (err) {
    if (err instanceof ProviderNetworkError && err.requestSurelyNotSent) {
      // Nothing was made: the workflow tries again after a pause.
      throw new TrustflowError(
        `${err.message}: the KPSIS service is not reachable (is its container running? docker-compose ps)`,
        FailureType.ServiceNotRunning,
        false,
      );
    }
    if (err instanceof ProviderNetworkError || (err instanceof ProviderHttpError && err.status >= 500)) {
      throw new TrustflowError(
        `${err.message}; the request may have reached KPSIS, and key generation is not repeated automatically: ${CHECK_DATA_FOLDER}`,
        FailureType.ProviderUnavailable,
        false,
      );
    }
    throw err;
  }
}

/** Writes the key container, the shards and (last, marking a complete set) the request; returns their fingerprints. */
async function saveArtifacts(
  artifactsDir: string,
  generated: GeneratedKey,
  summary: RequestFacts,
): Promise<{ request: CertificateRequestSummary; artifacts: KpsisArtifacts }> {
  const write = (name: string, bytes: Buffer | string) => writeOwnerOnly(artifactsDir, name, bytes);
  try {
    const artifacts: KpsisArtifacts = {
      keyContainer: await write('key.der', generated.keyContainer),
      shards: await Promise.all(generated.shards.map((pem, i) => write(`shard${i + 1}.pem`, pem))),
      // Written last: its presence marks a complete set.
      request: await write(REQUEST_FILE, generated.certRequestDer),
    };
    ctx().log.info('KPSIS key and request generated', {
      shards: artifacts.shards.length,
      subject: summary.subject,
      requestSha256: artifacts.request.sha256,
    });
    return {
      request: { ...summary, subjectPublicKeyInfoSha256: sha256(Buffer.from(summary.subjectPublicKeyInfo, 'base64')) },
      artifacts,
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TrustflowError(
      `could not write the artifacts into ${artifactsDir} (${code ?? 'error'}); the key exists only in KPSIS's answer now: ${CHECK_DATA_FOLDER}`,
      FailureType.InvalidInput,
      false,
    );
  }
}

/** One artifact, owner-only, through a .part file renamed into place. */
async function writeOwnerOnly(dir: string, name: string, bytes: Buffer | string): Promise<FileFingerprint> {
  const path = join(dir, name);
  const tmp = `${path}.part`;
  await writeFile(tmp, bytes, { mode: 0o600 });
  await rename(tmp, path);
  return { path, sha256: sha256(typeof bytes === 'string' ? Buffer.from(bytes) : bytes) };
}
