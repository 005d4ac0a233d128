// The credential watch's rules as pure functions: which tier of the alert ladder a certificate is in,
// where its renewal point lies, and how urgent a tier is. No workflow APIs: unit-tested directly.
import { formatDuration } from '../../contracts/fields.js';
import type { CredentialPolicy } from './inventory.contract.js';

const DAY = 86_400_000;
export const EXPIRED = 'expired';

/** The tier `notAfter` is in at `now`: 'expired', the shortest ladder step not yet passed ('7d'), or null. */
export function tierOf(notAfterMs: number, nowMs: number, ladder: readonly number[]): string | null {
  const left = notAfterMs - nowMs;
  if (left <= 0) return EXPIRED;
  const within = ladder.filter((step) => left <= step);
  return within.length ? formatDuration(Math.min(...within)) : null;
}

/** Higher is more urgent: ladder steps by length (longest 0), then 'expired'; -1 for anything else. */
export function urgency(tier: string, ladder: readonly number[]): number {
  if (tier === EXPIRED) return ladder.length;
  const longestFirst = [...ladder].sort((a, b) => b - a).map(formatDuration);
  return longestFirst.indexOf(tier);
}

/**
 * The renewal point: `renewAt` of the lifetime after notBefore, up to `renewJitter` of the lifetime
 * earlier, by an amount fixed per certificate (so a fleet spreads out, and a repeated check agrees).
 */
export function renewalPointMs(certificateId: string, notBeforeMs: number, notAfterMs: number, policy: CredentialPolicy): number {
  const lifetime = notAfterMs - notBeforeMs;
  return Math.round(notBeforeMs + lifetime * policy.renewAt - lifetime * policy.renewJitter * unitHash(certificateId));
}

export function daysLeft(notAfterMs: number, nowMs: number): number {
  return Math.floor((notAfterMs - nowMs) / DAY);
}

/** FNV-1a of the text, as a number in [0, 1): a deterministic spread. */
function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}
