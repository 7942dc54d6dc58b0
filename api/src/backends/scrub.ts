/**
 * Upstream error text made safe to show: what an upstream or a runtime says when it fails reaches callers
 * (error bodies, `attempts`, batch results) and log lines, and an upstream may echo what it was sent (the
 * provider key in its Authorization header) or where it lives (an internal base URL, a pod's address).
 * Pure: the backend that knows the key it sent and the address it called says so; common credential
 * shapes and internal addresses are removed whoever said them.
 * @module
 */

/** What a caller may see of one upstream message, at most. */
export const MAX_MESSAGE_CHARS = 512;

const REDACTED = '[redacted]';
const INTERNAL = '[internal address]';

export interface ScrubContext {
  /** Strings the router sent and must never echo (the provider keys it holds for this upstream). */
  readonly secrets?: readonly (string | undefined)[];
  /** Where the upstream lives (a base URL, a host:port) and what to call it instead (`upstream of model x`). */
  readonly places?: readonly { readonly address: string; readonly name: string }[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Shortest secret replaced word for word: anything shorter would eat ordinary words. */
const MIN_SECRET_CHARS = 4;

/**
 * Most characters of a message the rules read. Some rules are quadratic on adversarial text (64 KiB of
 * `a-a-a-…` took 9 s, blocking the event loop) and only MAX_MESSAGE_CHARS are ever shown, so the rest need
 * not be read; the margin covers what replacements and folded whitespace remove.
 */
export const MAX_SCRUBBED_CHARS = 8 * MAX_MESSAGE_CHARS;

/**
 * The start of a long text, cut where a word ends: a secret the cut would split is dropped whole, since its
 * first half would no longer match the rule that finds it.
 */
export function scrubbable(text: string): string {
  if (text.length <= MAX_SCRUBBED_CHARS) return text;
  return text.slice(0, MAX_SCRUBBED_CHARS).replace(/\S*$/, '');
}

/** A secret as a message may quote it: as sent, URL-encoded, base64 (padded or not, standard or URL-safe). */
function secretForms(secret: string): Set<string> {
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  const bare = b64.replace(/=+$/, '');
  return new Set([
    secret,
    encodeURIComponent(secret),
    b64,
    bare,
    bare.replace(/\+/g, '-').replace(/\//g, '_'),
  ]);
}

/** Every spelling of a place a message may use: the URL as configured, without its path, its host. */
function spellings(address: string): string[] {
  const found = new Set([address.replace(/\/+$/, '')]);
  try {
    const url = new URL(address);
    found.add(`${url.origin}${url.pathname.replace(/\/+$/, '')}`);
    found.add(url.origin);
    found.add(url.host);
  } catch {
    // A bare host:port (a runtime address) is its own only spelling.
  }
  return [...found].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** Names a header or field whose value is a credential, in `name: value`, `name=value` or JSON. */
const CREDENTIAL_NAMES =
  'proxy-authorization|authorization|x-api-key|api[-_]?key|x-goog-api-key|access[-_]?token|refresh[-_]?token|client[-_]?secret|secret[-_]?key|password|passwd|token|secret';

/** Generic rules, in order: each a pattern and what replaces a match. */
const RULES: readonly [RegExp, string | ((...m: string[]) => string)][] = [
  // user:password@ in any URL.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>]+@/gi, `$1${REDACTED}@`],
  // `Authorization: Bearer x`, `"x-api-key": "x"`, `password=x`: the name stays, the value goes.
  [
    new RegExp(
      `(["']?\\b(?:${CREDENTIAL_NAMES})\\b["']?\\s*[:=]\\s*["']?)(?:(?:bearer|basic|token|key)\\s+)?[^\\s"',;&}]+`,
      'gi',
    ),
    `$1${REDACTED}`,
  ],
  // `?key=x`, `&sig=x`: query parameters that carry credentials in signed or keyed URLs.
  [/([?&](?:key|sig|signature|x-amz-signature|x-amz-credential|code)=)[^&\s"'<>]+/gi, `$1${REDACTED}`],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}/gi, `$1 ${REDACTED}`],
  // Common key shapes: OpenAI/Anthropic, AWS, GitHub, Slack, Google, Hugging Face, JWTs.
  // (with the masked form providers quote back, `sk-abc***wxyz`, which still gives away part of the key)
  [/\bsk-[A-Za-z0-9_*-]{8,}/g, REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{30,}/g, REDACTED],
  [/\bhf_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, REDACTED],
  // Long hex or base64 runs with both letters and digits: a secret more often than a word.
  [/\b[0-9a-fA-F]{32,}\b/g, REDACTED],
  [/[A-Za-z0-9+/_-]{40,}={0,2}/g, (m) => (/[0-9]/.test(m) && /[A-Za-z]/.test(m) ? REDACTED : m)],
  // Internal addresses: IPv4 (with a port or not), bracketed IPv6, localhost, cluster DNS names.
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, INTERNAL],
  [/\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\](?::\d{1,5})?/g, INTERNAL],
  [/\blocalhost(?::\d{1,5})?\b/gi, INTERNAL],
  [/\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.svc(?:\.cluster\.local)?(?::\d{1,5})?\b/gi, INTERNAL],
];

/**
 * `text` with the given secrets and places replaced, then every credential-looking string and internal
 * address, its whitespace folded and its length capped at MAX_MESSAGE_CHARS.
 */
export function scrubText(text: string, context: ScrubContext = {}): string {
  let out = scrubbable(text);
  for (const secret of context.secrets ?? []) {
    if (!secret || secret.length < MIN_SECRET_CHARS) continue;
    for (const form of secretForms(secret)) out = out.replace(new RegExp(escapeRegExp(form), 'g'), REDACTED);
  }
  for (const place of context.places ?? [])
    for (const spelling of spellings(place.address))
      out = out.replace(new RegExp(`${escapeRegExp(spelling)}(?:/[^\\s"'<>]*)?`, 'g'), place.name);
  for (const [pattern, replacement] of RULES)
    out = out.replace(pattern, replacement as (substring: string, ...args: string[]) => string);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is folded.
  out = out.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > MAX_MESSAGE_CHARS ? `${out.slice(0, MAX_MESSAGE_CHARS - 1)}…` : out;
}

/** A short identifier (an error `type`, `code` or `param`), worth keeping as it is. */
const IDENTIFIER = /^[A-Za-z0-9_.:[\]-]{1,64}$/;

function identifier(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  return typeof text === 'string' && IDENTIFIER.test(text) && scrubText(text) === text ? text : undefined;
}

/** What is kept of an upstream's OpenAI `error` object. */
export interface ScrubbedUpstreamError {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
}

/**
 * An upstream's error object reduced to what a caller can act on: its message scrubbed, its `type`,
 * `code` and `param` only when they are short identifiers; anything else it carried is dropped.
 */
export function scrubUpstreamError(error: unknown, context: ScrubContext = {}): ScrubbedUpstreamError {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as Record<string, unknown>;
  const out: ScrubbedUpstreamError = {};
  if (typeof e.message === 'string') out.message = scrubText(e.message, context);
  for (const field of ['type', 'code', 'param'] as const) {
    const value = identifier(e[field]);
    if (value !== undefined) out[field] = value;
  }
  return out;
}
