// The peer's recipes (../shared/vsr-config/recipes), read in place: loads one recipe's config.yaml for a test file
// (before its tests, closed after) and routes requests through the explain pipeline.
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { explainRequest } from '../../src/cli/explain.ts';
import { type LoadOptions, loadPolicyFile } from '../../src/policy/load-policy.ts';
import type { Policy } from '../../src/policy/policy.ts';
import { bodyFor } from './request-context.ts';

export const PEER_RECIPES = path.resolve('../shared/vsr-config/recipes');

/** User turns, each but the last answered by the assistant. */
export function conversation(...userTurns: string[]): { role: string; content: string }[] {
  return userTurns.flatMap((content, i) =>
    i < userTurns.length - 1
      ? [
          { role: 'user', content },
          { role: 'assistant', content: `Here is answer ${i + 1}.` },
        ]
      : [{ role: 'user', content }],
  );
}

export interface PeerRecipe {
  readonly file: string;
  /** The loaded policy (inside a test). */
  policy(): Policy;
  /** Explains a request body. */
  explain(body: Record<string, unknown>): ReturnType<typeof explainRequest>;
  /** Explains one user message sent to `model` (the recipe's auto name by default). */
  explainText(text: string, model?: string): ReturnType<typeof explainRequest>;
  /** Explains a conversation of user turns, each but the last answered. */
  explainTurns(...userTurns: string[]): ReturnType<typeof explainRequest>;
}

/** Loads `recipes/<recipe>/config.yaml` for the enclosing test file. */
export function usePeerRecipe(recipe: string, options: LoadOptions = {}): PeerRecipe {
  const file = path.join(PEER_RECIPES, recipe, 'config.yaml');
  let loaded: Policy | undefined;
  beforeAll(async () => {
    loaded = await loadPolicyFile(file, options);
  });
  afterAll(() => loaded?.close());
  const policy = () => {
    if (!loaded) throw new Error(`${file} is not loaded yet: use it inside a test`);
    return loaded;
  };
  const explain = (body: Record<string, unknown>) =>
    explainRequest(policy(), file, Buffer.from(JSON.stringify(body), 'utf8'), new Map());
  return {
    file,
    policy,
    explain,
    explainText: (text, model = 'vllm-sr/auto') => explain(bodyFor({ model, text })),
    explainTurns: (...userTurns) => explain({ model: 'vllm-sr/auto', messages: conversation(...userTurns) }),
  };
}
