// Request paths as the upstream will see them: the router decides what a request is from the normalised path, so
// `/v1/chat%2Fcompletions`, `//v1/chat/completions`, `/V1/Chat/Completions/` or `/x/../v1/messages` cannot slip
// past the guardrails as "not an LLM request" while the model server decodes them into one.

/** More rounds than any upstream decodes; a path still changing after them is treated as it stands. */
const MAX_DECODE_ROUNDS = 4;

function percentDecodeOnce(text: string): string {
  if (!text.includes('%')) return text;
  // Byte-wise, so that an invalid escape or a broken UTF-8 sequence stays as it was instead of throwing.
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/** Drops trailing whitespace and control characters (servers that trim them read `completions%20` as `completions`). */
function trimTrailingBlanks(segment: string): string {
  let end = segment.length;
  while (end > 0) {
    const code = segment.charCodeAt(end - 1);
    if (code > 0x20 && code !== 0x7f && code !== 0xa0 && code !== 0x3000) break;
    end--;
  }
  return end === segment.length ? segment : segment.slice(0, end);
}

function resolveDotSegments(segments: readonly string[]): string[] {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === '.' || segment === '') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return out;
}

/** A path the steps below would only lower-case. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_-]+)+$/;

/**
 * The path the router classifies: query and fragment dropped; percent-escapes decoded (repeatedly: a double
 * encoded `%252F` is still a slash to a decoding chain); backslashes as slashes; matrix parameters (`;x`) dropped;
 * duplicate slashes merged; `.` and `..` resolved; a NUL ends the path; trailing whitespace, control characters and
 * slashes dropped; lower case. Always starts with `/`.
 */
export function normalizeRequestPath(raw: string): string {
  // Nearly every path: segments of letters, digits, `_` and `-`, nothing to decode, trim or resolve.
  if (PLAIN_PATH.test(raw)) return raw.toLowerCase();
  let path = raw;
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const decoded = percentDecodeOnce(path);
    if (decoded === path) break;
    path = decoded;
  }
  const nul = path.indexOf('\0');
  if (nul >= 0) path = path.slice(0, nul);
  const segments = path
    .replace(/\\/g, '/')
    .split('/')
    .map((segment) => {
      const semicolon = segment.indexOf(';');
      return trimTrailingBlanks(semicolon >= 0 ? segment.slice(0, semicolon) : segment);
    });
  return `/${resolveDotSegments(segments).join('/')}`.toLowerCase();
}

/** Path prefixes under which LLM-style APIs live (OpenAI, Anthropic, Gemini, Azure OpenAI, Ollama, vLLM). */
const LLM_PREFIXES = /^\/(?:v\d+(?:alpha|beta)?\d*|openai|anthropic|api|engines|deployments|models)(?:\/|$)/;

/** Last path segments of inference endpoints, wherever they are mounted. */
const LLM_ENDPOINTS = new Set([
  'chat',
  'completions',
  'messages',
  'responses',
  'embeddings',
  'generate',
  'generate_stream',
  'invocations',
  'tokenize',
  'detokenize',
  'pooling',
  'score',
  'rerank',
  'classify',
  'moderations',
  'predict',
  'infer',
]);

/** Gemini-style `models/x:generateContent` method suffixes. */
const LLM_METHOD_SUFFIX = /:(?:stream)?generatecontent$|:predict$|:counttokens$|:embedcontent$/;

/**
 * Whether a normalised path looks like an LLM or inference API (anything that may carry prompt text to a model
 * server), so that a path the router does not route is denied or passed through by policy, never by accident.
 */
export function looksLikeLlmPath(normalizedPath: string): boolean {
  if (LLM_PREFIXES.test(normalizedPath)) return true;
  const last = normalizedPath.slice(normalizedPath.lastIndexOf('/') + 1);
  return LLM_ENDPOINTS.has(last) || LLM_METHOD_SUFFIX.test(last);
}
