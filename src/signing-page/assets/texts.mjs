// Every text of the signing page, in Russian, Kazakh and English. A key missing in a language falls
// back to English. `{name}` marks a parameter (t(lang, key, { name })). Plain text only: the page
// puts texts into the DOM with textContent, never as HTML.

/** @typedef {'ru' | 'kk' | 'en'} Lang */

/** @type {readonly Lang[]} */
export const LANGS = ['ru', 'kk', 'en'];

/** @type {Record<string, string>} */
const en = {
  title: 'Signature request',
  heading: 'Signature request',
  loading: 'Loading the request…',
  service: 'Service',
  purpose: 'Purpose',
  role: 'Requested from',
  signer: 'Key to sign with',
  iinEnding: 'IIN ending in',
  bin: 'BIN',
  anySigner: 'any key of yours',
  hash: 'SHA-256 of the data',
  hashHint: 'The fingerprint of exactly the data you are asked to sign.',
  deadline: 'Sign before',
  requestedAt: 'Requested',
  signButton: 'Sign with NCALayer',
  signAgain: 'Sign again',
  privacy: 'Your key never leaves your computer: only the signature is sent. This link is personal: do not share it.',

  ready: 'Check the details, then press “Sign with NCALayer”. NCALayer will ask you to choose your key.',
  preparing: 'New data to sign is being prepared. This page updates by itself.',
  renewed: 'The request was renewed: check the hash and press “Sign again”.',
  connecting: 'Connecting to NCALayer…',
  connectingHint: 'If the browser asks whether this site may access apps or devices on your computer, allow it.',
  signing: 'Choose your key and confirm in the NCALayer window.',
  signingHint: 'The NCALayer window may be behind the browser.',
  submitting: 'Checking the signature…',
  refusedTitle: 'The signature was not accepted.',
  hashMismatch: 'The data to sign does not match the hash shown. Reload the page.',
  checking: 'A signature is being checked. This page updates by itself.',
  signed: 'Signed. You may close this page.',
  signedBy: 'Signed with the key of IIN ending in …\u2060{iin}; its certificate is valid until {notAfter}.',
  signedByBin: 'Signed with the key of BIN {bin}; its certificate is valid until {notAfter}.',
  cancelled: 'You cancelled the signing in NCALayer. Press “Sign again” when you are ready.',
  ncalayerAbsent: 'NCALayer is not running: start it and press “Sign again”.',
  ncalayerAbsentHint:
    'NCALayer is the signing application of the National Certification Authority of Kazakhstan. If it is running, restart it.',
  ncalayerClosed: 'NCALayer closed the connection. Start it again and press “Sign again”.',
  ncalayerNoAnswer: 'NCALayer does not answer. Restart NCALayer and press “Sign again”.',
  ncalayerFailed: 'NCALayer could not sign: {message}',
  cspBlocked: 'This page is not allowed to connect to NCALayer at {url}: the service is misconfigured. Contact the service.',
  browserBlocked: 'Your browser blocked this page from reaching NCALayer on your computer.',
  browserBlockedHint:
    'To allow it: click the icon to the left of the address, open “Site settings”, set “Local network access” (or “Apps on device”) to “Allow”, then reload the page and press “Sign again”.',
  browserBlockedInsecureHint:
    'The browser refuses the connection to NCALayer at {url}. In “Site settings” (the icon to the left of the address), set “Insecure content” to “Allow”, reload the page and press “Sign again”, or ask the service for a secure (wss://) NCALayer address.',
  linkMalformed: 'This link is incomplete or damaged. Open the link exactly as you received it.',
  linkExpired: 'This link has expired. Ask for a new one.',
  linkUsed: 'This request has already been signed. You may close this page.',
  requestOver: 'This request is over: its time ran out or it was cancelled. Nothing was signed with this link.',
  unavailable: 'The service is temporarily unavailable. This page will try again shortly.',
  tooManyRequests: 'Too many attempts. Wait a minute: this page will try again.',
  offline: 'The server cannot be reached. Check your connection: this page will try again.',
  error: 'Something went wrong. Reload the page; if it happens again, contact the service.',
  unexpectedReply: 'The server answered unexpectedly ({status}). Reload the page.',
  lastRefusal: 'An earlier signature was refused: {text}',
  details: 'Details: {message}',

  'refused.unreadable': 'NCALayer returned something that is not a signature. Press “Sign again”.',
  'refused.bad-signature': 'The signature does not verify. Press “Sign again”.',
  'refused.other-data': 'The signature is over other data than this request. Press “Sign again”.',
  'refused.untrusted-chain':
    'The certificate of this key was not issued by a trusted certification authority. Sign with a key issued by the NCA of Kazakhstan.',
  'refused.not-valid-at-signing-time': 'The certificate of this key is expired, not yet valid or revoked. Sign with a valid key.',
  'refused.wrong-signer': 'This key belongs to someone else: sign with the key of IIN ending in …\u2060{iin}.',
  'refused.wrong-signer-bin':
    'This key belongs to someone else: sign with the key of IIN ending in …\u2060{iin} of the organisation with BIN {bin}.',
  'refused.wrong-signer-any': 'This key belongs to someone else: sign with the key of the person this request is for.',
  'refused.missing-eku':
    'This key is not meant for this kind of signature. Choose your other key (for authentication, its file name starts with AUTH).',
  'refused.several-signers': 'The signature has several signers: sign with one key only.',
  'refused.challenge-replaced': 'The request was renewed: press “Sign again”.',
  'refused.already-signed': 'This request has already been signed.',
  'refused.not-waiting': 'This request is over.',
  'refused.too-large': 'The signature is too large to be one from NCALayer. Press “Sign again”.',
  'refused.too-many-attempts': 'Too many signatures were refused for this request. Ask the sender for a new link.',
  'refused.check-failed': 'Your signature could not be checked right now. Try again later; the service has been told.',
  'refused.other': 'The signature was refused.',
};

