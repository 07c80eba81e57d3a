// The tools database of `tool_selection` mode `add`, in vLLM Semantic Router's format (docs/tools-db.md): a JSON
// array of entries, each an OpenAI function tool plus optional retrieval hints. Read once at policy load.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const functionToolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().default(''),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const entrySchema = z.looseObject({
  tool: functionToolSchema,
  /** Longer text for retrieval than the tool's own description (the tool sent upstream is unchanged). */
  description: z.string().optional(),
  category: z.string().optional(),
  tags: z.array(z.string()).default([]),
});

export const toolsDbSchema = z.array(entrySchema);

export type ToolsDbEntry = z.infer<typeof entrySchema>;

export type ToolsDbLoad =
  | { readonly kind: 'loaded'; readonly entries: readonly ToolsDbEntry[] }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string };

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads and validates the database; never throws. */
export function loadToolsDb(file: string): ToolsDbLoad {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'invalid', reason: `cannot be read (${messageOf(error)})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', reason: `is not JSON (${messageOf(error)})` };
  }
  const parsed = toolsDbSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? ` at [${issue.path.join('.')}]` : '';
    return { kind: 'invalid', reason: `is not a tools database${where}: ${issue?.message ?? 'invalid'}` };
  }
  const names = new Set<string>();
  for (const entry of parsed.data) {
    if (names.has(entry.tool.function.name)) {
      return { kind: 'invalid', reason: `lists tool '${entry.tool.function.name}' twice` };
    }
    names.add(entry.tool.function.name);
  }
  return { kind: 'loaded', entries: parsed.data };
}
