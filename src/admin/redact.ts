// Deep, JSON-safe copy of a configuration value with secret-looking entries replaced, for the admin API.

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

/** Values that carry a credential whatever their key is called (e.g. a header value `Bearer …`). */
function isSecretValue(value: string): boolean {
  return /^(bearer|basic)\s+\S/i.test(value);
}

export function redactSecrets(value: unknown): unknown {
  return copy(value, new WeakSet());
}

function copy(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (typeof value) {
    case 'string':
      return isSecretValue(value) ? REDACTED_VALUE : value;
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
