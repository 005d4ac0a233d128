// Credential-lifecycle activities: read a credential's certificates on the worker's machine (where the
// files live), check a whole inventory before `apply` changes anything, ask every watch to check
// (what the schedule runs), follow a KPSIS renewal, and switch <artifactsRoot>/current atomically.
// Secrets are resolved here and never leave; results are public certificate facts.
import { access, constants, readlink, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { KeyStoreError } from '../../common/errors.js';
import { metrics } from '../../common/metrics.js';
import { credentialGauge } from '../../common/policies.js';
import { certificateFacts, certificationRequestFacts } from '../../common/x509-der.js';
import type { CredentialEntry } from './inventory.contract.js';
import { CHECK_UPDATE, type CredentialConfig, type CredentialInspection, type CredentialStatus } from './credential-watch.contract.js';
import type { CredentialsCheckResult } from './credentials-check.contract.js';
import { KpsisIssueCertificateInputSchema } from '../kpsis/kpsis-issue-certificate.contract.js';
import { workflowIds } from '../../contracts/workflow-ids.js';
import {
  inspectedChain,
  readCertificateBundle,
  readFileOrExplain,
  readPkcs12Certificates,
} from '../../crypto/certificates/credential-certificates.js';
import { inspectCryptoProContainerFolder } from '../../crypto/keys/cryptopro-container-folder.js';
import { publicKeyOfCertificate } from '../../crypto/keys/ru-gost-key.js';
import { resolveSecret as defaultResolveSecret, type SecretResolver } from '../../secrets/resolve.js';

export interface CredentialActivityDeps {
  resolveSecret?: SecretResolver;
}

/** The kinds read from files here; cipher-container goes through the Cipher service (its own flow). */
type FileCredential = Exclude<CredentialEntry, { kind: 'cipher-container' }>;

/** The dependencies the activities that need them are given, defaults filled in. */
interface CredentialDeps {
  resolveSecret: SecretResolver;
}

/** Every credential-lifecycle activity, by the name workflows call it. */
export function createCredentialActivities(deps: CredentialActivityDeps = {}) {
  const d: CredentialDeps = { resolveSecret: deps.resolveSecret ?? defaultResolveSecret };
  function withDeps<I, R>(activity: (d: CredentialDeps, input: I) => R): (input: I) => R {
    return (input) => activity(d, input);
  }
  return {
    credentialInspect: withDeps(credentialInspect),
    credentialPreflight: withDeps(credentialPreflight),
    credentialsRequestChecks,
    credentialRenewalStatus,
    credentialPromoteArtifacts,
  };
}

export type CredentialActivities = ReturnType<typeof createCredentialActivities>;

/** Every certificate of a file credential (kpsis: of `artifactsDir`, the set in use). */
function credentialInspect(d: CredentialDeps, input: { entry: FileCredential; artifactsDir?: string }): Promise<CredentialInspection> {
  return inspect(d, input.entry, input.artifactsDir);
}

/**
 * `apply`'s check of one entry on the worker, before anything changes: files readable, passwords
 * right, references resolvable. A problem is returned (not thrown): apply lists them all.
 */
async function credentialPreflight(
  d: CredentialDeps,
  config: CredentialConfig,
): Promise<{ problem: string | null; count: number; notAfter: string | null }> {
  const { entry } = config;
  try {
    if (entry.kind === 'cipher-container') {
      // The container itself is opened by the Cipher service at the first check; here: what the worker holds.
      await d.resolveSecret(entry.password);
      const { keyStore } = entry;
      if ('file' in keyStore)
        await access(keyStore.file.slice('file:'.length), constants.R_OK).catch(() => {
          throw new KeyStoreError(`${keyStore.file}: the key container cannot be read on the worker machine`);
        });
      return { problem: null, count: 0, notAfter: null };
    }
    if (entry.kind === 'kpsis-certificate' && entry.renewal) {
      const issue = KpsisIssueCertificateInputSchema.parse({
        ...entry.renewal.issue,
        artifactsDir: join(entry.renewal.artifactsRoot, 'x'),
      });
      for (const ref of issue.keyParam.passwords) await d.resolveSecret(ref);
    }
    const { certificates } = await inspect(d, entry);
    const notAfter = certificates.map((c) => c.notAfter).sort()[0] ?? null;
    return { problem: null, count: certificates.length, notAfter };
  } catch (err) {
    return { problem: err instanceof Error ? err.message : String(err), count: 0, notAfter: null };
  }
}

/**
 * Asks each watch to check now (the Update `check`) and waits for it; what the schedule runs. It
 * also exports the gauge trustflow_credential_seconds_left of every credential it checked (every
 * kind, Cipher containers included), and drops the series of credentials no longer applied.
 */
async function credentialsRequestChecks(input: { credentialIds: string[]; every?: number }): Promise<CredentialsCheckResult> {
  const ctx = Context.current();
  const result: CredentialsCheckResult = { checked: [], missing: [], failed: [] };
  const queue = [...input.credentialIds];
  const keepMs = credentialGauge.keptForChecks * (input.every ?? credentialGauge.defaultCheckEveryMs);
  const one = async (id: string) => {
    try {
      const s = await ctx.client.workflow.getHandle(workflowIds.credentialWatch(id)).executeUpdate<CredentialStatus, []>(CHECK_UPDATE);
      result.checked.push({
        id,
        state: s.state,
        notAfter: s.notAfter,
        alertsSent: s.alertsSent,
        undelivered: s.undelivered,
        lastDeliveryError: s.lastDeliveryError,
        lastError: s.lastError,
      });
      if (s.notAfter) metrics.credentialExpiry({ credential: id, kind: s.kind }, Date.parse(s.notAfter), keepMs);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || /workflow execution already completed/i.test(String((err as Error).message)))
        result.missing.push(id);
      else result.failed.push({ id, error: (err as Error).message });
    }
    ctx.heartbeat({ done: result.checked.length + result.missing.length + result.failed.length });
  };
  // Heartbeats while a long check runs too, so a dead worker's attempt is retried within a minute.
  const beat = setInterval(() => ctx.heartbeat({ waiting: true }), 10_000);
  try {
    // A few at a time: a Cipher container's check holds a ticket on its service.
    await Promise.all(
      Array.from({ length: Math.min(4, queue.length) }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) await one(id);
      }),
    );
  } finally {
    clearInterval(beat);
  }
  // Removed from the inventory (or never started): their series go now, on this worker.
  metrics.credentialsApplied([...result.checked, ...result.failed].map((c) => c.id));
  result.checked.sort((a, b) => a.id.localeCompare(b.id));
  result.failed.sort((a, b) => a.id.localeCompare(b.id));
  result.missing.sort();
  return result;
}

