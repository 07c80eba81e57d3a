// The rewritten body keeps the bytes of unchanged members and always parses to the patched object.
import { describe, expect, it } from 'vitest';
import { rewriteTopLevel } from '../../../src/request/body-rewrite.ts';
import { decodeJsonBody } from '../../../src/request/openai-request.ts';
import { fuzzCases } from '../../helpers/request-fuzz.ts';

function rewrite(text: string, patch: (body: Record<string, unknown>) => void) {
  const bytes = Buffer.from(text, 'utf8');
  const original = JSON.parse(text) as Record<string, unknown>;
  const patched = { ...original };
  patch(patched);
  const out = rewriteTopLevel(bytes, original, patched).toString('utf8');
  return { out, patched };
}

describe('rewriteTopLevel', () => {
  it('replaces the model and keeps every other member byte for byte', () => {
    const text = `{ "model" : "auto",\n "messages": [{"role":"user","content":"a \\"quoted\\" } ] , brace"}],  "stream":true }`;
    const { out, patched } = rewrite(text, (b) => {
      b.model = 'Qwen/Qwen3-8B';
    });
    expect(JSON.parse(out)).toEqual(patched);
    expect(out).toContain('"messages": [{"role":"user","content":"a \\"quoted\\" } ] , brace"}]');
    expect(out).toContain('"stream":true');
  });

  it('adds new members, drops deleted ones, keeps only the last of repeated keys', () => {
    const { out, patched } = rewrite('{"model":"a","model":"b","x":1,"y":{"z":[1,2,{"w":"}"}]}}', (b) => {
      b.chat_template_kwargs = { enable_thinking: true };
      delete b.x;
    });
    expect(JSON.parse(out)).toEqual(patched);
    expect(out.match(/"model"/g)).toHaveLength(1);
    expect(out).toContain('"y":{"z":[1,2,{"w":"}"}]}');
  });

  it.each([
    ['small', 100],
    ['large', 300 * 1024],
  ])('writes a %s body as the kept members byte for byte, separated by commas', (_size, contentChars) => {
    const messages = `[ {"role": "user", "content": "${'é'.repeat(contentChars / 2)}"} ]`;
    const text = `{"model": "auto", "messages": ${messages}, "x": 1, "n": 1.50}`;
    const { out } = rewrite(text, (b) => {
      b.model = 'Qwen/Qwen3-8B';
      delete b.x;
      b.y = { z: 'ü' };
    });
    expect(out).toBe(`{"model":"Qwen/Qwen3-8B","messages": ${messages},"n": 1.50,"y":{"z":"ü"}}`);
  });

  it('keeps escaped keys and lone surrogates exactly as sent', () => {
    const text = '{"mo\\u0064el":"auto","content":"\\ud800 lone","n":-1.5e3}';
    const { out, patched } = rewrite(text, (b) => {
      b.model = 'm';
    });
    expect(JSON.parse(out)).toEqual(patched);
    expect(out).toContain('"content":"\\ud800 lone"');
  });

  it('keeps members under non-ASCII keys, read as the parser reads them', () => {
    const text = '{"clé":"v","模型":2,"model":"auto","caf\\u00e9":3}';
    const { out, patched } = rewrite(text, (b) => {
      b.model = 'm';
    });
    expect(JSON.parse(out)).toEqual(patched);
    expect(out).toContain('"clé":"v"');
    expect(out).toContain('"模型":2');
    expect(out).toContain('"caf\\u00e9":3');
  });

  it('parses to the patched body for every fuzzed request that parses (fixed seed)', () => {
    let checked = 0;
    for (const fuzz of fuzzCases(99, 2_000)) {
      let original: Record<string, unknown>;
      try {
        original = decodeJsonBody(fuzz.bytes);
      } catch {
        continue;
      }
      const patched: Record<string, unknown> = { ...original, model: 'rewritten', extra: [1, { a: 'b' }] };
      const out = rewriteTopLevel(fuzz.bytes, original, patched);
      expect(JSON.parse(out.toString('utf8'))).toEqual(JSON.parse(JSON.stringify(patched)));
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
  });
});
