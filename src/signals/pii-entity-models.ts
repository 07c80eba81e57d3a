// Loading the entity models of `pii` rules that need one: imported by the family only for such a rule, so a policy
// of validator-only rules never loads ONNX Runtime's model code or the tokenizers.
import { BUILTIN_MODELS_DIR, defaultSessionPool, resolveModelFile } from '../ml/model-store.ts';
import { loadSpanModel, SPAN_MODEL_LOADERS, type SpanModelLoader } from '../ml/pii/span-model-loader.ts';
import type { SpanModel } from '../ml/span-model.ts';
import { modelFileRuleError } from './classifiers.ts';
import { BUILTIN_PII_MODEL, needsEntityModel, type PiiRule } from './pii.ts';
import type { SignalDeps } from './signal-family.ts';

/**
 * The entity model of each rule (undefined for a rule that needs none), each distinct file loaded once; a file that
 * cannot be loaded is a rule error naming the rules that use it.
 */
export async function loadPiiEntityModels(
  rules: readonly PiiRule[],
  deps: SignalDeps,
  loaders: readonly SpanModelLoader[] = SPAN_MODEL_LOADERS,
): Promise<(SpanModel | undefined)[]> {
  const specs = rules.map((r) => (needsEntityModel(r) ? (r.model ?? null) : undefined));
  const builtinDir = deps.builtinModelsDir ?? BUILTIN_MODELS_DIR;
  const files = await Promise.all(
    specs.map((spec) =>
      spec === undefined
        ? undefined
        : resolveModelFile(spec ?? undefined, deps.policyDir, BUILTIN_PII_MODEL, builtinDir),
    ),
  );
  const pool = deps.sessionPool ?? defaultSessionPool();
  const loaded = new Map<string, SpanModel>();
  try {
    for (const file of new Set(files)) {
      if (file !== undefined) loaded.set(file, await loadSpanModel(pool, file, loaders));
    }
  } catch (error) {
    for (const model of loaded.values()) model.close();
    throw modelFileRuleError(error, files, (ruleIndex) => specs[ruleIndex] === null, {
      kind: 'a PII entity',
      builtin: BUILTIN_PII_MODEL,
    });
  }
  return files.map((file) => (file === undefined ? undefined : loaded.get(file)));
}
