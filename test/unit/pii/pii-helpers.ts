// Evaluates `pii` rules the way the signal engine does (awaiting a model-backed evaluator), with one shared pool.
import { afterAll } from 'vitest';
import { OnnxSessionPool } from '../../../src/ml/onnx-session-pool.ts';
import type { RequestContext } from '../../../src/request/request-context.ts';
import { piiFamily } from '../../../src/signals/pii.ts';
import type { SignalDeps, SignalFamily, SignalMatch } from '../../../src/signals/signal-family.ts';
import { TEST_SIGNAL_DEPS } from '../../helpers/signal-family.ts';

export const testPool = new OnnxSessionPool();
afterAll(() => testPool.close());

export const PII_TEST_DEPS: SignalDeps = { ...TEST_SIGNAL_DEPS, sessionPool: testPool };

/** Parses `rawRules`, builds the evaluator (loading models if needed), evaluates `context`, closes it. */
export async function evaluate(
  rawRules: readonly unknown[],
  context: RequestContext,
  deps: SignalDeps = PII_TEST_DEPS,
  family: SignalFamily<ReturnType<typeof piiFamily.ruleSchema.parse>> = piiFamily,
): Promise<readonly SignalMatch[]> {
  const evaluator = await family.create(
    rawRules.map((raw) => family.ruleSchema.parse(raw)),
    deps,
  );
  try {
    return await evaluator.evaluate(context);
  } finally {
    evaluator.close?.();
  }
}
