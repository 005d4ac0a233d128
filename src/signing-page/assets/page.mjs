// The signing page: shows who asks a person to sign what, signs the challenge in NCALayer (through
// the sigex client, ncalayer-js-client) and submits the CMS. Browser code, bundled by esbuild
// (page-bundle.ts); served under a CSP without inline scripts or styles.
//
// Contract with the server (src/signing-page/server.ts), URLs relative to the page (`<base>/sign`):
//   POST api/request {token}                 → 200 {request, ncalayerUrl} | {error: {code, message}}
//   POST api/sign    {token, challengeId, cms} → 200 {accepted: true, signer} | 422 {refused: {reason, message}}
//                                               | {error: {code, message}}
// Hooks for browser tests: #status[data-state], #reason[data-reason], #sign, #hash, #expected-iin.
//
// Privacy: the token (URL fragment), the CMS and anything about the certificate are never logged,
// stored or put into a URL; the token travels only in request bodies.
import { NCALayerClient } from 'ncalayer-js-client';
import { supportedLang, t } from './texts.mjs';

/** @typedef {import('./texts.mjs').Lang} Lang */
/**
 * @typedef {{ id: string, dataBase64: string, sha256: string, issuedAt: string, replaced: number }} Challenge
 * @typedef {{ iinLast4: string | null, bin: string | null, extKeyUsage: string[], allowedStorages: string[] | null, testKeys?: boolean }} Expected
 * @typedef {{ service: string, purpose: string, role: string, requestedAt: string, deadline: string,
 *   state: 'waiting' | 'checking' | 'signed' | 'expired' | 'ended', challenge: Challenge | null, expected: Expected,
 *   locale: string, lastRefusal: { reason: string, message: string, at: string } | null }} RequestView
 * @typedef {{ key: string, params?: Record<string, string | number> }} Msg
 * @typedef {{ state: string, text: Msg, hint?: Msg | null, reason?: string | null, reasonText?: Msg | null,
 *   origin: 'load' | 'sign' }} Status
 */

const DEFAULT_NCALAYER_URL = 'wss://127.0.0.1:13579';
/** While idle, the request is read again this often (a replaced challenge, a passed deadline). */
const POLL_MS = 15_000;
/** NCALayer's socket did not open in this time (no answer at all, e.g. a firewall): treated as absent. */
const OPEN_TIMEOUT_MS = 120_000;
/** The socket opened but the greeting and the version probe took longer than this. */
const HANDSHAKE_TIMEOUT_MS = 20_000;
/** Longest NCALayer message shown. */
const MAX_MESSAGE_CHARS = 300;

/** States after which nothing more happens on this page. */
const TERMINAL = new Set(['signed', 'link-malformed', 'link-expired', 'link-used', 'request-over']);
/** The refusal reasons of the contract (PersonSignatureRefusal) the page has a text for. */
const REASONS = new Set([
  'unreadable',
  'bad-signature',
  'other-data',
  'untrusted-chain',
  'not-valid-at-signing-time',
  'wrong-signer',
  'missing-eku',
  'several-signers',
  'challenge-replaced',
  'already-signed',
  'not-waiting',
  'too-large',
  'too-many-attempts',
  'check-failed',
]);
/** Reasons whose text says everything: the server's message is not added. */
const SELF_EXPLAINING = new Set(['wrong-signer', 'challenge-replaced']);
/** Error codes that end the page, with their texts. */
const LINK_PROBLEMS = new Map([
  ['link-malformed', 'linkMalformed'],
  ['link-expired', 'linkExpired'],
  ['link-used', 'linkUsed'],
  ['request-over', 'requestOver'],
]);

/** A problem on the way to a signature, as the page shows it. */
class Problem extends Error {
  /**
   * @param {string} state
   * @param {Msg} text
   * @param {Msg | null} [hint]
   */
  constructor(state, text, hint = null) {
    super(text.key);
    this.state = state;
    this.text = text;
    this.hint = hint;
  }
}

