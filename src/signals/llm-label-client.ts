// Asks an external OpenAI-compatible chat model to choose one label for a text (`classifiers` rules of
// `type: llm`). Time-bounded; errors name the model and what went wrong, never the prompt or the key.
import type { ExternalModel } from './external-models.ts';

/** Largest reply body read from the model; a label never needs more. */
const MAX_REPLY_BYTES = 64 * 1024;

export class LlmClassifierError extends Error {
  constructor(model: ExternalModel, reason: string) {
    super(`external classifier '${model.name}' failed: ${reason}`);
    this.name = 'LlmClassifierError';
  }
}

export interface LlmLabel {
  readonly label: string;
  /** The model's own confidence when it gives one in [0, 1], else 1. */
  readonly confidence: number;
}

export interface LabelRequest {
  readonly labels: readonly string[];
  readonly instructions?: string | undefined;
  readonly text: string;
  /** Aborts the call (the family's time budget); the model's own timeout applies as well. */
  readonly signal?: AbortSignal | undefined;
}

export function systemPrompt(labels: readonly string[], instructions: string | undefined): string {
  return [
    'You are a text classifier. Classify the user message into exactly one of these labels:',
    labels.join(', '),
    ...(instructions ? [instructions.trim()] : []),
    'Reply with only a JSON object: {"label": "<one of the labels>", "confidence": <number between 0 and 1>}.',
  ].join('\n');
}

async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_REPLY_BYTES) {
      await reader.cancel();
      throw new Error(`reply larger than ${MAX_REPLY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function replyContent(body: string): string {
  const parsed = JSON.parse(body) as { choices?: { message?: { content?: unknown } }[] };
  const content = parsed.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new Error('reply has no choices[0].message.content');
  return content;
}

/**
 * The label a reply names: a JSON object's `label` (or `category`, `class`), possibly inside other text or a code
 * fence, else the whole reply as a bare label; matched case-insensitively against `labels`.
 */
export function parseLabelReply(content: string, labels: readonly string[]): LlmLabel {
  const byKey = new Map(labels.map((l) => [l.toLowerCase(), l]));
  const start = content.indexOf('{');
  const end = content.lastIndexOf('}');
  let named: unknown = content.trim().replace(/^["'`]+|["'`.]+$/g, '');
  let confidence = 1;
  if (start >= 0 && end > start) {
    let object: Record<string, unknown>;
    try {
      object = JSON.parse(content.slice(start, end + 1)) as Record<string, unknown>;
    } catch {
      throw new Error('reply JSON does not parse');
    }
    named = object.label ?? object.category ?? object.class;
    const c = object.confidence;
    if (typeof c === 'number' && c >= 0 && c <= 1) confidence = c;
  }
  const label = typeof named === 'string' ? byKey.get(named.trim().toLowerCase()) : undefined;
  if (label === undefined) throw new Error(`reply names no label of ${labels.join(', ')}`);
  return { label, confidence };
}

/** One label for `request.text` from `model`. Throws LlmClassifierError on any failure. */
export async function classifyWithLlm(model: ExternalModel, request: LabelRequest): Promise<LlmLabel> {
  const signals = [AbortSignal.timeout(model.timeoutMs), ...(request.signal ? [request.signal] : [])];
  try {
    const response = await fetch(model.url, {
      method: 'POST',
      signal: AbortSignal.any(signals),
      headers: {
        'content-type': 'application/json',
        ...(model.apiKey !== undefined && model.apiKey !== '' && { authorization: `Bearer ${model.apiKey}` }),
      },
      body: JSON.stringify({
        model: model.modelName,
        messages: [
          { role: 'system', content: systemPrompt(request.labels, request.instructions) },
          { role: 'user', content: request.text },
        ],
        temperature: model.temperature,
        ...(model.maxTokens !== undefined && { max_tokens: model.maxTokens }),
        stream: false,
      }),
    });
    const body = await readCapped(response);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return parseLabelReply(replyContent(body), request.labels);
  } catch (error) {
    if (error instanceof LlmClassifierError) throw error;
    const reason =
      error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
        ? `no answer within ${model.timeoutMs} ms`
        : error instanceof SyntaxError
          ? 'reply is not JSON'
          : error instanceof Error
            ? error.message
            : String(error);
    throw new LlmClassifierError(model, reason);
  }
}
