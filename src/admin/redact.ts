// Deep, JSON-safe copy of a configuration value with secret-looking entries replaced, for the admin API: values of
// secret-named keys, and credentials recognised inside any string (URL userinfo, API keys, bearer tokens).

export const REDACTED_VALUE = '[REDACTED]';

// Matched against the words of a key (camelCase, snake_case and kebab-case split), so `auth_token` and
// `apiKey` are secrets while `max_context_tokens` is not.
const SECRET_WORDS = new Set(['token', 'authorization', 'cookie']);
const SECRET_PHRASES = [
  'secret',
  'password',
  'passwd',
  'credential',
  'apikey',
  'privatekey',
  'accesskey',
  'apitoken',
  'authtoken',
  'accesstoken',
  'bearer',
];

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

/** True for keys like `api_key`, `apiKey`, `x-api-key`, `client_secret`, `authorization`, `refreshToken`. */
export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  if (words.some((word) => SECRET_WORDS.has(word))) return true;
  const joined = words.join('');
  return SECRET_PHRASES.some((phrase) => joined.includes(phrase));
}

/** A whole value that is an HTTP credential (a header value `Bearer …`), whatever its key is called. */
const AUTHORIZATION_VALUE = /^\s*((bearer|basic)\s+)(\S+)\s*$/i;

interface SecretPattern {
  /** Group 1 is kept (may be empty), group 2 is the secret; what follows it in the match stays too. */
  readonly pattern: RegExp;
  /** Further check of the secret, where the shape alone would match ordinary prose. */
  readonly accept?: (secret: string, kept: string) => boolean;
}

/** `Bearer <token>` inside text: the token must look like one (digits, or long and mixed case), not a word. */
function looksLikeToken(token: string): boolean {
  return (
    (token.length >= 8 && /\d/.test(token)) ||
    (token.length >= 20 && /[a-z]/.test(token) && /[A-Z]/.test(token))
  );
}

/** `Basic <credentials>` inside text: base64 of `user:password`. */
function isBasicCredential(encoded: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) return false;
  return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(Buffer.from(encoded, 'base64').toString('latin1'));
}

// Credential formats recognised anywhere inside a string; only the secret part is replaced. The first two start
// with a lookbehind rather than \b so a match starts only where a scheme or a name starts: long dotted runs
// (`a.a.a.…`) then cost linear time, not quadratic.
const SECRET_PATTERNS: readonly SecretPattern[] = [
  // The userinfo of a URL (`scheme://user:password@host`); scheme, host and path stay.
  { pattern: /((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/)([^\s/?#@]+(?:@[^\s/?#@]+)*)@(?=[^\s@])/gi },
  // `name=value` pairs whose name is a secret one: query strings, DSNs, environment lines.
  {
    pattern: /((?<![\w.-])[A-Za-z][\w.-]*=)([^\s&#;,'"]+)/g,
    accept: (_secret, kept) => isSecretKey(kept.slice(0, -1)),
  },
  { pattern: /(\bbearer\s+)([A-Za-z0-9._~+/-]+=*)/gi, accept: looksLikeToken },
  { pattern: /(\bbasic\s+)([A-Za-z0-9+/]+={0,2})/gi, accept: isBasicCredential },
  // OpenAI (`sk-…`, `sk-proj-…`) and Anthropic (`sk-ant-…`) API keys.
  { pattern: /(\b)(sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,})/g },
  // AWS access key ids.
  { pattern: /(\b)((?:AKIA|ASIA)[0-9A-Z]{16})\b/g },
  // GitHub tokens: classic (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) and fine-grained (`github_pat_`).
  { pattern: /(\b)(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})/g },
  // Slack tokens.
  { pattern: /(\b)(xox[abposr]-[A-Za-z0-9-]{10,})/g },
  // Google API keys.
  { pattern: /(\b)(AIza[0-9A-Za-z_-]{35})/g },
  // JSON Web Tokens: header.payload.signature, both JSON objects base64url-encoded (`{"` = `eyJ`).
  { pattern: /(\b)(eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)/g },
  // Hugging Face access tokens.
  { pattern: /(\b)(hf_[A-Za-z0-9]{30,})/g },
];

/**
 * The text with every credential it contains replaced by `[REDACTED]`: URL userinfo, secret `name=value`
 * pairs, `Bearer`/`Basic` credentials and the token formats of well-known providers. The rest stays.
 */
export function redactSecretText(text: string): string {
  const whole = AUTHORIZATION_VALUE.exec(text);
  // `Basic math` is a phrase, `Basic dXNlcjpwYXNz` a credential.
  if (whole && (whole[2]?.toLowerCase() === 'bearer' || !/^[a-z]+$/.test(whole[3] ?? '')))
    return `${whole[1]}${REDACTED_VALUE}`;
  let result = text;
  for (const { pattern, accept } of SECRET_PATTERNS) {
    result = result.replace(pattern, (match: string, kept: string, secret: string) => {
      if (accept && !accept(secret, kept)) return match;
      return `${kept}${REDACTED_VALUE}${match.slice(kept.length + secret.length)}`;
    });
  }
  return result;
}

export function redactSecrets(value: unknown): unknown {
  return copy(value, new WeakSet());
}

function copy(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (typeof value) {
    case 'string':
      return redactSecretText(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  const object = value as object;
  if (seen.has(object)) return '[Circular]';
  seen.add(object);
  try {
    if (object instanceof Date) return object.toISOString();
    if (object instanceof RegExp) return object.source;
    if (Array.isArray(object) || object instanceof Set) return [...object].map((item) => copy(item, seen));
    const entries = object instanceof Map ? [...object.entries()] : Object.entries(object);
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const name = String(key);
      const copied =
        isSecretKey(name) && item !== undefined && item !== null ? REDACTED_VALUE : copy(item, seen);
      if (copied !== undefined) result[name] = copied;
    }
    return result;
  } finally {
    seen.delete(object);
  }
}
