// The Kontur sandbox's canned data: the simulator's fixed answers (the chain's 406 text, the
// approve-cert link's Rel, the 401 of a protected endpoint) and the GOST PKI's OpenSSL extension
// sections and subjects.

/** authenticate-by-cert's 406 body: the certificate or the sandbox CA fails, or is not valid at the simulator's clock. */
export const CHAIN_NOT_VALID = 'Certificate chain is not valid: expired, not yet valid, bad signature or untrusted root';

export const APPROVE_LINK_REL = 'Send decrypted key to this link';

/** A protected endpoint's 401 body without a live auth.sid. */
export const SESSION_MISSING = {
  errorCode: 401002,
  userMessage: { ru: 'auth.sid отсутствует или истёк', en: 'auth.sid missing or expired' },
};

/** `-extfile` of the GOST PKI: [ca], [user] and [user_no_ku] (without keyEncipherment/keyAgreement: Kontur answers CertNotValid). */
export const GOST_EXTENSIONS_CNF = [
  '[ca]',
  'basicConstraints = critical, CA:true',
  'keyUsage = critical, keyCertSign, cRLSign',
  'subjectKeyIdentifier = hash',
  '[user]',
  'basicConstraints = CA:false',
  'keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment, keyAgreement',
  'extendedKeyUsage = clientAuth, emailProtection',
  '[user_no_ku]',
  'basicConstraints = CA:false',
  'keyUsage = critical, digitalSignature',
  '',
].join('\n');

export const GOST_CA_SUBJECT = '/CN=Тестовый УЦ trustflow (sandbox)/O=trustflow sandbox/C=RU';

export const gostUserSubject = (commonName: string) => `/CN=${commonName}/O=ООО Песочница/C=RU`;
