// The IS MPT simulator's fixtures: simpleSignIn's rejections (HTTP status, `code`, Russian
// `error_message`) and the alphabet of GET /auth/key's challenges.

export interface Rejection {
  status: number;
  code: string;
  message: string;
}

export const REJECTIONS = {
  badRequest: { status: 400, code: 'bad-request', message: 'Тело запроса должно быть JSON {"uuid": string, "data": string}' },
  keyNotFound: { status: 403, code: 'auth-key-not-found', message: 'Данные для подписи с таким uuid не найдены' },
  keyAlreadyUsed: { status: 403, code: 'auth-key-already-used', message: 'Данные для подписи уже использованы' },
  keyExpired: { status: 403, code: 'auth-key-expired', message: 'Срок действия данных для подписи истёк' },
  notBase64: { status: 400, code: 'bad-signature-format', message: 'Подпись должна быть в формате Base64' },
  notSignedData: { status: 400, code: 'bad-signature-format', message: 'Подпись не является CMS SignedData' },
  detached: { status: 403, code: 'signature-detached', message: 'Ошибка авторизации. Код ошибки: 2 (подпись должна содержать данные)' },
  notOneSigner: { status: 403, code: 'signature-invalid', message: 'Подпись должна содержать одного подписанта' },
  signatureInvalid: { status: 403, code: 'signature-invalid', message: 'Подпись недействительна' },
  contentMismatch: { status: 403, code: 'signature-content-mismatch', message: 'Подписаны не те данные, что выданы по uuid' },
  certificateUntrusted: { status: 403, code: 'certificate-untrusted', message: 'Сертификат выдан неизвестным УЦ' },
  certificateExpired: { status: 403, code: 'certificate-expired', message: 'Срок действия сертификата истёк или не наступил' },
  participantNotRegistered: { status: 403, code: 'participant-not-registered', message: 'Участник не зарегистрирован в ИС МПТ' },
} satisfies Record<string, Rejection>;

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
