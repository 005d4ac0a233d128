// The verifier's KeyUsageInfo (seed 001) reduced to what a flow decides on and an operator needs:
// canBeUsed=false + message → unusable (the message says why); canBeUsed=false + empty message → the
// key type is absent from the container; canBeUsed=true + message → usable with a warning. The
// certificate summary leaves out tax numbers, passports and addresses. Pure.
import type { CertificateSummary, KeyUsageSummary } from '../../contracts/cipher-endpoint.js';
import { CertificateInfoSchema, type KeyUsageInfo } from './schemas.js';

const value = (leaf: { value?: string | null } | undefined): string | null =>
  typeof leaf?.value === 'string' && leaf.value.trim() ? leaf.value : null;
const flag = (leaf: { value?: string | null } | undefined): boolean | null => {
  const v = value(leaf)?.toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : null;
};

export function summarizeKeyUsage(info: KeyUsageInfo, now: Date): KeyUsageSummary {
  const message = info.message?.trim() ? info.message.trim() : null;
  const parsed = CertificateInfoSchema.safeParse(info.certificateInfo);
  const certificate = parsed.success ? summarizeCertificate(parsed.data, now) : null;
  if (info.canBeUsed) return { state: 'present', message, certificate };
  return { state: message ? 'unusable' : 'absent', message, certificate };
}

function summarizeCertificate(c: import('./schemas.js').CertificateInfo, now: Date): CertificateSummary {
  const owner = c.ownerCertificateInfo.value;
  const issuer = c.issuerCertificateInfo.value;
  const ext = c.extensionsCertificateInfo?.value;
  const notAfter = value(c.notAfter);
  const notAfterMs = notAfter ? Date.parse(notAfter) : NaN;
  const ownerName =
    value(owner.ownerFullName) ?? ([value(owner.ownerSurname), value(owner.ownerGivenname)].filter(Boolean).join(' ') || null);
  return {
    owner: ownerName,
    organization: value(owner.ownerOrganization),
    issuer: value(issuer.issuerFullName) ?? value(issuer.issuerOrganization),
    serialNumber: value(c.certificateSerialNumber),
    notBefore: value(c.notBefore),
    notAfter,
    daysLeft: Number.isNaN(notAfterMs) ? null : Math.floor((notAfterMs - now.getTime()) / 86400_000),
    algorithm: value(c.publicKeyCertificateInfo?.value.dsAlgorism),
    isTemporary: flag(ext?.isTemporary),
    isQualified: flag(ext?.isQualified),
  };
}
