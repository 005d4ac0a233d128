// The Kontur simulator's canned data: its fixed answers (the chain's 406 text, the approve-cert
// link's Rel, the 401 of a protected endpoint).

/** authenticate-by-cert's 406 body: the certificate or the sandbox CA fails, or is not valid at the simulator's clock. */
export const CHAIN_NOT_VALID = 'Certificate chain is not valid: expired, not yet valid, bad signature or untrusted root';

export const APPROVE_LINK_REL = 'Send decrypted key to this link';

/** A protected endpoint's 401 body without a live auth.sid. */
export const SESSION_MISSING = {
  errorCode: 401002,
  userMessage: { ru: 'auth.sid отсутствует или истёк', en: 'auth.sid missing or expired' },
};
