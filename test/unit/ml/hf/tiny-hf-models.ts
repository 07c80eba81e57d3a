// Tiny Hugging Face-style ONNX exports for tests: a BERT WordPiece tokenizer.json, config.json and graphs with the
// input and output names real exports use (input_ids, attention_mask, token_type_ids → logits / last_hidden_state).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { attr, OnnxGraphBuilder } from '../../../../src/training/onnx-writer.ts';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'] as const;
const MATH = ['integral', 'equation', 'derivative', 'theorem'];
const CODE = ['python', 'compiler', 'javascript', 'recursion'];
const FIRST_NAMES = ['john', 'anna'];
const NAME_PARTS = ['smith', 'mul', '##ler'];
const PLACES = ['paris', 'zurich'];
const OTHER = [
  'the',
  'a',
  'in',
  'and',
  'met',
  'lives',
  'cafe',
  'solve',
  'fix',
  'my',
  'this',
  'word',
  '.',
  ',',
  '##s',
];

/** The vocabulary, id = index. */
export const VOCAB: readonly string[] = [
  ...SPECIALS,
  ...MATH,
  ...CODE,
  ...FIRST_NAMES,
  ...NAME_PARTS,
  ...PLACES,
  ...OTHER,
];

const idOf = (token: string): number => VOCAB.indexOf(token);

/** A BERT-style tokenizer.json (lowercasing, accent stripping, WordPiece, [CLS] … [SEP]). */
export function bertTokenizerJson(): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [idOf('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [idOf('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(VOCAB.map((token, id) => [token, id])),
    },
  };
}

/** A table `[VOCAB.length, width]` with `row(token)` per token. */
function table(width: number, row: (token: string) => readonly number[]): Float32Array {
  const out = new Float32Array(VOCAB.length * width);
  VOCAB.forEach((token, id) => {
    out.set(row(token).slice(0, width), id * width);
  });
  return out;
}

function inputs(builder: OnnxGraphBuilder, tokenTypes: boolean): OnnxGraphBuilder {
  builder
    .input('input_ids', 'int64', ['batch', 'sequence'])
    .input('attention_mask', 'int64', ['batch', 'sequence']);
  if (tokenTypes) builder.input('token_type_ids', 'int64', ['batch', 'sequence']);
  return builder;
}

export const CLASS_LABELS = ['math', 'code', 'other'] as const;

/**
 * Sequence classifier: logits = Σ over unmasked tokens of a per-token row (+ a token-type row when `tokenTypes`).
 * Math words push `math`, code words push `code`, every token pushes `other` a little.
 */
export function sequenceClassifierOnnx(tokenTypes: boolean): Uint8Array {
  const rows = table(3, (t) => (MATH.includes(t) ? [3, 0, 0] : CODE.includes(t) ? [0, 3, 0] : [0, 0, 0.5]));
  const builder = inputs(new OnnxGraphBuilder({ name: 'seq-cls', opset: 17 }), tokenTypes)
    .initializer('emb', rows, [VOCAB.length, 3])
    .initializer('axis_last', BigInt64Array.from([-1n]), [1])
    .initializer('axis_seq', BigInt64Array.from([1n]), [1])
    .node('Gather', ['emb', 'input_ids'], ['tok'], { axis: attr.int(0) });
  let summed = 'tok';
  if (tokenTypes) {
    builder
      .initializer('type_emb', Float32Array.from([0, 0, 0, 0, 0, 0]), [2, 3])
      .node('Gather', ['type_emb', 'token_type_ids'], ['typ'], { axis: attr.int(0) })
      .node('Add', ['tok', 'typ'], ['tok_typ']);
    summed = 'tok_typ';
  }
  return builder
    .node('Cast', ['attention_mask'], ['mask_f'], { to: attr.int(1) })
    .node('Unsqueeze', ['mask_f', 'axis_last'], ['mask_3d'])
    .node('Mul', [summed, 'mask_3d'], ['masked'])
    .node('ReduceSum', ['masked', 'axis_seq'], ['logits'], { keepdims: attr.int(0) })
    .output('logits', 'float32', ['batch', 3])
    .toBytes();
}

export const NER_LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'] as const;

export interface NerTags {
  readonly first: string;
  readonly part: string;
  readonly place: string;
}

/** Token classifier: logits per token from a table; special tokens vote like first names, so ignoring them shows. */
export function tokenClassifierOnnx(
  labels: readonly string[] = NER_LABELS,
  tags: NerTags = { first: 'B-PER', part: 'I-PER', place: 'B-LOC' },
): Uint8Array {
  const pick = (label: string): number[] => labels.map((l) => (l === label ? 4 : 0));
  const tagOf = (t: string): string => {
    if (t === '[CLS]' || t === '[SEP]' || t === '[PAD]' || FIRST_NAMES.includes(t)) return tags.first;
    if (NAME_PARTS.includes(t)) return tags.part;
    if (PLACES.includes(t)) return tags.place;
    return 'O';
  };
  const rows = table(labels.length, (t) => pick(tagOf(t)));
  return new OnnxGraphBuilder({ name: 'tok-cls', opset: 17 })
    .input('input_ids', 'int64', ['batch', 'sequence'])
    .input('attention_mask', 'int64', ['batch', 'sequence'])
    .initializer('emb', rows, [VOCAB.length, labels.length])
    .node('Gather', ['emb', 'input_ids'], ['logits'], { axis: attr.int(0) })
    .output('logits', 'float32', ['batch', 'sequence', labels.length])
    .toBytes();
}

/** Encoder: last_hidden_state is a per-token row; [PAD]'s row is large, so pooling over padding would show. */
export function featureExtractorOnnx(): Uint8Array {
  const rows = table(4, (t) => {
    if (t === '[PAD]') return [5, 5, 5, 5];
    if (MATH.includes(t)) return [1, 0, 0, 0.1];
    if (CODE.includes(t)) return [0, 1, 0, 0.1];
    if (t === '[CLS]' || t === '[SEP]') return [0, 0, 0, 0.2];
    return [0, 0, 0.4, 0.3 + 0.01 * VOCAB.indexOf(t)];
  });
  return new OnnxGraphBuilder({ name: 'encoder', opset: 17 })
    .input('input_ids', 'int64', ['batch', 'sequence'])
    .input('attention_mask', 'int64', ['batch', 'sequence'])
    .input('token_type_ids', 'int64', ['batch', 'sequence'])
    .initializer('emb', rows, [VOCAB.length, 4])
    .node('Gather', ['emb', 'input_ids'], ['last_hidden_state'], { axis: attr.int(0) })
    .output('last_hidden_state', 'float32', ['batch', 'sequence', 4])
    .toBytes();
}

function id2label(labels: readonly string[]): Record<string, string> {
  return Object.fromEntries(labels.map((label, id) => [String(id), label]));
}

export interface HfDirSpec {
  readonly onnx: Uint8Array;
  readonly labels?: readonly string[];
  readonly config?: Record<string, unknown>;
  readonly extraFiles?: Readonly<Record<string, string>>;
}

/** Writes model.onnx, tokenizer.json and config.json (with id2label/label2id) into `dir`; returns `dir`. */
export function writeHfDir(dir: string, spec: HfDirSpec): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'model.onnx'), spec.onnx);
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(bertTokenizerJson()));
  const labels = spec.labels ?? [];
  const config = {
    model_type: 'bert',
    max_position_embeddings: 512,
    ...(labels.length > 0 && {
      id2label: id2label(labels),
      label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
    }),
    ...spec.config,
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  for (const [name, text] of Object.entries(spec.extraFiles ?? {})) writeFileSync(path.join(dir, name), text);
  return dir;
}
