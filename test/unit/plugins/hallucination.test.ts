// hallucination: an answer's figures and names are checked against the tool results and system context the request
// carried; unsupported ones set the peer's headers (or a warning before the answer); factual claims with no context
// are the peer's "unverified factual" case.
import { afterEach, describe, expect, it } from 'vitest';
import { HEADER } from '../../../src/headers.ts';
import { checkGrounding, GroundingContext } from '../../../src/plugins/grounding.ts';
import type { Policy } from '../../../src/policy/policy.ts';
import { chatAnswer, compilePlugins, exchange } from '../../helpers/response-plugins.ts';

const TOOL_CONVERSATION = [
  { role: 'user', content: 'How many people live in Lyon, and who is the mayor?' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'call_1', type: 'function', function: { name: 'city_facts', arguments: '{"city":"Lyon"}' } },
    ],
  },
  {
    role: 'tool',
    tool_call_id: 'call_1',
    content: '{"city":"Lyon","population":522250,"census_year":2021,"mayor":"Grégory Doucet"}',
  },
];
const GROUNDED = 'Lyon had 522,250 inhabitants in the 2021 census; the mayor is Grégory Doucet.';
const INVENTED = 'Lyon had 1,430,000 inhabitants in the 2019 census; the mayor is Gérard Collomb.';

const opened: Policy[] = [];
afterEach(() => {
  for (const policy of opened.splice(0)) policy.close();
});

async function answer(configuration: Record<string, unknown>, messages: readonly unknown[], content: string) {
  const policy = await compilePlugins([{ type: 'hallucination', configuration }]);
  opened.push(policy);
  const { processor } = await exchange(policy, messages, { contentType: 'application/json' });
  const result = await processor.onResponseBody(chatAnswer(content), true);
  if (result.kind !== 'continue') throw new Error('hallucination never answers in place of the model');
  return result;
}

const FACT_CHECK = {
  enabled: true,
  use_nli: true,
  hallucination_action: 'header',
  unverified_factual_action: 'header',
  include_hallucination_details: true,
};

describe('hallucination', () => {
  it('flags an answer whose figures and names are not in the tool result, and names them', async () => {
    const result = await answer(FACT_CHECK, TOOL_CONVERSATION, INVENTED);
    const headers = Object.fromEntries(result.setHeaders ?? []);
    expect(headers[HEADER.vsrHallucinationDetected]).toBe('true');
    // Non-ASCII is percent-encoded: header bytes beyond ASCII are read differently by proxies and clients.
    expect(headers[HEADER.vsrHallucinationSpans]).toBe('1,430,000; 2019; G%C3%A9rard Collomb');
    expect(result.body).toBeUndefined();
  });

  it('leaves an answer grounded in the tool result alone', async () => {
    const result = await answer(FACT_CHECK, TOOL_CONVERSATION, GROUNDED);
    expect(result.setHeaders ?? []).toEqual([]);
    expect(result.body).toBeUndefined();
  });

  it('marks factual claims made without any context as unverified', async () => {
    const result = await answer(
      FACT_CHECK,
      [{ role: 'user', content: 'How many people live in Lyon?' }],
      INVENTED,
    );
    expect(Object.fromEntries(result.setHeaders ?? [])).toMatchObject({
      [HEADER.vsrUnverifiedFactualResponse]: 'true',
      [HEADER.vsrVerificationContextMissing]: 'true',
    });
  });

  it('action body puts the warning with the unsupported spans before the answer and fixes content-length', async () => {
    const result = await answer({ ...FACT_CHECK, hallucination_action: 'body' }, TOOL_CONVERSATION, INVENTED);
    const body = JSON.parse(Buffer.from(result.body as Uint8Array).toString('utf8')) as {
      choices: { message: { content: string } }[];
      usage: unknown;
    };
    const content = body.choices[0]?.message.content ?? '';
    expect(content.startsWith('[Hallucination Warning]')).toBe(true);
    expect(content).toContain('"1,430,000", "2019", "Gérard Collomb"');
    expect(content.endsWith(INVENTED)).toBe(true);
    expect(body.usage).toBeDefined();
    expect(Object.fromEntries(result.setHeaders ?? [])[HEADER.contentLength]).toBe(
      String((result.body as Uint8Array).length),
    );
  });

  it('leaves streamed answers alone: Envoy keeps their chunks (their headers are sent before the text)', async () => {
    // With the response stage reading no body itself, nothing else asks Envoy for the stream.
    const policy = await compilePlugins([{ type: 'hallucination', configuration: FACT_CHECK }], undefined, {
      response: { read_body: false },
    });
    opened.push(policy);
    const { headersResult } = await exchange(policy, TOOL_CONVERSATION, { contentType: 'text/event-stream' });
    expect(headersResult.kind === 'continue' && headersResult.modeOverride?.responseBodyMode).toBe('NONE');
  });
});

describe('the grounding heuristic', () => {
  it('ignores list markers and sentence-initial capitals, and reads numbers whatever their separators', () => {
    const context = new GroundingContext(['Revenue was 1234567.5 USD at Acme Corp in 2024.']);
    const result = checkGrounding(
      'Sure:\n1. Revenue: 1,234,567.5 USD\n2. Company: Acme Corp (2024)',
      context,
    );
    expect(result.unsupported).toEqual([]);
    expect(result.units.map((u) => u.text)).toEqual(['1,234,567.5', 'USD', '2024', 'Acme Corp']);
  });
});