// ---------------------------------------------------------------------------------------------- state

/** @param {string} id */
const el = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const signButton = /** @type {HTMLButtonElement} */ (el('sign'));

const query = new URLSearchParams(location.search);
/** `?lang=` wins over the request's locale. */
const langOverride = supportedLang(query.get('lang'));
/** @type {Lang} */
let lang = langOverride ?? navigatorLang() ?? 'ru';
const token = readToken();

/** @type {RequestView | null} */
let view = null;
let ncalayerUrl = DEFAULT_NCALAYER_URL;
/** @type {string | null} */
let shownChallengeId = null;
/** @type {Status} */
let status = { state: 'loading', text: { key: 'loading' }, origin: 'load' };
/** True from the click on Sign until the submission's answer: no polling meanwhile. */
let signing = false;
/** Bumped when signing starts: a request read that began before is dropped. */
let epoch = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let pollTimer;

/** @returns {string | null} the token of `#<token>`, null when there is none or it cannot be one. */
function readToken() {
  const raw = location.hash.replace(/^#/, '');
  return /^[A-Za-z0-9_-]{16,2048}$/.test(raw) ? raw : null;
}

/** @returns {Lang | null} */
function navigatorLang() {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const l = supportedLang(tag);
    if (l) return l;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------- rendering

/**
 * @param {Msg | null | undefined} m
 * @returns {string}
 */
const say = (m) => (m ? t(lang, m.key, m.params) : '');

/** @param {Lang} l */
function setLang(l) {
  lang = l;
  document.documentElement.lang = l;
  document.title = t(l, 'title');
  for (const node of document.querySelectorAll('[data-text]'))
    node.textContent = t(l, /** @type {string} */ (node.getAttribute('data-text')));
  render();
}

function render() {
  renderRequest();
  renderStatus();
}

/**
 * @param {string} state
 * @param {Msg} text
 * @param {{ hint?: Msg | null, reason?: string | null, reasonText?: Msg | null, origin?: 'load' | 'sign' }} [o]
 */
function show(state, text, o = {}) {
  /** @type {Status} */
  const next = {
    state,
    text,
    hint: o.hint ?? null,
    reason: o.reason ?? null,
    reasonText: o.reasonText ?? null,
    origin: o.origin ?? 'load',
  };
  if (JSON.stringify(next) === JSON.stringify(status) && el('status').getAttribute('data-state') === state) return; // no repeated announcement
  status = next;
  render();
  if (TERMINAL.has(state)) stopPolling();
}

function renderStatus() {
  const box = el('status');
  box.classList.remove('pending');
  box.setAttribute('data-state', status.state);
  el('status-text').textContent = say(status.text);
  const hint = el('status-hint');
  hint.textContent = say(status.hint);
  hint.hidden = !status.hint;
  const reason = el('reason');
  if (status.state === 'refused' && status.reason) {
    reason.setAttribute('data-reason', status.reason);
    reason.textContent = say(status.reasonText);
    reason.hidden = false;
  } else {
    reason.removeAttribute('data-reason');
    reason.textContent = '';
    reason.hidden = true;
  }
  renderButton();
}

function renderButton() {
  const canSign = !!view && view.state === 'waiting' && !!view.challenge && !!token && !TERMINAL.has(status.state);
  const busy = signing || status.state === 'loading' || status.state === 'submitting';
  signButton.hidden = !canSign && !signing;
  signButton.disabled = busy || !canSign;
  signButton.setAttribute('aria-busy', String(signing));
  signButton.textContent = t(
    lang,
    status.state === 'ready' || status.state === 'connecting' || status.state === 'signing' ? 'signButton' : 'signAgain',
  );
}

function renderRequest() {
  const box = el('request');
  if (!view || TERMINAL.has(status.state)) {
    box.hidden = !view || status.state !== 'signed';
    if (!view) return;
  } else box.hidden = false;
  el('service').textContent = view.service ?? '';
  el('purpose').textContent = view.purpose ?? '';
  el('role').textContent = view.role ?? '';

  const { iinLast4, bin } = view.expected ?? {};
  const iin = el('expected-iin');
  iin.textContent = iinLast4 ? `…${iinLast4}` : '';
  if (iinLast4) iin.setAttribute('data-last4', iinLast4);
  else iin.removeAttribute('data-last4');
  el('expected-iin-row').hidden = !iinLast4;
  el('expected-bin').textContent = bin ?? '';
  el('expected-bin-row').hidden = !bin;
  el('expected-any').hidden = !!(iinLast4 || bin);

  const hash = el('hash');
  const hex = (view.challenge?.sha256 ?? '').toLowerCase();
  hash.textContent = /^[0-9a-f]+$/.test(hex) ? (hex.match(/.{1,4}/g) ?? []).join(' ') : hex;
  hash.setAttribute('data-hex', hex);
  el('hash-row').hidden = !view.challenge;

  const deadline = el('deadline');
  deadline.textContent = formatDate(view.deadline);
  deadline.setAttribute('datetime', view.deadline ?? '');
}

/**
 * A date in the page's language and the browser's time zone.
 * @param {string | undefined} iso
 */
function formatDate(iso) {
  const d = new Date(iso ?? '');
  if (Number.isNaN(d.getTime())) return iso ?? '';
  try {
    // Kazakh: digits in the local dd.mm.yyyy style (browsers' Kazakh month names are often missing).
    if (lang === 'kk')
      return new Intl.DateTimeFormat('ru', {
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        timeZoneName: 'short',
      }).format(d);
    return new Intl.DateTimeFormat(lang, {
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(d);
  } catch {
    return d.toLocaleString();
  }
}

// ---------------------------------------------------------------------------------------------- server

/**
 * POST JSON to the server, relative to the page. Throws only when the server cannot be reached.
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<{ status: number, json: any }>}
 */
async function post(path, body) {
  const res = await fetch(new URL(path, location.href).pathname, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    cache: 'no-store',
    credentials: 'same-origin',
    referrerPolicy: 'no-referrer',
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    // not JSON (a proxy's error page): judged by the status
  }
  return { status: res.status, json };
}

/**
 * The error code of an answer: the server's, else one guessed from the HTTP status.
 * @param {{ status: number, json: any }} r
 */
function errorCode(r) {
  const code = r.json?.error?.code;
  if (typeof code === 'string') return code;
  if (r.status === 429) return 'too-many-requests';
  if (r.status === 502 || r.status === 503 || r.status === 504) return 'unavailable';
  return 'unexpected';
}

/**
 * Shows an error answer of either endpoint.
 * @param {{ status: number, json: any }} r
 * @param {'load' | 'sign'} origin
 */
function showError(r, origin) {
  const code = errorCode(r);
  const linkProblem = LINK_PROBLEMS.get(code);
  if (linkProblem) show(code, { key: linkProblem }, { origin });
  else if (code === 'unavailable') show('unavailable', { key: 'unavailable' }, { origin });
  else if (code === 'too-many-requests') show('unavailable', { key: 'tooManyRequests' }, { origin });
  else show('error', { key: 'unexpectedReply', params: { status: r.status } }, { origin });
}

/**
 * Reads the request. `poll`: a transient failure keeps what the page shows.
 * @param {'initial' | 'poll' | 'renewal'} why
 */
async function loadRequest(why) {
  const mine = epoch;
  let r;
  try {
    r = await post('api/request', { token });
  } catch {
    if (mine === epoch && (!view || why !== 'poll')) show('unavailable', { key: 'offline' });
    return;
  }
  if (mine !== epoch) return; // signing started meanwhile
  if (r.status === 200 && r.json && typeof r.json.request === 'object' && r.json.request) {
    applyRequest(r.json.request, r.json.ncalayerUrl);
    return;
  }
  const code = errorCode(r);
  if (why === 'poll' && view && (code === 'unavailable' || code === 'too-many-requests' || code === 'unexpected')) return;
  showError(r, 'load');
}

/**
 * @param {RequestView} request
 * @param {unknown} url
 */
function applyRequest(request, url) {
  view = request;
  if (typeof url === 'string' && /^wss?:\/\//.test(url)) ncalayerUrl = url;
  const previous = shownChallengeId;
  shownChallengeId = request.challenge?.id ?? null;
  const renewed = !!previous && !!shownChallengeId && previous !== shownChallengeId;
  const requestLang = langOverride ?? supportedLang(request.locale);
  if (requestLang && requestLang !== lang) setLang(requestLang);

  switch (request.state) {
    case 'signed':
      show('link-used', { key: 'linkUsed' });
      break;
    case 'expired':
    case 'ended':
      show('request-over', { key: 'requestOver' });
      break;
    case 'checking':
      if (status.origin === 'load') show('submitting', { key: 'checking' });
      break;
    default:
      if (!request.challenge) {
        if (status.origin === 'load') show('loading', { key: 'preparing' });
      } else if (status.origin === 'load') {
        show('ready', { key: renewed ? 'renewed' : 'ready' }, { hint: lastRefusalHint() });
      } else if (renewed && !(status.state === 'refused' && status.reason === 'challenge-replaced')) {
        show('ready', { key: 'renewed' }, { hint: lastRefusalHint() });
      }
  }
  render();
}

/** @returns {Msg | null} */
function lastRefusalHint() {
  const last = view?.lastRefusal;
  if (!last || !REASONS.has(last.reason) || last.reason === 'challenge-replaced') return null;
  return { key: 'lastRefusal', params: { text: say(refusalText(last.reason)) } };
}

/**
 * @param {string} reason
 * @returns {Msg}
 */
function refusalText(reason) {
  if (reason === 'wrong-signer') {
    const iin = view?.expected?.iinLast4;
    const bin = view?.expected?.bin;
    if (iin && bin) return { key: 'refused.wrong-signer-bin', params: { iin, bin } };
    if (iin) return { key: 'refused.wrong-signer', params: { iin } };
    return { key: 'refused.wrong-signer-any' };
  }
  return { key: REASONS.has(reason) ? `refused.${reason}` : 'refused.other' };
}

// ---------------------------------------------------------------------------------------------- polling

function schedulePoll() {
  stopPolling();
  if (TERMINAL.has(status.state) || signing || !token) return;
  pollTimer = setTimeout(() => {
    pollTimer = undefined;
    if (signing) return;
    loadRequest('poll').finally(schedulePoll);
  }, POLL_MS);
}

function stopPolling() {
  if (pollTimer !== undefined) clearTimeout(pollTimer);
  pollTimer = undefined;
}

// ---------------------------------------------------------------------------------------------- NCALayer

/**
 * Connects the client, telling "not running" from "blocked by the browser" from "answers oddly".
 * @param {NCALayerClient} client
 */
async function connect(client) {
  let opened = false;
  let cspBlocked = false;
  /** @param {SecurityPolicyViolationEvent} e */
  const onViolation = (e) => {
    if (/^wss?:/i.test(e.blockedURI ?? '') && /^connect-src/.test(e.effectiveDirective ?? '')) cspBlocked = true;
  };
  document.addEventListener('securitypolicyviolation', onViolation);
  const connecting = client.connect();
  connecting.catch(() => {}); // judged below; a late rejection after a timeout is not an error
  /** @type {WebSocket | null} */
  const ws = client.wsConnection; // set synchronously by connect() unless the constructor threw
  ws?.addEventListener('open', () => {
    opened = true;
  });
  /** @type {ReturnType<typeof setInterval> | undefined} */
  let timer;
  const timeout = new Promise((_resolve, reject) => {
    const started = Date.now();
    let openedAt = 0;
    timer = setInterval(() => {
      if (opened && !openedAt) openedAt = Date.now();
      if (openedAt && Date.now() - openedAt > HANDSHAKE_TIMEOUT_MS) reject(new Problem('error', { key: 'ncalayerNoAnswer' }));
      else if (!opened && Date.now() - started > OPEN_TIMEOUT_MS)
        reject(new Problem('ncalayer-absent', { key: 'ncalayerAbsent' }, { key: 'ncalayerAbsentHint' }));
    }, 250);
  });
  try {
    await Promise.race([connecting, timeout]);
  } catch (e) {
    if (e instanceof Problem) throw e;
    // The violation event may come after the socket's error event.
    if (!opened) await new Promise((resolve) => setTimeout(resolve, 100));
    if (cspBlocked) throw new Problem('error', { key: 'cspBlocked', params: { url: ncalayerUrl } });
    throw await connectProblem(e, opened, ws);
  } finally {
    clearInterval(timer);
    document.removeEventListener('securitypolicyviolation', onViolation);
  }
}

/**
 * @param {any} e what connect() threw
 * @param {boolean} opened whether the socket ever opened
 * @param {WebSocket | null} ws
 */
async function connectProblem(e, opened, ws) {
  // The constructor refused the URL: mixed content (an https page and ws://) or a CSP.
  if (e?.name === 'SecurityError')
    return new Problem('browser-blocked', { key: 'browserBlocked' }, { key: 'browserBlockedInsecureHint', params: { url: ncalayerUrl } });
  if (!opened) {
    if (await localNetworkDenied()) return new Problem('browser-blocked', { key: 'browserBlocked' }, { key: 'browserBlockedHint' });
    return new Problem('ncalayer-absent', { key: 'ncalayerAbsent' }, { key: 'ncalayerAbsentHint' });
  }
  if (ws && ws.readyState === WebSocket.CLOSED)
    return new Problem('ncalayer-absent', { key: 'ncalayerClosed' }, { key: 'ncalayerAbsentHint' });
  return new Problem('error', { key: 'ncalayerNoAnswer' });
}

/** Whether the browser's Local Network Access permission for this site is denied (Chrome 142+; names vary). */
async function localNetworkDenied() {
  const permissions = navigator.permissions;
  if (!permissions?.query) return false;
  for (const name of ['loopback-network', 'local-network-access', 'local-network']) {
    try {
      const state = await permissions.query(/** @type {any} */ ({ name }));
      if (state.state === 'denied') return true;
    } catch {
      // TypeError: this browser does not know the name
    }
  }
  return false;
}

/** @param {any} e */
const isCancel = (e) => e?.canceledByUser === true || /\baction\.canceled\b/.test(String(e?.message ?? ''));

/**
 * Whether the error answers a basics request as a NCALayer without kz.gov.pki.knca.basics would:
 * a commonUtils-shaped reply (the client reports `<numeric code>: <message>`; basics errors carry
 * names such as SIGNING_FAILURE) or a message about an unknown module or method.
 * @param {any} e
 */
function basicsUnsupported(e) {
  if (e?.name !== 'NCALayerError' || isCancel(e)) return false;
  const message = String(e.message ?? '');
  return (
    /^\d{3}: /.test(message) ||
    /(unknown|unsupported|not supported|not found|no such)\W+(module|method)|(module|method)\b.{0,60}\b(unknown|unsupported|not supported|not found)/i.test(
      message,
    )
  );
}

/**
 * @param {any} e
 * @param {NCALayerClient} client
 */
function signingProblem(e, client) {
  if (e instanceof Problem) return e;
  if (isCancel(e)) return new Problem('cancelled', { key: 'cancelled' });
  if (client.wsConnection && client.wsConnection.readyState === WebSocket.CLOSED)
    return new Problem('ncalayer-absent', { key: 'ncalayerClosed' }, { key: 'ncalayerAbsentHint' });
  const message = String(e?.message ?? e ?? '').slice(0, MAX_MESSAGE_CHARS);
  return new Problem('error', { key: 'ncalayerFailed', params: { message } });
}

/**
 * Signs the challenge: basics.sign (attached CMS of the decoded data, the expected EKUs and BIN), or
 * on a NCALayer without the basics module commonUtils.createCAdESFromBase64.
 * @param {NCALayerClient} client
 * @param {Challenge} challenge
 * @param {Expected} expected
 * @returns {Promise<string>} base64 CMS
 */
async function signChallenge(client, challenge, expected) {
  const storages =
    expected.allowedStorages && expected.allowedStorages.length > 0 ? expected.allowedStorages : NCALayerClient.basicsStorageAll;
  /** @type {{ extKeyUsageOids: string[], bin?: string, chain?: string[] }} */
  const signerParams = { extKeyUsageOids: Array.isArray(expected.extKeyUsage) ? expected.extKeyUsage : [] };
  if (expected.bin) signerParams.bin = expected.bin;
  // An empty chain lets NCALayer offer keys of NCA RK's test CA too (the sigex client's basicsSignerTestAny).
  if (expected.testKeys === true) signerParams.chain = [];
  let cms;
  try {
    cms = await client.basicsSign(
      storages,
      'cms',
      challenge.dataBase64,
      { decode: true, encapsulate: true, digested: false },
      signerParams,
      lang,
      true,
    );
  } catch (e) {
    if (!basicsUnsupported(e)) throw signingProblem(e, client);
    cms = await legacySign(client, challenge, expected);
  }
  if (typeof cms !== 'string' || cms.length === 0) throw new Problem('error', { key: 'ncalayerFailed', params: { message: '—' } });
  return cms;
}

/**
 * commonUtils.createCAdESFromBase64 on the first present token (allowed by the request), else PKCS12.
 * @param {NCALayerClient} client
 * @param {Challenge} challenge
 * @param {Expected} expected
 */
async function legacySign(client, challenge, expected) {
  const allowed = expected.allowedStorages && expected.allowedStorages.length > 0 ? expected.allowedStorages : null;
  /** @type {unknown} */
  let tokens = [];
  try {
    tokens = await client.getActiveTokens();
  } catch (e) {
    if (isCancel(e) || client.wsConnection?.readyState === WebSocket.CLOSED) throw signingProblem(e, client);
    // no token list: the file storage
  }
  const present = Array.isArray(tokens) ? tokens.filter((s) => typeof s === 'string' && (!allowed || allowed.includes(s))) : [];
  const fileStorage = NCALayerClient.fileStorageType;
  const storage = present[0] ?? (allowed && !allowed.includes(fileStorage) ? allowed[0] : fileStorage);
  // An authentication-only request (clientAuth without emailProtection) wants the AUTH key.
  const ekus = Array.isArray(expected.extKeyUsage) ? expected.extKeyUsage : [];
  const keyType = ekus.includes('1.3.6.1.5.5.7.3.2') && !ekus.includes('1.3.6.1.5.5.7.3.4') ? 'AUTHENTICATION' : 'SIGNATURE';
  try {
    return await client.createCAdESFromBase64(storage, challenge.dataBase64, keyType, true);
  } catch (e) {
    throw signingProblem(e, client);
  }
}

/**
 * Whether the data to sign hashes to the SHA-256 shown (skipped where WebCrypto is unavailable).
 * @param {Challenge} challenge
 */
async function hashMatches(challenge) {
  if (!globalThis.crypto?.subtle) return true;
  let bytes;
  try {
    bytes = Uint8Array.from(atob(challenge.dataBase64), (c) => c.charCodeAt(0));
  } catch {
    return false;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return hex === String(challenge.sha256).toLowerCase();
}

/** @param {NCALayerClient} client */
function disconnect(client) {
  try {
    client.wsConnection?.close();
  } catch {
    // already closed
  }
}

// ---------------------------------------------------------------------------------------------- signing

async function onSign() {
  if (signing || !token || !view || view.state !== 'waiting' || !view.challenge || TERMINAL.has(status.state)) return;
  signing = true;
  epoch++;
  stopPolling();
  const challenge = view.challenge;
  const expected = view.expected;
  try {
    const cms = await obtainSignature(challenge, expected);
    if (cms) await submit(challenge.id, cms);
  } catch {
    show('error', { key: 'error' }, { origin: 'sign' });
  } finally {
    signing = false;
    renderButton();
    schedulePoll();
  }
}

/**
 * @param {Challenge} challenge
 * @param {Expected} expected
 * @returns {Promise<string | null>} the CMS, or null when a problem is shown
 */
async function obtainSignature(challenge, expected) {
  if (!(await hashMatches(challenge))) {
    show('error', { key: 'hashMismatch' }, { origin: 'sign' });
    return null;
  }
  show('connecting', { key: 'connecting' }, { hint: { key: 'connectingHint' }, origin: 'sign' });
  const client = new NCALayerClient(ncalayerUrl, false);
  try {
    await connect(client);
    show('signing', { key: 'signing' }, { hint: { key: 'signingHint' }, origin: 'sign' });
    return await signChallenge(client, challenge, expected);
  } catch (e) {
    const p = e instanceof Problem ? e : signingProblem(e, client);
    show(p.state, p.text, { hint: p.hint, origin: 'sign' });
    return null;
  } finally {
    disconnect(client);
  }
}

/**
 * @param {string} challengeId
 * @param {string} cms
 */
async function submit(challengeId, cms) {
  show('submitting', { key: 'submitting' }, { origin: 'sign' });
  /** @type {{ status: number, json: any } | null} */
  let r = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1500 * attempt));
    try {
      r = await post('api/sign', { token, challengeId, cms });
    } catch {
      r = null;
    }
    if (r && errorCode(r) !== 'unavailable') break;
  }
  if (!r) {
    show('unavailable', { key: 'offline' }, { origin: 'sign' });
    return;
  }
  if (r.status === 200 && r.json?.accepted === true) {
    const signer = r.json.signer ?? {};
    /** @type {Msg | null} */
    let hint = null;
    if (signer.iinLast4) hint = { key: 'signedBy', params: { iin: signer.iinLast4, notAfter: formatDate(signer.notAfter) } };
    else if (signer.bin) hint = { key: 'signedByBin', params: { bin: signer.bin, notAfter: formatDate(signer.notAfter) } };
    show('signed', { key: 'signed' }, { hint, origin: 'sign' });
    return;
  }
  if (r.status === 422 && r.json?.refused) {
    await refused(String(r.json.refused.reason ?? ''), String(r.json.refused.message ?? ''));
    return;
  }
  showError(r, 'sign');
}

/**
 * @param {string} reason
 * @param {string} message
 */
async function refused(reason, message) {
  if (reason === 'already-signed') return show('link-used', { key: 'linkUsed' });
  if (reason === 'not-waiting') return show('request-over', { key: 'requestOver' });
  const hint =
    message && !SELF_EXPLAINING.has(reason) ? { key: 'details', params: { message: message.slice(0, MAX_MESSAGE_CHARS) } } : null;
  show('refused', { key: 'refusedTitle' }, { reason, reasonText: refusalText(reason), hint, origin: 'sign' });
  if (reason === 'challenge-replaced') await loadRequest('renewal');
}

// ---------------------------------------------------------------------------------------------- start

signButton.addEventListener('click', () => {
  void onSign();
});
// Another link pasted into this tab: start over with its token.
window.addEventListener('hashchange', () => location.reload());
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && !signing && pollTimer !== undefined && view) {
    stopPolling();
    loadRequest('poll').finally(schedulePoll);
  }
});

setLang(lang);
if (!token) show('link-malformed', { key: 'linkMalformed' });
else {
  show('loading', { key: 'loading' });
  loadRequest('initial').finally(schedulePoll);
}
