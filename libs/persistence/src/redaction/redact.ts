/**
 * PII and secret redaction for what Godel stores (event data) and prints (logs): e-mail addresses,
 * API keys and tokens (OpenAI/Anthropic-style `sk-…`, GitHub `ghp_…`/`github_pat_…`, Slack `xox?-…`,
 * AWS access key ids and secret keys, Godel's own API keys `gdk_…` and refresh tokens `gdr_…`, JWT-looking
 * strings, `Bearer …` credentials, the password of `scheme://user:password@host` URLs) and card numbers
 * (13–19 digits that pass the Luhn check). Each match becomes `[redacted:<kind>]`.
 *
 * Plain regular expressions, no library: the well-kept redactors on npm either redact by key path
 * only (pino's `redact`, fast-redact) or pull in NLP models; we need value patterns, applied to
 * every string. Patterns are anchored on word boundaries and minimum lengths so ordinary text
 * (`sk-local`, `task-123`, version numbers, short digit runs) stays as it is.
 */

export type RedactionKind = 'email' | 'api_key' | 'jwt' | 'bearer' | 'aws_key' | 'card' | 'url_credentials';

interface Rule {
  kind: RedactionKind;
  re: RegExp;
  /** Extra check on the match (the Luhn checksum for cards); the match stays when it says false. */
  accept?: (match: string) => boolean;
  /** The replacement; default `[redacted:kind]`. */
  replace?: (match: string, kind: RedactionKind) => string;
}

/** True when the digits of `s` pass the Luhn checksum. */
export function luhnValid(s: string): boolean {
  const digits = s.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
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

const RULES: Rule[] = [
  // `Bearer <credential>` first: the word stays, the credential goes (whatever shape it has).
  { kind: 'bearer', re: /\bBearer\s+[A-Za-z0-9\-._~+/]{8,}=*/g, replace: (_m, k) => `Bearer [redacted:${k}]` },
  // header.payload.signature, each base64url; headers of real JWTs start with `{"` → `eyJ`.
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g },
  // `scheme://user:password@`: the password goes, the user and host stay (before e-mail: `pass@host.tld` is not an address).
  { kind: 'url_credentials', re: /\b([a-z][a-z0-9+.-]{0,30}:\/\/)([^\s:@/]{0,256}):([^\s@/]{1,512})@/gi, replace: (m, k) => m.replace(/^([a-z][a-z0-9+.-]{0,30}:\/\/[^\s:@/]{0,256}):[^\s@/]{1,512}@$/i, `$1:[redacted:${k}]@`) },
  { kind: 'api_key', re: /\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{20,}/g },
  // Godel's API keys and refresh tokens: `gdk_` / `gdr_` + 43 base64url characters.
  { kind: 'api_key', re: /\bgd[kr]_[A-Za-z0-9_-]{20,}/g },
  { kind: 'api_key', re: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g },
  { kind: 'api_key', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { kind: 'aws_key', re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g },
  // A secret access key is 40 base64 characters: only redacted next to its name, else too many false positives.
  { kind: 'aws_key', re: /(aws_?secret_?access_?key["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}/gi, replace: (m, k) => m.replace(/[A-Za-z0-9/+=]{40}$/, `[redacted:${k}]`) },
  { kind: 'email', re: /\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b/g },
  // 13–19 digits, optionally grouped by single spaces or dashes, starting like a card (2–6: Mastercard,
  // Amex/Diners/JCB, Visa, Mastercard, Discover/UnionPay), so epoch-millisecond strings (1…) stay.
  { kind: 'card', re: /\b[2-6](?:[ -]?\d){12,18}\b/g, accept: luhnValid },
];

/** Cheap pre-check: strings without any of these characters cannot match a rule. */
const MAYBE = /[@\d]|sk-|gh|github_pat|xox|eyJ|Bearer|A[KSGIRN][IPDOA]A|gd[kr]_/;

/** The string with every secret and PII match replaced by `[redacted:<kind>]`. */
export function redactText(text: string): string {
  if (text.length < 6 || !MAYBE.test(text)) return text;
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.re, (m: string) => {
      if (rule.accept && !rule.accept(m)) return m;
      return rule.replace ? rule.replace(m, rule.kind) : `[redacted:${rule.kind}]`;
    });
  }
  return out;
}

/**
 * A deep copy of `value` with every string redacted (object keys are kept: they are field names,
 * not data). Non-plain values (Dates, Buffers) pass through as they are; depth is bounded.
 */
export function redactValue<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1)) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactValue(v, depth + 1);
  return out as T;
}
