// `jailbreak` family (condition type `jailbreak`): prompt-injection detection by classifier, regex patterns or both.
import { z } from 'zod';
import type { TextClassifierModel } from '../ml/model-store.ts';
import type { GuardTextRole, RequestContext } from '../request/request-context.ts';
import { closeModels, loadRuleModels, probabilitySchema, throwRuleProblems } from './classifiers.ts';
import { guardRolesSchema, scopeKey, scopeTexts } from './guard-scope.ts';
import { readUnsafe, SAFETY_CATEGORIES, type UnsafeLabels, unsafeLabelsOf } from './jailbreak-categories.ts';
import { runWindows } from './model-windows.ts';
import { defineSignalFamily, RuleConfigError, type RuleProblem, type SignalMatch } from './signal-family.ts';
import { compilePolicyRegex } from './text-matcher.ts';
import { forEachChunk, type SignalRun, UNBOUNDED_RUN } from './text-scan.ts';

/** Longest pattern match found whole across a chunk border. */
const PATTERN_MATCH_OVERLAP = 256;

/**
 * What `include_history` reads by default: what the client says (user turns, forged assistant turns, tool results
 * carrying injected instructions), not system prompts, whose defensive wording ("never ignore previous
 * instructions") would trip the patterns; `roles` can add them.
 */
const HISTORY_ROLES: readonly GuardTextRole[] = ['user', 'assistant', 'tool'];

/** P(jailbreak) that matches when neither the rule nor the model's card.json sets a threshold. */
export const DEFAULT_JAILBREAK_THRESHOLD = 0.5;

/** The label whose probability a jailbreak model reports. */
export const JAILBREAK_LABEL = 'jailbreak';

const patternList = z.array(z.string().min(1, 'patterns must not be empty strings'));

const jailbreakRuleSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  /** classifier: P(jailbreak) ≥ threshold; patterns: a jailbreak pattern and no benign one; hybrid: either. */
  method: z
    .enum(['classifier', 'patterns', 'hybrid'], { message: 'method must be classifier, patterns or hybrid' })
    .default('classifier'),
  /** Minimum P(jailbreak) (default: card.json's `threshold` of the model, else 0.5). */
  threshold: probabilitySchema.optional(),
  /**
   * Extension: match only when the likeliest unsafe label of a flagged text is one of these (the built-in model's
   * jailbreak, sexual, hate, violence, harassment, self_harm, illegal). Without it, any unsafe label matches.
   */
  categories: z
    .array(
      z.enum(SAFETY_CATEGORIES as [string, ...string[]], {
        message: `categories are ${SAFETY_CATEGORIES.join(', ')}`,
      }),
    )
    .min(1, 'categories must name at least one category')
    .optional(),
  /**
   * Read every user, assistant and tool turn (tool calls and results included; max probability) rather than only
   * the last user message. Always whole.
   */
  include_history: z.boolean().default(false),
  /** Extension, with include_history: the parts to read (system, user, assistant, tool, tools). */
  roles: guardRolesSchema,
  /** Regular expressions (RE2 spelling, case-insensitive) that flag a jailbreak. */
  jailbreak_patterns: patternList.optional(),
  /** Regular expressions that clear a text the jailbreak patterns flagged. */
  benign_patterns: patternList.optional(),
  /** Only `request` is supported. */
  direction: z.enum(['request', 'response'], { message: 'direction must be request' }).optional(),
  /** Extension: WideMLP model file or directory, or a Hugging Face export directory (default: models/jailbreak). */
  model: z.string().min(1, 'model must name a model file or directory').optional(),
});

export type JailbreakRule = z.infer<typeof jailbreakRuleSchema>;

function compilePatterns(
  patterns: readonly string[] | undefined,
  ruleIndex: number,
  field: string,
  problems: RuleProblem[],
): RegExp[] {
  const out: RegExp[] = [];
  (patterns ?? []).forEach((source, k) => {
    try {
      out.push(compilePolicyRegex(source, false, k));
    } catch (error) {
      problems.push({
        ruleIndex,
        path: `${field}.${k}`,
        message: `invalid regular expression: ${(error as Error).message}`,
        hint: 'fix the pattern (RE2 syntax; a leading (?i) and (?P<name>…) are accepted)',
      });
    }
  });
  return out;
}

