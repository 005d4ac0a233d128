// The OpenSSL configuration files the KPSIS simulator writes: `openssl req`'s for the certificate
// request (subject and SANs from cert_info) and `openssl ca`'s for the sandbox CA standing in for NCES.
import type { CertInfo } from './validate.js';

/**
 * A value for an OpenSSL config file: every ASCII character but letters and digits backslash-escaped
 * (`\x` is a literal x there, and r/n/b/t, which would become control characters, are letters), so
 * `#`, `$`, quotes, `,`, `/`, `+`, `=` reach the subject as they are. Newlines never get here (rejected).
 */
const cnfValue = (s: string) => s.replace(/[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/g, (c) => `\\${c}`);

/** `openssl req` config: a UTF-8 subject in the request's field order and DNS SANs. */
export function requestConfig(info: CertInfo): string {
  const dn: [string, string | undefined][] = [
    ['CN', info.common_name],
    ['description', info.description],
    ['O', info.organization],
    ['ST', info.state],
    ['L', info.locality],
    ['street', info.street],
    ['emailAddress', info.email],
  ];
  const sans = info.subject_alt_name ?? [];
  return [
    '[req]',
    'prompt = no',
    'utf8 = yes',
    'string_mask = utf8only',
    'distinguished_name = dn',
    ...(sans.length ? ['req_extensions = ext'] : []),
    '[dn]',
    ...dn.filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k} = ${cnfValue(v)}`),
    ...(sans.length ? ['[ext]', 'subjectAltName = @alt', '[alt]', ...sans.map((s, i) => `DNS.${i + 1} = ${s}`)] : []),
    '',
  ].join('\n');
}

/** `openssl ca` config: a throw-away database per certificate, SANs copied from the request. */
export function caConfig(dir: string): string {
  return [
    '[ca]',
    'default_ca = sandbox',
    '[sandbox]',
    `database = ${dir}/index.txt`,
    `new_certs_dir = ${dir}`,
    `serial = ${dir}/serial`,
    `certificate = ${dir}/ca.pem`,
    `private_key = ${dir}/ca.key`,
    'default_md = sha256',
    'policy = policy_any',
    // `copy`, not `copyall`: a request cannot replace the CA's basicConstraints (ask for CA:TRUE).
    'copy_extensions = copy',
    'unique_subject = no',
    'email_in_dn = yes',
    'x509_extensions = ext',
    'utf8 = yes',
    'string_mask = utf8only',
    // Fields missing here are dropped from the subject even with -preserveDN: name them all.
    '[policy_any]',
    ...[
      'countryName',
      'stateOrProvinceName',
      'localityName',
      'streetAddress',
      'organizationName',
      'organizationalUnitName',
      'emailAddress',
      'description',
      'serialNumber',
      'title',
      'givenName',
      'surname',
    ].map((f) => `${f} = optional`),
    'commonName = supplied',
    '[ext]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth, clientAuth',
    'subjectKeyIdentifier = hash',
    'authorityKeyIdentifier = keyid, issuer',
    '',
  ].join('\n');
}
