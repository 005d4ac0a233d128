// The Kazakh IIN (individual identification number): 12 digits, the last a check digit over the
// first 11 (weights 1..11 mod 11; when that gives 10, weights 3..11,1,2; a second 10 means no
// IIN may end that way). Pure: used by input schemas, so a typo fails before anything is billed.

const WEIGHTS_FIRST = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const WEIGHTS_SECOND = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/** The check digit for the first 11 digits, or undefined when no valid IIN starts with them. */
export function iinCheckDigit(first11: string): number | undefined {
  if (!/^\d{11}$/.test(first11)) throw new Error('expected 11 digits');
  const digits = [...first11].map(Number);
  const weighted = (weights: number[]) => digits.reduce((sum, d, i) => sum + d * weights[i]!, 0) % 11;
  const first = weighted(WEIGHTS_FIRST);
  if (first !== 10) return first;
  const second = weighted(WEIGHTS_SECOND);
  return second === 10 ? undefined : second;
}

export type IinProblem = 'format' | 'check_digit';

/** Why `value` is not a valid IIN, or undefined when it is one. Never echoes the value. */
export function iinProblem(value: string): IinProblem | undefined {
  if (!/^\d{12}$/.test(value)) return 'format';
  return iinCheckDigit(value.slice(0, 11)) === Number(value[11]) ? undefined : 'check_digit';
}

export function isValidIin(value: string): boolean {
  return iinProblem(value) === undefined;
}

/** Completes 11 digits to a valid IIN (sandbox and tests), or undefined when impossible. */
export function withIinCheckDigit(first11: string): string | undefined {
  const d = iinCheckDigit(first11);
  return d === undefined ? undefined : first11 + d;
}