/** Where a renewal issuance stands: running, issued (its certificate.pem exists), or failed (with why). */
async function credentialRenewalStatus(input: {
  workflowId: string;
  artifactsDir: string;
}): Promise<{ state: 'running' | 'issued' | 'failed'; reason: string | null }> {
  const ctx = Context.current();
  let status: string;
  try {
    status = (await ctx.client.workflow.getHandle(input.workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      return { state: 'failed', reason: `the issuance ${input.workflowId} does not exist (deleted by retention?)` };
    throw err;
  }
  if (status === 'RUNNING') return { state: 'running', reason: null };
  const issued = await access(join(input.artifactsDir, 'certificate.pem')).then(
    () => true,
    () => false,
  );
  if (status === 'COMPLETED' && issued) return { state: 'issued', reason: null };
  if (status === 'COMPLETED') return { state: 'failed', reason: 'the CA did not answer before giveUpAfter (outcome timed_out)' };
  return { state: 'failed', reason: `the issuance ended ${status.toLowerCase()}` };
}

/** Points <artifactsRoot>/current at the set in use: a new symlink renamed over the old one (atomic). */
async function credentialPromoteArtifacts(input: { artifactsRoot: string; artifactsDir: string }): Promise<{ current: string }> {
  const current = join(input.artifactsRoot, 'current');
  if ((await readlink(current).catch(() => undefined)) === input.artifactsDir) return { current };
  const tmp = `${current}.${process.pid}.tmp`;
  await rm(tmp, { force: true });
  await symlink(input.artifactsDir, tmp);
  await rename(tmp, current);
  Context.current().log.info('credential artifacts promoted', { current, artifactsDir: input.artifactsDir });
  return { current };
}

/** Every certificate of a file credential, by its kind (kpsis: of `artifactsDir` when given, else its own). */
async function inspect(d: CredentialDeps, entry: FileCredential, artifactsDir?: string): Promise<CredentialInspection> {
  switch (entry.kind) {
    case 'pkcs12': {
      const certs = await readPkcs12Certificates(
        await readFileOrExplain(entry.file, 'PKCS#12 file'),
        await d.resolveSecret(entry.password),
        entry.file,
        entry.password,
      );
      return { certificates: inspectedChain(certs, 'key store'), serviceWarnings: [] };
    }
    case 'mtls':
      return inspectMutualTls(d, entry);
    case 'certificate':
      return {
        certificates: inspectedChain(
          readCertificateBundle(await readFileOrExplain(entry.file, 'certificate file'), entry.file),
          'certificate',
        ),
        serviceWarnings: [],
      };
    case 'kpsis-certificate':
      return inspectKpsisCertificate(artifactsDir ?? entry.artifactsDir);
    case 'cryptopro-container':
      return inspectCryptoProContainerCredential(entry);
  }
}

/**
 * The certificates a CryptoPro container's header stores (read without its password, the header's
 * MAC checked), or the certificate file the entry names, which must then be for the container's key.
 */
async function inspectCryptoProContainerCredential(
  entry: Extract<FileCredential, { kind: 'cryptopro-container' }>,
): Promise<CredentialInspection> {
  const info = await inspectCryptoProContainerFolder(entry.path);
  const stored = info.keys.flatMap((k) => (k.certificate ? [k.certificate] : []));
  if (entry.certificate) {
    const certs = readCertificateBundle(await readFileOrExplain(entry.certificate, 'certificate'), entry.certificate);
    const own = certs[0]!;
    if (!info.keys.some((k) => k.fingerprint && publicKeyOfCertificate(own.raw)?.subarray(0, 8).equals(k.fingerprint)))
      throw new KeyStoreError(`${entry.certificate}: this certificate is not for a key of the container ${entry.path}`);
    return { certificates: inspectedChain(certs, 'certificate'), serviceWarnings: [] };
  }
  if (stored.length === 0)
    throw new KeyStoreError(
      `${entry.path}: the container stores no certificate: name its certificate file as certificate in the inventory`,
    );
  // A two-key container often stores one certificate twice (signature and exchange key): watch it once.
  const unique = stored.filter((c, i) => stored.findIndex((o) => o.raw.equals(c.raw)) === i);
  return { certificates: unique.flatMap((c) => inspectedChain([c], 'container')), serviceWarnings: [] };
}

/** The TLS key's chain, then the CA bundle's certificates it does not already hold. */
async function inspectMutualTls(d: CredentialDeps, entry: Extract<FileCredential, { kind: 'mtls' }>): Promise<CredentialInspection> {
  const certs = await readPkcs12Certificates(
    await readFileOrExplain(entry.tls.p12, 'PKCS#12 file'),
    await d.resolveSecret(entry.tls.password),
    entry.tls.p12,
    entry.tls.password,
  );
  const ca = entry.tls.ca ? readCertificateBundle(await readFileOrExplain(entry.tls.ca, 'CA bundle'), entry.tls.ca) : [];
  const own = inspectedChain(certs, 'tls key');
  const trusted = inspectedChain([...ca], 'ca bundle', 'ca bundle').map((c) => ({ ...c, role: 'chain' as const }));
  return {
    certificates: [...own, ...trusted.filter((t) => !own.some((o) => o.certificateId === t.certificateId))],
    serviceWarnings: [],
  };
}

/** A KPSIS artifacts set's certificate.pem, checked to be for the key of the request beside it. */
async function inspectKpsisCertificate(dir: string): Promise<CredentialInspection> {
  const certPath = join(dir, 'certificate.pem');
  const request = await readFileOrExplain(join(dir, 'cert_req.req'), 'certificate request (cert_req.req)').catch(() => undefined);
  let pem: Buffer;
  try {
    pem = await readFileOrExplain(certPath, 'certificate');
  } catch (err) {
    if (request)
      throw new KeyStoreError(`${certPath}: no certificate yet; the request in ${dir} waits for the CA (trustflow kpsis submit-cert)`);
    throw err;
  }
  const certs = readCertificateBundle(pem, certPath);
  if (request && certificationRequestFacts(request).subjectPublicKeyInfo !== certificateFacts(certs[0]!.raw).subjectPublicKeyInfo)
    throw new KeyStoreError(
      `${certPath}: the certificate is not for the key of ${join(dir, 'cert_req.req')}: the artifacts do not belong together`,
    );
  return { certificates: inspectedChain(certs, 'certificate.pem'), serviceWarnings: [] };
}
