// The kinds of credential the inventory watches: shared by the inventory's contract and the alert's
// wire format (contracts/alert.ts). Pure.
export const CREDENTIAL_KINDS = ['pkcs12', 'mtls', 'certificate', 'cipher-container', 'kpsis-certificate', 'cryptopro-container'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];
