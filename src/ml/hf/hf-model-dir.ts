// Reads a Hugging Face ONNX export directory: model.onnx, tokenizer.json, config.json and optional length settings.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelFileError } from '../onnx-session-pool.ts';

export const HF_MODEL_FILE = 'model.onnx';
export const HF_TOKENIZER_FILE = 'tokenizer.json';
export const HF_CONFIG_FILE = 'config.json';
/** Optional; its `model_max_length` lowers the max length. */
export const HF_TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
/** Optional router-specific settings: `{ "max_length": 256, "max_chars": 4096 }`. */
export const HF_ROUTER_SETTINGS_FILE = 'router.json';

/** Token count a model reads when nothing in the directory says otherwise. */
export const DEFAULT_MAX_LENGTH = 512;
/** Characters read per token of max length: texts are cut before tokenisation so huge prompts cost bounded time. */
export const CHARS_PER_TOKEN = 16;

/**
 * Characters of a text a transformer export reads whole, for callers that classify long texts window by window:
 * two characters per token keeps dense text (digits, code, CJK) from being truncated inside a window.
 */
export function hfWindowChars(files: { readonly maxLength: number; readonly maxChars: number }): number {
  return Math.max(64, Math.min(files.maxChars, files.maxLength * 2));
}

/**
 * A file of a Hugging Face model directory that is missing or broken. `file` names that file; `modelFile` is the
 * directory's model.onnx, which is what a rule's `model:` resolves to.
 */
export class HfModelFileError extends ModelFileError {
  readonly modelFile: string;

  constructor(file: string, modelFile: string, problem: string, cause?: unknown) {
    super(file, problem, cause);
    this.modelFile = modelFile;
  }
}

/** What config.json tells the router. */
export interface HfModelConfig {
  /** `id2label` in id order; empty for models without labels (feature extraction). */
  readonly labels: readonly string[];
  readonly problemType: string | undefined;
  readonly maxPositionEmbeddings: number | undefined;
}

/** The parsed files of a model directory. */
export interface HfModelDir {
  readonly dir: string;
  readonly modelFile: string;
  readonly tokenizerFile: string;
  readonly configFile: string;
  readonly config: HfModelConfig;
  readonly tokenizerJson: Record<string, unknown>;
  readonly tokenizerConfig: Record<string, unknown>;
  /** Most tokens per text, special tokens included. */
  readonly maxLength: number;
  /** Most characters of a text that are tokenised. */
  readonly maxChars: number;
}

export interface HfModelDirOptions {
  /** Overrides every max length setting of the directory (still capped by max_position_embeddings). */
  readonly maxLength?: number;
  readonly maxChars?: number;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** True when `dir` holds a tokenizer.json or config.json, i.e. is meant as a Hugging Face export. */
export async function isHfModelDir(dir: string): Promise<boolean> {
  const [tokenizer, config] = await Promise.all([
    exists(path.join(dir, HF_TOKENIZER_FILE)),
    exists(path.join(dir, HF_CONFIG_FILE)),
  ]);
  return tokenizer || config;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readJsonObject(
  file: string,
  modelFile: string,
  optional: boolean,
): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as { code?: unknown }).code === 'ENOENT';
    if (missing && optional) return undefined;
    throw new HfModelFileError(
      file,
      modelFile,
      missing ? 'not found' : `cannot be read (${messageOf(error)})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HfModelFileError(file, modelFile, `is not valid JSON (${messageOf(error)})`, error);
  }
  if (!isRecord(value)) throw new HfModelFileError(file, modelFile, 'is not a JSON object');
  return value;
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Labels of `id2label` in id order; ids must be 0..n-1 and agree with `label2id` when present. */
function parseLabels(raw: Record<string, unknown>, fail: (problem: string) => Error): string[] {
  const id2label = raw.id2label;
  if (id2label === undefined) return [];
  if (!isRecord(id2label)) throw fail('id2label must be an object of id → label');
  const labels: string[] = [];
  for (const [key, label] of Object.entries(id2label)) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || typeof label !== 'string' || label === '') {
      throw fail(`id2label has a bad entry '${key}': ${JSON.stringify(label)}`);
    }
    labels[id] = label;
  }
  for (let id = 0; id < labels.length; id++) {
    if (labels[id] === undefined) throw fail(`id2label has no label for id ${id}`);
  }
  const label2id = raw.label2id;
  if (isRecord(label2id)) {
    labels.forEach((label, id) => {
      const mapped = label2id[label];
      if (mapped !== undefined && Number(mapped) !== id) {
        throw fail(`label2id maps '${label}' to ${String(mapped)} but id2label gives it id ${id}`);
      }
    });
  }
  return labels;
}

/** Reads and checks a model directory's files; a missing or broken one throws HfModelFileError naming it. */
export async function readHfModelDir(dir: string, options: HfModelDirOptions = {}): Promise<HfModelDir> {
  const modelFile = path.join(dir, HF_MODEL_FILE);
  const tokenizerFile = path.join(dir, HF_TOKENIZER_FILE);
  const configFile = path.join(dir, HF_CONFIG_FILE);
  const [rawConfig, tokenizerJson, tokenizerConfig, settings] = await Promise.all([
    readJsonObject(configFile, modelFile, false),
    readJsonObject(tokenizerFile, modelFile, false),
    readJsonObject(path.join(dir, HF_TOKENIZER_CONFIG_FILE), modelFile, true),
    readJsonObject(path.join(dir, HF_ROUTER_SETTINGS_FILE), modelFile, true),
  ]);
  const config = rawConfig as Record<string, unknown>;
  const labels = parseLabels(config, (problem) => new HfModelFileError(configFile, modelFile, problem));
  const maxPositionEmbeddings = positiveInt(config.max_position_embeddings);
  const problemType = typeof config.problem_type === 'string' ? config.problem_type : undefined;

  const positions = maxPositionEmbeddings ?? Number.POSITIVE_INFINITY;
  const requested =
    options.maxLength ??
    positiveInt(settings?.max_length) ??
    Math.min(DEFAULT_MAX_LENGTH, positiveInt(tokenizerConfig?.model_max_length) ?? DEFAULT_MAX_LENGTH);
  const maxLength = Math.max(2, Math.min(requested, positions));
  const maxChars = options.maxChars ?? positiveInt(settings?.max_chars) ?? maxLength * CHARS_PER_TOKEN;
  return {
    dir,
    modelFile,
    tokenizerFile,
    configFile,
    config: { labels, problemType, maxPositionEmbeddings },
    tokenizerJson: tokenizerJson as Record<string, unknown>,
    tokenizerConfig: tokenizerConfig ?? {},
    maxLength,
    maxChars,
  };
}
