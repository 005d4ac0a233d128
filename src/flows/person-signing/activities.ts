// The person signer's activities: the signature check an Update waits on before accepting a CMS, and
// the link sent through the alert sink. Both run on the worker: the CA bundle is read there, and the
// link is sealed there with TRUSTFLOW_SIGNING_LINK_KEY, so no link token reaches a workflow's history.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import type { PersonSignatureRefusal } from './person-signing.contract.js';
import type { TrustflowAlert } from '../../contracts/alert.js';
import { FailureType, InvalidInputError, TrustflowError } from '../../common/errors.js';
import { checkPersonSignature } from '../../crypto/cms/signature-requirements.js';
import { alertSettingsOf, deliverAlert, type AlertActivityDeps } from '../credentials/alerts.activities.js';
import { sealLinkToken, signingLinkUrl } from '../../common/signing-link.js';
import { signingSettingsFromEnv, SIGNING_ENV, type SigningPageSettings } from '../../common/signing-page-settings.js';

export interface PersonSigningActivityDeps extends AlertActivityDeps {
  /** The signing page's settings, read at the worker's start; null: none configured. Default: the environment. */
  signingPage?: SigningPageSettings | null;
  now?: () => Date;
}

export interface PersonSignatureCheckInput {
  /** base64 CMS from the page. */
  cms: string;
  /** base64 of the exact bytes that were to be signed. */
  dataBase64: string;
  expected: { iin?: string | undefined; bin?: string | undefined; extKeyUsage?: string[] | undefined };
  /** PEM bundle path (the input's caBundle). */
  caBundle: string;
  /** When the challenge was issued (ISO): an earlier signingTime is back-dated. */
  issuedAt: string;
}

/** What goes into history: never the subject or the full IIN. */
export type PersonSignatureVerdict =
  | { ok: true; signer: { serialNumber: string; notAfter: string; iinLast4: string | null; bin: string | null } }
  | { ok: false; reason: PersonSignatureRefusal; message: string };

export interface PersonSigningNotifyInput {
  workflowId: string;
  requestId: string;
  /** 0: the request itself; n ≥ 1: reminder n. */
  reminder: number;
  role: string;
  recipient: string | null;
  labels: Record<string, string>;
  service: string;
  purpose: string;
  dataSha256: string;
  requestedAt: string;
  deadline: string;
}

const MAX_CA_BUNDLE_BYTES = 4 * 1024 * 1024;

/** Every certificate of a PEM bundle. Throws InvalidInputError naming the file for a missing, empty or unreadable one. */
export async function readCaBundle(path: string): Promise<X509Certificate[]> {
  let pem: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_CA_BUNDLE_BYTES) throw new InvalidInputError(`signer.caBundle ${path} is larger than 4 MiB: not a CA bundle`);
    pem = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof TrustflowError) throw err;
    throw new InvalidInputError(
      `signer.caBundle ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}): give the PEM file of the NCA CA certificates`,
    );
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const certificates: X509Certificate[] = [];
  for (const [i, block] of blocks.entries()) {
    try {
      certificates.push(new X509Certificate(block));
    } catch {
      throw new InvalidInputError(`signer.caBundle ${path}: certificate ${i + 1} is not a valid X.509 certificate`);
    }
  }
  if (certificates.length === 0)
    throw new InvalidInputError(`signer.caBundle ${path} holds no PEM certificate: give the PEM file of the NCA CA certificates`);
  return certificates;
}

export function createPersonSigningActivities(deps: PersonSigningActivityDeps = {}) {
  const alerts = alertSettingsOf(deps);
  // Read once, when the worker is built: a half configuration fails the start (SigningSettingsError).
  const signingPage = deps.signingPage !== undefined ? deps.signingPage : signingSettingsFromEnv();
  const now = deps.now ?? (() => new Date());
  const log = () => Context.current().log;

  const noSigningPage = () =>
    new TrustflowError(
      `this worker has no signing page: set ${SIGNING_ENV.pageUrl} and ${SIGNING_ENV.linkKey} (the same key as \`trustflow signing-server\`) and restart it; nothing was sent to the provider`,
      FailureType.SigningPageNotConfigured,
      false,
    );

  return {
    /** Before the provider is asked for anything: this worker can send links, and the CA bundle reads. */
    personSigningPreflight: async (input: { caBundle: string }): Promise<{ caCertificates: number }> => {
      if (!signingPage) throw noSigningPage();
      return { caCertificates: (await readCaBundle(input.caBundle)).length };
    },

    /** The acceptance check of a submitted CMS (crypto/cms/signature-requirements.ts). Never fails for a bad CMS: refuses it. */
    personSignatureCheck: async (input: PersonSignatureCheckInput): Promise<PersonSignatureVerdict> => {
      const caBundle = await readCaBundle(input.caBundle);
      const verdict = await checkPersonSignature(
        input.cms,
        Buffer.from(input.dataBase64, 'base64'),
        {
          iin: input.expected.iin,
          bin: input.expected.bin,
          extKeyUsage: input.expected.extKeyUsage,
          caBundle,
          notBefore: new Date(input.issuedAt),
        },
        now(),
      );
      if (!verdict.ok) {
        log().info('person signature refused', { reason: verdict.reason });
        return { ok: false, reason: verdict.reason, message: verdict.message };
      }
      const s = verdict.signer;
      log().info('person signature accepted', { certificateSerial: s.serialNumber, certificateNotAfter: s.notAfter });
      return {
        ok: true,
        signer: { serialNumber: s.serialNumber, notAfter: s.notAfter, iinLast4: s.iin ? s.iin.slice(-4) : null, bin: s.bin ?? null },
      };
    },

    /** The link (request or reminder) through the alert sink: webhook with the link, log without it. */
    personSigningNotify: async (input: PersonSigningNotifyInput): Promise<{ via: 'webhook' | 'log' }> => {
      if (!signingPage) throw noSigningPage();
      const tier = input.reminder === 0 ? 'signing-requested' : `signing-reminder-${input.reminder}`;
      const alertId = `${input.workflowId}/${input.requestId}/${tier}`;
      const token = sealLinkToken(
        signingPage.linkKey,
        { workflowId: input.workflowId, requestId: input.requestId, expiresAt: new Date(input.deadline) },
        alertId,
      );
      const info = Context.current().info;
      const alert: TrustflowAlert = {
        alertId,
        event: input.reminder === 0 ? 'signing.requested' : 'signing.reminder',
        credentialId: input.workflowId,
        kind: null,
        tier,
        notAfter: input.deadline,
        daysLeft: null,
        action: `send the link to the ${input.role}: they open it, sign with NCALayer, and the flow goes on; it is valid until ${input.deadline}`,
        certificate: null,
        labels: { ...input.labels, ...(input.recipient ? { recipient: input.recipient } : {}) },
        text: `${input.service}: waiting for the ${input.role} to sign (${input.purpose}) since ${input.requestedAt}${input.reminder ? `, reminder ${input.reminder}` : ''}; deadline ${input.deadline}`,
        createdAt: new Date(info.scheduledTimestampMs).toISOString(),
        signing: {
          link: signingLinkUrl(signingPage.pageUrl, token),
          role: input.role,
          recipient: input.recipient,
          service: input.service,
          purpose: input.purpose,
          dataSha256: input.dataSha256,
          requestedAt: input.requestedAt,
          deadline: input.deadline,
        },
      };
      return { via: (await deliverAlert(alert, alerts)).via };
    },
  };
}

export type PersonSigningActivities = ReturnType<typeof createPersonSigningActivities>;