/** @type {Record<string, string>} */
const ru = {
  title: 'Запрос подписи',
  heading: 'Запрос подписи',
  loading: 'Загружаем запрос…',
  service: 'Сервис',
  purpose: 'Назначение',
  role: 'У кого запрошено',
  signer: 'Каким ключом подписать',
  iinEnding: 'ИИН оканчивается на',
  bin: 'БИН',
  anySigner: 'любым вашим ключом',
  hash: 'SHA-256 данных',
  hashHint: 'Отпечаток именно тех данных, которые вас просят подписать.',
  deadline: 'Подписать до',
  requestedAt: 'Запрошено',
  signButton: 'Подписать в NCALayer',
  signAgain: 'Подписать снова',
  privacy: 'Ключ не покидает ваш компьютер: отправляется только подпись. Ссылка личная: не передавайте её другим.',

  ready: 'Проверьте данные и нажмите «Подписать в NCALayer». NCALayer попросит выбрать ключ.',
  preparing: 'Готовятся новые данные для подписи. Страница обновится сама.',
  renewed: 'Запрос обновлён: проверьте хеш и нажмите «Подписать снова».',
  connecting: 'Подключаемся к NCALayer…',
  connectingHint: 'Если браузер спросит, можно ли сайту обращаться к приложениям и устройствам на компьютере, разрешите.',
  signing: 'Выберите ключ и подтвердите подпись в окне NCALayer.',
  signingHint: 'Окно NCALayer может оказаться за окном браузера.',
  submitting: 'Проверяем подпись…',
  refusedTitle: 'Подпись не принята.',
  hashMismatch: 'Данные для подписи не совпадают с показанным хешем. Обновите страницу.',
  checking: 'Подпись проверяется. Страница обновится сама.',
  signed: 'Подписано. Страницу можно закрыть.',
  signedBy: 'Подписано ключом ИИН, оканчивающегося на …\u2060{iin}; сертификат действителен до {notAfter}.',
  signedByBin: 'Подписано ключом БИН {bin}; сертификат действителен до {notAfter}.',
  cancelled: 'Вы отменили подпись в NCALayer. Когда будете готовы, нажмите «Подписать снова».',
  ncalayerAbsent: 'NCALayer не запущен: запустите его и нажмите «Подписать снова».',
  ncalayerAbsentHint: 'NCALayer — приложение Национального удостоверяющего центра РК для подписи. Если оно запущено, перезапустите его.',
  ncalayerClosed: 'NCALayer закрыл соединение. Запустите его снова и нажмите «Подписать снова».',
  ncalayerNoAnswer: 'NCALayer не отвечает. Перезапустите NCALayer и нажмите «Подписать снова».',
  ncalayerFailed: 'NCALayer не смог подписать: {message}',
  cspBlocked: 'Этой странице не разрешено подключаться к NCALayer по адресу {url}: сервис настроен неверно. Обратитесь в сервис.',
  browserBlocked: 'Браузер не разрешил этой странице обратиться к NCALayer на вашем компьютере.',
  browserBlockedHint:
    'Чтобы разрешить: нажмите на значок слева от адреса, откройте «Настройки сайтов», для «Доступ к локальной сети» (или «Приложения на устройстве») выберите «Разрешить», обновите страницу и нажмите «Подписать снова».',
  browserBlockedInsecureHint:
    'Браузер не пускает страницу к NCALayer по адресу {url}. В «Настройках сайтов» (значок слева от адреса) для «Небезопасный контент» выберите «Разрешить», обновите страницу и нажмите «Подписать снова», либо попросите сервис использовать защищённый (wss://) адрес NCALayer.',
  linkMalformed: 'Ссылка неполная или повреждена. Откройте ссылку точно в том виде, в каком вы её получили.',
  linkExpired: 'Срок действия ссылки истёк. Запросите новую.',
  linkUsed: 'Этот запрос уже подписан. Страницу можно закрыть.',
  requestOver: 'Запрос завершён: время вышло или его отменили. По этой ссылке ничего не подписано.',
  unavailable: 'Сервис временно недоступен. Страница скоро попробует снова.',
  tooManyRequests: 'Слишком много попыток. Подождите минуту: страница попробует снова.',
  offline: 'Сервер недоступен. Проверьте подключение: страница попробует снова.',
  error: 'Что-то пошло не так. Обновите страницу; если повторится, обратитесь в сервис.',
  unexpectedReply: 'Сервер ответил неожиданно ({status}). Обновите страницу.',
  lastRefusal: 'Предыдущая подпись не принята: {text}',
  details: 'Подробности: {message}',

  'refused.unreadable': 'NCALayer вернул не подпись. Нажмите «Подписать снова».',
  'refused.bad-signature': 'Подпись не проходит проверку. Нажмите «Подписать снова».',
  'refused.other-data': 'Подписаны другие данные, не этот запрос. Нажмите «Подписать снова».',
  'refused.untrusted-chain': 'Сертификат этого ключа выдан не доверенным удостоверяющим центром. Подпишите ключом, выданным НУЦ РК.',
  'refused.not-valid-at-signing-time': 'Сертификат этого ключа истёк, ещё не действует или отозван. Подпишите действующим ключом.',
  'refused.wrong-signer': 'Этот ключ принадлежит другому человеку: подпишите ключом ИИН, оканчивающегося на …\u2060{iin}.',
  'refused.wrong-signer-bin':
    'Этот ключ принадлежит другому человеку: подпишите ключом ИИН, оканчивающегося на …\u2060{iin}, организации с БИН {bin}.',
  'refused.wrong-signer-any': 'Этот ключ принадлежит другому человеку: подпишите ключом того, кому адресован запрос.',
  'refused.missing-eku':
    'Этот ключ не предназначен для такой подписи. Выберите другой ключ (для аутентификации его файл начинается с AUTH).',
  'refused.several-signers': 'В подписи несколько подписантов: подпишите одним ключом.',
  'refused.challenge-replaced': 'Запрос обновлён: нажмите «Подписать снова».',
  'refused.already-signed': 'Этот запрос уже подписан.',
  'refused.not-waiting': 'Запрос завершён.',
  'refused.too-large': 'Подпись слишком велика для подписи из NCALayer. Нажмите «Подписать снова».',
  'refused.too-many-attempts': 'По этому запросу отклонено слишком много подписей. Попросите отправителя прислать новую ссылку.',
  'refused.check-failed': 'Сейчас не удалось проверить подпись. Попробуйте позже; сервис уже знает об этом.',
  'refused.other': 'Подпись не принята.',
};

