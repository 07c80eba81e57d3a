// `semantic-router explain --replay FILE`: re-routes a request router_replay recorded (a record as GET /replay/<id>
// returns it) through explain with the current policy, and shows the recorded decision, model and pool beside the
// current ones.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { HEADER } from '../headers.ts';
import { type Explanation, explainRequest, formatExplanation, loadExplainPolicy } from './explain.ts';
import type { CommandIO } from './validate.ts';

const recordSchema = z.object({
  id: z.string(),
  decision: z.object({ name: z.string(), confidence: z.number() }),
  model: z.object({ name: z.string() }),
  pool: z.string(),
  request: z.object({
    path: z.string(),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    body_truncated: z.boolean().optional(),
  }),
});

export type RecordedRoute = z.infer<typeof recordSchema>;

/** A record explain cannot replay: not a replay record, or recorded without its whole request body. */
export class ReplayInputError extends Error {}

export function parseReplayRecord(text: string, file: string): RecordedRoute & { body: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ReplayInputError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success)
    throw new ReplayInputError(
      `${file} is not a router_replay record (as GET /replay/<id> returns it): ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
    );
  const record = parsed.data;
  if (record.request.body === undefined)
    throw new ReplayInputError(
      `record ${record.id} has no request body: set capture_request_body: true on the decision's router_replay plugin`,
    );
  if (record.request.body_truncated)
    throw new ReplayInputError(
      `record ${record.id} holds only the first max_body_bytes of the request: raise max_body_bytes to replay it`,
    );
  return { ...record, body: record.request.body };
}

export interface ReplayComparison {
  readonly record: {
    readonly id: string;
    readonly decision: string;
    readonly model: string;
    readonly pool: string;
  };
  readonly current: {
    readonly decision: string;
    readonly model: string | null;
    readonly pool: string | null;
  };
  readonly sameDecision: boolean;
  readonly sameModel: boolean;
  readonly samePool: boolean;
  readonly explanation: Explanation;
}

/** The decision name a replay record holds: the winner, else `default` (an auto name) or `explicit_model`. */
function currentDecision(explanation: Explanation, autoModelNames: ReadonlySet<string>): string {
  if (explanation.winner) return explanation.winner.name;
  return autoModelNames.has(explanation.request.model) ? 'default' : 'explicit_model';
}

export function formatReplay(comparison: ReplayComparison): string {
  const { record, current } = comparison;
  const mark = (same: boolean) => (same ? 'same' : 'CHANGED');
  return [
    `replay of request ${record.id}`,
    `  decision  recorded ${record.decision.padEnd(28)} now ${String(current.decision).padEnd(28)} ${mark(comparison.sameDecision)}`,
    `  model     recorded ${record.model.padEnd(28)} now ${String(current.model).padEnd(28)} ${mark(comparison.sameModel)}`,
    `  pool      recorded ${record.pool.padEnd(28)} now ${String(current.pool).padEnd(28)} ${mark(comparison.samePool)}`,
    '',
    formatExplanation(comparison.explanation),
  ].join('\n');
}

export async function explainReplayCommand(
  input: {
    readonly policyFile: string;
    readonly replayFile: string;
    readonly json: boolean;
    readonly allowUnsupported?: boolean;
  },
  io: CommandIO,
): Promise<number> {
  let record: RecordedRoute & { body: string };
  try {
    record = parseReplayRecord(await readFile(input.replayFile, 'utf8'), input.replayFile);
  } catch (error) {
    io.err(`semantic-router: ${(error as Error).message}\n`);
    return 1;
  }
  const policy = await loadExplainPolicy(input, io);
  try {
    const headers = new Map(Object.entries(record.request.headers));
    // The recorded length was the original body's; explain reads the body it is given.
    headers.delete(HEADER.contentLength);
    headers.set(HEADER.routerDebug, 'true');
    const explanation = await explainRequest(
      policy,
      input.policyFile,
      Buffer.from(record.body, 'utf8'),
      headers,
      record.request.path,
    );
    const current = {
      decision: currentDecision(explanation, policy.autoModelNames),
      model: explanation.model?.name ?? null,
      pool: explanation.pool?.name ?? null,
    };
    const comparison: ReplayComparison = {
      record: { id: record.id, decision: record.decision.name, model: record.model.name, pool: record.pool },
      current,
      sameDecision: current.decision === record.decision.name,
      sameModel: current.model === record.model.name,
      samePool: current.pool === record.pool,
      explanation,
    };
    io.out(input.json ? `${JSON.stringify(comparison, null, 2)}\n` : formatReplay(comparison));
    return 0;
  } finally {
    policy.close();
  }
}
