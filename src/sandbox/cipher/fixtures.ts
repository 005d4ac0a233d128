// The Cipher simulator's fixtures: the agent's message texts, the option values it knows, and the
// verifier's CertificateInfo in the seed's nested {description, value} form with its Ukrainian
// descriptions.
import type { X509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

export const MSG = {
  ticketCreated: 'Створена сесія.',
  ticketDeleted: 'Сесію видалено.',
  sessionMissing: 'Сесія відсутня.',
  cryptoDown: 'Сервіс виконання криптографічних операцій не запущено.',
  storageDown: 'Сервіс зберігання даних не запущено.',
  statusOk: 'Сервіси знаходяться у працездатному стані.',
  wrongPassword: 'Помилка завантаження ключового контейнера: Невірний пароль до ключового контейнера або порушено його цілісність.',
  keyStoreError: 'Помилка завантаження ключового контейнера.',
  signInitError: 'Помилка при ініціюванні асинхронної операції створення електронного підпису.',
  signRunning: 'Операція "Створення електронного підпису" знаходиться у стадії виконання.',
  signDone: 'Електронний підпис успішно створений.',
  signFailed: 'Електронний підпис не створено.',
  expired: 'Термін дії сертифіката ключа закінчився.',
  notYetValid: 'Термін дії сертифіката ключа ще не настав.',
  // Texts below are not captured for the current 9090 agent: Ukrainian renderings of the older docs.
  dataLoaded: 'Дані для сесії успішно завантажені.',
  dataError: 'Помилка при завантаженні даних сесії.',
  optionsSet: 'Параметри сесії успішно встановлені.',
  optionsError: 'Помилка при встановленні параметрів сесії.',
  keyStoreLoaded: 'Ключовий контейнер успішно завантажено.',
  metadataSet: 'Метадані сесії успішно встановлені.',
  metadataError: 'Помилка при встановленні метаданих сесії.',
  signStarted: 'Ініційовано асинхронну операцію створення електронного підпису.',
  signatureLoaded: 'Електронний підпис для сесії успішно завантажено.',
  verifyInitError: 'Помилка при ініціюванні операції перевірки електронного підпису.',
  verifyStarted: 'Ініційовано операцію перевірки електронного підпису.',
  verifyMissing: 'Перевірку електронного підпису не виконано.',
};

/** Known option values, compared case- and underscore-insensitively (clients send both spellings). */
export const OPTION_VALUES: Record<string, string[]> = {
  signatureType: ['attached', 'detached'],
  embedCertificateType: ['signercert', 'signerandcacert', 'signercertandcainfo', 'nothing'],
  dataToSignQualifier: ['notsignedbefore', 'alreadysigned'],
  asicForm: ['none', 'asics', 'asice'],
  embedSignatureTs: ['true', 'false'],
  embedDataTs: ['true', 'false'],
  duplicateSign: ['true', 'false'],
};
export const norm = (v: string) => v.replace(/_/g, '').toLowerCase();

// The sandbox containers hold a signing key only: the agent reports an absent key type this way.
export const NO_KEY_AGREEMENT = { canBeUsed: false, certificateInfo: {}, message: '' };

// --- CertificateInfo in the seed's nested {description, value} form ---

const d = <T>(description: string, value: T) => ({ description, value });
const hexPairs = (bytes: Uint8Array) => (Buffer.from(bytes).toString('hex').toUpperCase().match(/../g) ?? []).join(' ');
const isoSeconds = (date: string) => new Date(Date.parse(date)).toISOString().replace(/\.\d{3}Z$/, 'Z');

const OID = {
  cn: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  c: '2.5.4.6',
  l: '2.5.4.7',
  st: '2.5.4.8',
  street: '2.5.4.9',
  o: '2.5.4.10',
  ou: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  ski: '2.5.29.14',
};

/** First value of each attribute type of a DN, read from the DER (no escaping, Cyrillic intact). */
function dnAttributes(name: pkijs.RelativeDistinguishedNames): (oid: string) => string | null {
  const values = new Map<string, string>();
  for (const tv of name.typesAndValues) {
    const v = (tv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
    if (typeof v === 'string' && !values.has(tv.type)) values.set(tv.type, v);
  }
  return (oid) => values.get(oid) ?? null;
}

function subjectKeyId(cert: pkijs.Certificate): string | null {
  const ext = cert.extensions?.find((e) => e.extnID === OID.ski);
  if (!ext) return null;
  const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView);
  return parsed.result instanceof asn1js.OctetString ? hexPairs(parsed.result.valueBlock.valueHexView) : null;
}

/** The verifier's CertificateInfo of an X509 certificate, descriptions in Ukrainian as in the seed. */
export function certificateInfo(x509: X509Certificate) {
  const cert = pkijs.Certificate.fromBER(new Uint8Array(x509.raw));
  const owner = dnAttributes(cert.subject);
  const issuer = dnAttributes(cert.issuer);
  const cn = owner(OID.cn);
  const space = cn?.indexOf(' ') ?? -1;
  const surname = owner(OID.surname) ?? (cn && space > 0 ? cn.slice(0, space) : cn);
  const givenName = owner(OID.givenName) ?? (cn && space > 0 ? cn.slice(space + 1) : null);
  const serial = x509.serialNumber.length % 2 ? '0' + x509.serialNumber : x509.serialNumber;
  return {
    ownerCertificateInfo: d('Власник', {
      ownerSurname: d('Прізвище', surname),
      ownerGivenname: d("Ім'я по-батькові", givenName),
      ownerFullName: d("Повне ім'я", cn),
      ownerCountry: d('Країна', owner(OID.c)),
      ownerRegion: d('Область', owner(OID.st)),
      ownerCity: d('Місто', owner(OID.l)),
      ownerAddress: d('Поштова адреса', owner(OID.street)),
      ownerSerialNumber: d('Серійний номер власника', owner(OID.serialNumber)),
      ownerPosition: d('Посада', owner(OID.title)),
      ownerOrganization: d('Організація', owner(OID.o)),
      ownerOrganizationUnit: d('Відділ (підрозділ)', owner(OID.ou)),
    }),
    issuerCertificateInfo: d('Видавник', {
      issuerOrganization: d('Організація', issuer(OID.o)),
      issuerDepartment: d('Підрозділ', issuer(OID.ou)),
      issuerFullName: d("Повне ім'я", issuer(OID.cn)),
      issuerCountry: d('Країна', issuer(OID.c)),
      issuerRegion: d('Область', issuer(OID.st)),
      issuerCity: d('Місто', issuer(OID.l)),
      issuerAddress: d('Поштова адреса', issuer(OID.street)),
      issuerSerialNumber: d('Серійний номер видавця', issuer(OID.serialNumber)),
    }),
    publicKeyCertificateInfo: d('Інформація про відкритий ключ', {
      publicKey: d('Відкритий ключ', hexPairs(x509.publicKey.export({ type: 'spki', format: 'der' }))),
      dsAlgorism: d('Алгоритм ЕП', 'RSA (sandbox stand-in for ДСТУ 4145)'),
    }),
    certificateSerialNumber: d('Серійний номер сертифікату', hexPairs(Buffer.from(serial, 'hex'))),
    notBefore: d('Початок дії', isoSeconds(x509.validFrom)),
    notAfter: d('Закінчення дії', isoSeconds(x509.validTo)),
    extensionsCertificateInfo: d('Розширення', {
      personalData: d('Персональні дані', {
        customId: d('Зовнішній ідентифікатор', null),
        passport: d('Паспортні дані', null),
        drfou: d('Реєстраційний номер облікової картки платника податків', null),
        edrpou: d('Код ЕДПРОУ', null),
        eddrun: d('Унікальний номер запису в ЄДДР', null),
      }),
      alternativeOwnerName: d("Альтернативне ім'я власника", null),
      subjectKeyId: d('Ідентифікатор ключа', subjectKeyId(cert)),
      subjectOwnerId: d('Ідентифікатор власника', null),
      certificateProfile: d('Профіль сертифіката', null),
      keyUsage: d('Призначення сертифіката', 'Цифровий підпис'),
      isTemporary: d('Стартовий', 'false'),
      isReinforced: d('Посилений', 'false'),
      isQualified: d('Кваліфікований', 'false'),
      isPrivateKeyOnQSCD: d('Засіб КЕП', 'false'),
      qscdTypeName: d('Тип засобу КЕП', null),
      isElectronicStamp: d('Електронна печатка', 'false'),
    }),
  };
}