function anyMatch(patterns: readonly RegExp[], text: string): boolean {
  for (const pattern of patterns) {
    pattern.lastIndex = 0;
    if (pattern.test(text)) return true;
  }
  return false;
}

interface CompiledRule {
  readonly rule: JailbreakRule;
  readonly jailbreak: readonly RegExp[];
  readonly benign: readonly RegExp[];
  readonly classifier: TextClassifierModel | undefined;
  readonly unsafe: UnsafeLabels;
  readonly threshold: number;
}

/** The highest P(unsafe) over a rule's texts whose category the rule accepts, and that category. */
interface RuleReading {
  readonly probability: number;
  readonly category: string;
}

/**
 * Classifies the texts that have something to read; a blank one (a whitespace window of a padded prompt) gets
 * all-zero probabilities, i.e. nothing unsafe: with no features a model answers from its biases alone.
 */
async function classifyNonBlank(
  classifier: TextClassifierModel,
  batch: readonly string[],
): Promise<Float32Array[]> {
  const blank = batch.map((text) => !/\S/u.test(text));
  const read = batch.filter((_, i) => !blank[i]);
  const outputs = read.length === 0 ? [] : await classifier.classify(read);
  let next = 0;
  return blank.map((isBlank) =>
    isBlank
      ? new Float32Array(classifier.labels.length)
      : (outputs[next++] ?? new Float32Array(classifier.labels.length)),
  );
}

