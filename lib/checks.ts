// Check characters of Chinese identifiers: GB 32100-2015 (USCC), GB 11714-1997 (organisation code),
// GB 11643-1999 (resident identity number). See shared/reference/cn-credit-data-standards.md §3-4.

const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];
const RIC_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const RIC_CHECK = '10X98765432';

export type UsccProblem = 'length' | 'charset' | 'region' | 'checkChar' | 'orgCode';

export function usccCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_ALPHABET.indexOf(first17[i]) * USCC_WEIGHTS[i];
  return USCC_ALPHABET[(31 - (sum % 31)) % 31];
}

export function orgCodeCheckChar(body8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = body8.charCodeAt(i);
    const v = c <= 57 ? c - 48 : c - 55; // '0'-'9' -> 0-9, 'A'-'Z' -> 10-35
    sum += v * ORG_WEIGHTS[i];
  }
  const r = 11 - (sum % 11);
  return r === 10 ? 'X' : r === 11 ? '0' : String(r);
}

/** The first problem of a USCC, or null when it is valid. Expects an upper-case, trimmed value. */
export function usccProblem(code: string): UsccProblem | null {
  if (code.length !== 18) return 'length';
  for (const c of code) if (!USCC_ALPHABET.includes(c)) return 'charset';
  if (!/^[0-9]{6}$/.test(code.slice(2, 8))) return 'region';
  if (usccCheckChar(code.slice(0, 17)) !== code[17]) return 'checkChar';
  if (orgCodeProblem(code.slice(8, 17)) !== null) return 'orgCode';
  return null;
}

export type OrgCodeProblem = 'length' | 'charset' | 'checkChar';

export function orgCodeProblem(code: string): OrgCodeProblem | null {
  const c = code.replace('-', '');
  if (c.length !== 9) return 'length';
  if (!/^[0-9A-Z]{8}[0-9X]$/.test(c)) return 'charset';
  return orgCodeCheckChar(c.slice(0, 8)) === c[8] ? null : 'checkChar';
}

export function residentIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * RIC_WEIGHTS[i];
  return RIC_CHECK[sum % 11];
}

export type ResidentIdProblem = 'length' | 'charset' | 'birthDate' | 'checkChar';

/** The first problem of an 18-character resident identity number, or null when it is valid. */
export function residentIdProblem(id: string): ResidentIdProblem | null {
  if (id.length !== 18) return 'length';
  if (!/^[0-9]{17}[0-9X]$/.test(id)) return 'charset';
  // Residence permits (81/82/83) and the 2023 foreign permanent-residence card (9…) carry a birth date too.
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return 'birthDate';
  return residentIdCheckChar(id.slice(0, 17)) === id[17] ? null : 'checkChar';
}

/** Upgrades a 15-digit (pre-1999) number: insert the century and append the check character. */
export function upgradeResidentId15(id15: string): string {
  const body = id15.slice(0, 6) + '19' + id15.slice(6);
  return body + residentIdCheckChar(body);
}

/** Patterns of the certificate types that carry no check character (shared/reference §4.2). */
export const CERT_PATTERNS: Readonly<Record<string, RegExp>> = {
  护照号: /^[A-Z0-9]{5,17}$/,
  港澳居民来往内地通行证: /^[HM]([0-9]{8}|[0-9]{10})$/,
  台湾居民来往大陆通行证: /^([0-9]{8}|[0-9]{10}|[A-Z][0-9]{9})$/,
  外国人永久居留身份证: /^([A-Z]{3}[0-9]{12}|9[0-9]{16}[0-9X])$/,
};