/** Kazakh: what is missing here is shown in English. */
/** @type {Record<string, string>} */
const kk = {
  title: 'Қол қою сұрауы',
  heading: 'Қол қою сұрауы',
  loading: 'Сұрау жүктелуде…',
  service: 'Қызмет',
  purpose: 'Мақсаты',
  role: 'Кімнен сұралды',
  signer: 'Қай кілтпен қол қою керек',
  iinEnding: 'ЖСН соңғы цифрлары',
  bin: 'БСН',
  anySigner: 'кез келген кілтіңізбен',
  hash: 'Деректердің SHA-256 хеші',
  hashHint: 'Сізден қол қою сұралған деректердің дәл өзінің хеші.',
  deadline: 'Қол қою мерзімі',
  requestedAt: 'Сұралған уақыты',
  signButton: 'NCALayer арқылы қол қою',
  signAgain: 'Қайта қол қою',
  privacy: 'Кілтіңіз компьютеріңізден шықпайды: тек қолтаңба жіберіледі. Сілтеме жеке: оны басқаға бермеңіз.',

  ready: 'Деректерді тексеріп, «NCALayer арқылы қол қою» түймесін басыңыз. NCALayer кілтті таңдауды сұрайды.',
  preparing: 'Қол қоюға жаңа деректер дайындалуда. Бет өздігінен жаңарады.',
  renewed: 'Сұрау жаңартылды: хешті тексеріп, «Қайта қол қою» түймесін басыңыз.',
  connecting: 'NCALayer-ге қосылуда…',
  connectingHint: 'Браузер бұл сайтқа компьютердегі қолданбаларға қол жеткізуге рұқсат сұраса, рұқсат етіңіз.',
  signing: 'NCALayer терезесінде кілтті таңдап, қол қоюды растаңыз.',
  signingHint: 'NCALayer терезесі браузердің артында қалуы мүмкін.',
  submitting: 'Қолтаңба тексерілуде…',
  refusedTitle: 'Қолтаңба қабылданбады.',
  hashMismatch: 'Қол қоюға арналған деректер көрсетілген хешке сәйкес келмейді. Бетті жаңартыңыз.',
  checking: 'Қолтаңба тексерілуде. Бет өздігінен жаңарады.',
  signed: 'Қол қойылды. Бетті жабуға болады.',
  signedBy: 'ЖСН-і …\u2060{iin} цифрларымен аяқталатын кілтпен қол қойылды; сертификат {notAfter} дейін жарамды.',
  cancelled: 'Сіз NCALayer-де қол қоюдан бас тарттыңыз. Дайын болғанда «Қайта қол қою» түймесін басыңыз.',
  ncalayerAbsent: 'NCALayer іске қосылмаған: оны іске қосып, «Қайта қол қою» түймесін басыңыз.',
  ncalayerClosed: 'NCALayer байланысты үзді. Оны қайта іске қосып, «Қайта қол қою» түймесін басыңыз.',
  ncalayerNoAnswer: 'NCALayer жауап бермейді. NCALayer-ді қайта іске қосып, «Қайта қол қою» түймесін басыңыз.',
  ncalayerFailed: 'NCALayer қол қоя алмады: {message}',
  browserBlocked: 'Браузер бұл бетке компьютеріңіздегі NCALayer-ге қосылуға рұқсат бермеді.',
  browserBlockedHint:
    'Рұқсат беру үшін: мекенжайдың сол жағындағы белгішені басып, «Сайт параметрлері» бөлімін ашыңыз, «Жергілікті желіге қол жеткізу» үшін «Рұқсат ету» таңдаңыз, бетті жаңартып, «Қайта қол қою» түймесін басыңыз.',
  linkMalformed: 'Сілтеме толық емес немесе бүлінген. Сілтемені алған күйінде ашыңыз.',
  linkExpired: 'Сілтеменің мерзімі өтті. Жаңасын сұраңыз.',
  linkUsed: 'Бұл сұрауға қол қойылған. Бетті жабуға болады.',
  requestOver: 'Сұрау аяқталды: уақыты өтті немесе ол тоқтатылды. Бұл сілтеме бойынша ештеңеге қол қойылған жоқ.',
  unavailable: 'Қызмет уақытша қолжетімсіз. Бет сәлден соң қайта тырысады.',
  tooManyRequests: 'Әрекет тым көп. Бір минут күтіңіз: бет қайта тырысады.',
  offline: 'Серверге қосылу мүмкін емес. Байланысты тексеріңіз: бет қайта тырысады.',
  error: 'Қате шықты. Бетті жаңартыңыз; қайталанса, қызметке хабарласыңыз.',
  unexpectedReply: 'Сервер күтпеген жауап берді ({status}). Бетті жаңартыңыз.',
  lastRefusal: 'Алдыңғы қолтаңба қабылданбады: {text}',
  details: 'Толығырақ: {message}',

  'refused.wrong-signer': 'Бұл кілт басқа адамға тиесілі: ЖСН-і …\u2060{iin} цифрларымен аяқталатын кілтпен қол қойыңыз.',
  'refused.several-signers': 'Қолтаңбада бірнеше қол қоюшы бар: бір кілтпен қол қойыңыз.',
  'refused.challenge-replaced': 'Сұрау жаңартылды: «Қайта қол қою» түймесін басыңыз.',
  'refused.already-signed': 'Бұл сұрауға қол қойылған.',
  'refused.not-waiting': 'Сұрау аяқталды.',
  'refused.other': 'Қолтаңба қабылданбады.',
};

/** @type {Readonly<Record<Lang, Record<string, string>>>} */
export const TEXTS = Object.freeze({ en, ru, kk });

/**
 * A supported language from a tag such as 'ru-RU' or 'KK', or null.
 * @param {unknown} tag
 * @returns {Lang | null}
 */
export function supportedLang(tag) {
  if (typeof tag !== 'string') return null;
  const base = /** @type {Lang} */ (tag.trim().toLowerCase().split(/[-_]/)[0]);
  return LANGS.includes(base) ? base : null;
}

/**
 * The text of `key` in `lang` (English when missing there), with `{name}` parameters filled in.
 * An unknown key yields the key itself, so a slip shows rather than vanishes.
 * @param {Lang} lang
 * @param {string} key
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function t(lang, key, params) {
  const text = TEXTS[lang]?.[key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole));
}