export const jailbreakFamily = defineSignalFamily<JailbreakRule>({
  family: 'jailbreak',
  conditionType: 'jailbreak',
  ruleSchema: jailbreakRuleSchema,
  // A safety signal that cannot run must not let the request through unchecked.
  defaultOnError: 'match',
  async create(rules, deps) {
    const problems: RuleProblem[] = [];
    const patterns = rules.map((rule, ruleIndex) => {
      if (rule.direction === 'response') {
        problems.push({
          ruleIndex,
          path: 'direction',
          message: 'jailbreak detection on responses is not supported',
          hint: 'remove `direction` or set it to request',
        });
      }
      if (rule.method === 'patterns' && (rule.jailbreak_patterns ?? []).length === 0) {
        problems.push({
          ruleIndex,
          path: 'jailbreak_patterns',
          message: 'method patterns needs at least one jailbreak pattern',
          hint: 'list regular expressions under jailbreak_patterns, or use method classifier',
        });
      }
      return {
        jailbreak: compilePatterns(rule.jailbreak_patterns, ruleIndex, 'jailbreak_patterns', problems),
        benign: compilePatterns(rule.benign_patterns, ruleIndex, 'benign_patterns', problems),
      };
    });
    if (problems.length > 0) throw new RuleConfigError(problems);
    const models = await loadRuleModels(
      rules.map((r) => (r.method === 'patterns' ? undefined : (r.model ?? null))),
      deps,
      'jailbreak',
    );
    const compiled: CompiledRule[] = rules.map((rule, ruleIndex) => {
      const classifier = models.byRule[ruleIndex];
      // Case-insensitive: Hugging Face exports often spell labels in upper case.
      const hasJailbreak = classifier?.labels.some((l) => l.toLowerCase() === JAILBREAK_LABEL) ?? false;
      const unsafe = unsafeLabelsOf(classifier?.labels ?? []);
      if (classifier !== undefined && !hasJailbreak) {
        problems.push({
          ruleIndex,
          path: 'model',
          message: `model ${classifier.file} has no '${JAILBREAK_LABEL}' label (labels: ${classifier.labels.join(', ')})`,
          hint: `use a jailbreak classifier whose labels include '${JAILBREAK_LABEL}'`,
        });
      }
      const missing = (rule.categories ?? []).filter((c) => !unsafe.names.includes(c));
      if (classifier !== undefined && hasJailbreak && missing.length > 0) {
        problems.push({
          ruleIndex,
          path: 'categories',
          message: `model ${classifier.file} has no ${missing.map((c) => `'${c}'`).join(', ')} label (labels: ${classifier.labels.join(', ')})`,
          hint: 'use the built-in jailbreak model, which has every category, or drop `categories`',
        });
      }
      if (rule.categories !== undefined && rule.method === 'patterns') {
        problems.push({
          ruleIndex,
          path: 'categories',
          message: 'categories need the classifier (method classifier or hybrid)',
          hint: 'drop `categories` or use method classifier',
        });
      }
      const threshold = rule.threshold ?? classifier?.card.threshold ?? DEFAULT_JAILBREAK_THRESHOLD;
      return {
        rule,
        ...(patterns[ruleIndex] ?? { jailbreak: [], benign: [] }),
        classifier,
        unsafe,
        threshold,
      };
    });
    throwRuleProblems(problems, models);

    /** Each distinct (model, texts) runs once per request, however many rules read it. */
    const classifyScope = (
      cache: Map<string, Promise<Float32Array[]>>,
      classifier: TextClassifierModel,
      context: RequestContext,
      rule: JailbreakRule,
      run: SignalRun,
    ): Promise<Float32Array[]> => {
      const key = `${classifier.file}\u0000${scopeKey(rule, HISTORY_ROLES)}`;
      let result = cache.get(key);
      if (!result) {
        result = runWindows(scopeTexts(context, rule, HISTORY_ROLES), classifier.windowChars, run, (batch) =>
          classifyNonBlank(classifier, batch),
        ).then(({ results }) => results);
        cache.set(key, result);
      }
      return result;
    };

    const probabilityOf = async (
      c: CompiledRule,
      context: RequestContext,
      cache: Map<string, Promise<Float32Array[]>>,
      run: SignalRun,
    ): Promise<RuleReading | undefined> => {
      if (c.classifier === undefined) return undefined;
      const outputs = await classifyScope(cache, c.classifier, context, c.rule, run);
      const accepted = c.rule.categories;
      let best: RuleReading = { probability: 0, category: '' };
      for (const probabilities of outputs) {
        const reading = readUnsafe(probabilities, c.unsafe);
        if (accepted !== undefined && !accepted.includes(reading.category)) continue;
        if (reading.probability > best.probability || best.category === '') best = reading;
      }
      return best;
    };

    /** Whether a jailbreak pattern and no benign one occurs anywhere in the rule's texts (read in chunks). */
    const patternHitOf = async (
      c: CompiledRule,
      context: RequestContext,
      run: SignalRun,
    ): Promise<boolean> => {
      if (c.rule.method === 'classifier' || c.jailbreak.length === 0) return false;
      let jailbreak = false;
      let benign = false;
      await forEachChunk(
        scopeTexts(context, c.rule, HISTORY_ROLES),
        run,
        PATTERN_MATCH_OVERLAP,
        (text, chunk) => {
          const slice = text.slice(chunk.from, chunk.to);
          if (!jailbreak) jailbreak = anyMatch(c.jailbreak, slice);
          if (!benign && c.benign.length > 0) benign = anyMatch(c.benign, slice);
        },
      );
      return jailbreak && !benign;
    };

    return {
      async evaluate(context, run = UNBOUNDED_RUN) {
        const cache = new Map<string, Promise<Float32Array[]>>();
        const [probabilities, patternHits] = await Promise.all([
          Promise.all(compiled.map((c) => probabilityOf(c, context, cache, run))),
          Promise.all(compiled.map((c) => patternHitOf(c, context, run))),
        ]);
        const matches: SignalMatch[] = [];
        compiled.forEach((c, k) => {
          const { rule } = c;
          const reading = probabilities[k];
          const p = reading?.probability;
          const classifierHit = p !== undefined && p >= c.threshold && reading?.category !== '';
          const patternHit = patternHits[k] === true;
          if (!classifierHit && !patternHit) return;
          // A binary model's only unsafe label is `jailbreak`: its category says nothing.
          const category =
            c.unsafe.names.length > 1 && classifierHit ? [`category=${reading?.category}`] : [];
          const parts = [
            ...(p === undefined ? [] : [`p(jailbreak)=${p.toFixed(3)}`]),
            ...category,
            ...(patternHit ? ['pattern'] : []),
          ];
          matches.push({ name: rule.name, confidence: patternHit ? 1 : (p ?? 0), detail: parts.join(' ') });
        });
        return matches;
      },
      close: closeModels(models),
    };
  },
});
