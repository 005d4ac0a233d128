// zod schemas of Cipher's ticket API (shared/providers/cipher.md, seed 001). Every object accepts
// extra fields the service may add. The certificate info is the seed's nested `{description, value}`
// form ("Object*"): booleans as strings ("false"), absent values as JSON null, Cyrillic descriptions.
import { z } from 'zod';
import { CipherOptionsSchema } from '../../contracts/cipher-options.js';

/** The seed's `Object*`: a UI-language description and a value. */
const described = <T extends z.ZodType>(value: T) => z.object({ description: z.string().nullable().optional(), value }).loose();
const text = described(z.string().nullable());
/** Optional leaf: newer/older service versions add or drop fields. */
const optText = text.optional();

export const MessageSchema = z.object({ message: z.string().optional(), failureCause: z.string().optional() }).loose();

export const TicketCreatedSchema = z.object({ ticketUuid: z.string().min(1), message: z.string().optional() }).loose();

export const CertificateInfoSchema = z
  .object({
    ownerCertificateInfo: described(
      z
        .object({
          ownerSurname: optText,
          ownerGivenname: optText,
          ownerFullName: optText,
          ownerCountry: optText,
          ownerRegion: optText,
          ownerCity: optText,
          ownerAddress: optText,
          ownerSerialNumber: optText,
          ownerPosition: optText,
          ownerOrganization: optText,
          ownerOrganizationUnit: optText,
        })
        .loose(),
    ),
    issuerCertificateInfo: described(
      z
        .object({
          issuerOrganization: optText,
          issuerDepartment: optText,
          issuerFullName: optText,
          issuerCountry: optText,
          issuerRegion: optText,
          issuerCity: optText,
          issuerAddress: optText,
          issuerSerialNumber: optText,
        })
        .loose(),
    ),
    publicKeyCertificateInfo: described(z.object({ publicKey: optText, dsAlgorism: optText }).loose()).optional(),
    certificateSerialNumber: text,
    notBefore: text,
    notAfter: text,
    extensionsCertificateInfo: described(
      z
        .object({
          personalData: described(
            z.object({ customId: optText, passport: optText, drfou: optText, edrpou: optText, eddrun: optText }).loose(),
          ).optional(),
          alternativeOwnerName: optText,
          subjectKeyId: optText,
          subjectOwnerId: optText,
          certificateProfile: optText,
          keyUsage: optText,
          isTemporary: optText,
          isReinforced: optText,
          isQualified: optText,
          isPrivateKeyOnQSCD: optText,
          qscdTypeName: optText,
          isElectronicStamp: optText,
        })
        .loose(),
    ).optional(),
  })
  .loose();
export type CertificateInfo = z.infer<typeof CertificateInfoSchema>;

/** `{}` when the key type is absent from the container. */
const EmptyObject = z.object({}).strict();

export const KeyUsageInfoSchema = z
  .object({
    canBeUsed: z.boolean(),
    message: z.string().nullable().optional(),
    certificateInfo: z.union([EmptyObject, CertificateInfoSchema]).optional(),
  })
  .loose();
export type KeyUsageInfo = z.infer<typeof KeyUsageInfoSchema>;

export const VerifierResponseSchema = z.object({ signature: KeyUsageInfoSchema, keyAgreement: KeyUsageInfoSchema }).loose();
export type VerifierResponse = z.infer<typeof VerifierResponseSchema>;

export const Base64DataSchema = z.object({ base64Data: z.string().regex(/^[A-Za-z0-9+/=\s]+$/) }).loose();

/** The wire form: every value a string. */
export function optionsToWire(o: z.output<typeof CipherOptionsSchema>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}
