/**
 * The built-in output detectors: a candidate regular expression each, and for numbers a checksum, so that
 * plain numbers (order ids, dates, amounts) are not taken for cards, IBANs or phone numbers. Every candidate
 * is bounded in length, which the stream redactor's hold-back window relies on.
 * @module
 */
import type { BuiltinDetector } from '../../../crds/src/guardrails.js';

/** A match: where it starts and ends in the scanned text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface Detector {
  /** The rule name errors, logs and metrics report. */
  readonly name: string;
  find(text: string): Span[];
}

/** Luhn's checksum, as card numbers carry it. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** ISO 13616: the country and check digits moved to the end, letters as 10..35, the whole mod 97 is 1. */
export function ibanValid(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const moved = compact.slice(4) + compact.slice(0, 4);
  let rest = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) rest = (rest * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rest === 1;
}

/** Every match of a global expression that `accept` keeps (all when absent). */
export function regexDetector(name: string, re: RegExp, accept?: (match: string) => boolean): Detector {
  return {
    name,
    find(text) {
      const spans: Span[] = [];
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        if (!accept || accept(m[0])) spans.push({ start: m.index, end: m.index + m[0].length });
      }
      return spans;
    },
  };
}

const digitsOf = (s: string) => s.replace(/\D/g, '');

// 13-19 digits, single spaces or dashes allowed between them, not part of a longer run of digits.
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])/g;

// Area 000, 666 and 900-999, group 00 and serial 0000 are never issued; one separator kind throughout.
const SSN = /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g;

const EMAIL =
  /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,6}[A-Za-z]{2,24}(?![\w-])/g;

// Only numbers written as phone numbers: a + country code, or US-style 3-3-4 with separators or (area).
// Plain digit runs, dates (2024-01-15) and 3-2-4 ids are not phones.
const PHONE =
  /(?<![\w+.-])(?:\+\d{10,15}|\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,4}|(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[.-])\d{3}[.-]\d{4})(?![\w-]|\.\d)/g;

const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;

// API-key-like strings: known prefixes, and long values after key=, token:, Authorization: Bearer.
const SECRET = new RegExp(
  [
    String.raw`\bsk-(?:proj-|ant-|live_|test_)?[A-Za-z0-9_-]{20,256}`,
    String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`,
    String.raw`\bgh[pousr]_[A-Za-z0-9]{30,255}\b`,
    String.raw`\bgithub_pat_[A-Za-z0-9_]{22,255}`,
    String.raw`\bxox[bpars]-[A-Za-z0-9-]{10,255}`,
    String.raw`(?<=\bBearer\s{1,4})[A-Za-z0-9._~+/=-]{16,512}`,
    // The whole value, and not a call: `password = getPasswordFromVault()` in code is not a secret.
    String.raw`(?<=\b(?:api[_-]?key|secret|token|password|passwd|access[_-]?key)["']?\s{0,4}[:=]\s{0,4}["']?)[A-Za-z0-9+/_.=-]{16,512}(?![A-Za-z0-9+/_.=(-])`,
  ].join('|'),
  'gi',
);

export const BUILTIN: Readonly<Record<BuiltinDetector, Detector>> = {
  creditCard: regexDetector('creditCard', CARD, (m) => {
    const d = digitsOf(m);
    return d.length >= 13 && d.length <= 19 && !/^(\d)\1+$/.test(d) && luhnValid(d);
  }),
  usSsn: regexDetector('usSsn', SSN),
  email: regexDetector('email', EMAIL),
  phone: regexDetector('phone', PHONE, (m) => {
    const n = digitsOf(m).length;
    return n >= 10 && n <= 15;
  }),
  iban: regexDetector('iban', IBAN, (m) => ibanValid(m.replace(/ /g, ''))),
  // A dotted name without a digit is code (`process.env.GITHUB_TOKEN`, `settings.api_key_value`), not a key.
  secret: regexDetector('secret', SECRET, (m) => /\d/.test(m) || !m.includes('.')),
};
