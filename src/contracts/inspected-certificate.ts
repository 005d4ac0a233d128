// What a credential check reads from a certificate: public facts only. Shared by the credential
// watch (its status) and crypto/certificates (which reads them), so it sits below both. Pure.

/** One certificate a check found (a file's leaf and its chain, both keys of a Cipher container). */
export interface InspectedCertificate {
  /** Stable per certificate: its SHA-256 fingerprint, or `sn-<serial>` where only the serial is known. */
  certificateId: string;
  role: 'leaf' | 'chain';
  /** Where it was found, e.g. 'key.p12', 'ca bundle', 'signature key'. */
  source: string;
  organization: string | null;
  /** A CA certificate's own name (its subject CN); null for end-entity certificates, whose names are personal data. */
  caName: string | null;
  issuer: string | null;
  serialNumber: string | null;
  /** Unknown for a Cipher key whose service does not say (no renewal point then, the ladder only). */
  notBefore: string | null;
  notAfter: string;
}

export interface CredentialInspection {
  certificates: InspectedCertificate[];
  /** The service's own warnings (Cipher's "less than N days left"), verbatim. */
  serviceWarnings: string[];
}
