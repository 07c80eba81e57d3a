// `language` family: rule name = ISO 639-1 code of the last user message's language, threshold default 0.3.
import { beforeAll, describe, expect, it } from 'vitest';
import { createLanguageDetector, languageFamily, looksEnglish } from '../../../src/signals/language.ts';
import type { SignalEvaluator, SignalMatch } from '../../../src/signals/signal-family.ts';
import { type ContextInput, contextFor } from '../../helpers/request-context.ts';

const deps = { policyDir: '.' };

async function evaluatorFor(raw: readonly unknown[]): Promise<SignalEvaluator> {
  return languageFamily.create(
    raw.map((r) => languageFamily.ruleSchema.parse(r)),
    deps,
  );
}

async function evaluate(
  evaluator: SignalEvaluator,
  input: ContextInput | string,
): Promise<readonly SignalMatch[]> {
  return evaluator.evaluate(contextFor(input));
}

const CODES = ['en', 'fr', 'es', 'de', 'zh', 'ja', 'ru', 'ar', 'ko'];

describe('language: detection of full sentences', () => {
  let evaluator: SignalEvaluator;
  beforeAll(async () => {
    evaluator = await evaluatorFor(CODES.map((name) => ({ name })));
  });

  it.each([
    ['en', 'How do I reverse a linked list in Python without using extra memory?'],
    ['fr', "Bonjour, pouvez-vous m'expliquer comment fonctionne la photosynthèse des plantes vertes ?"],
    ['es', 'Hola, ¿cómo estás? Quiero aprender a programar en Python este verano.'],
    ['de', 'Guten Tag, ich möchte gerne wissen, wie das Wetter morgen in Berlin wird.'],
    ['zh', '请帮我写一个快速排序算法，并解释它的时间复杂度。'],
    ['ja', '今日はとても良い天気ですね。明日の予定を教えてください。'],
    ['ru', 'Привет, как дела? Расскажи мне, пожалуйста, о истории Москвы.'],
    ['ar', 'مرحبا، كيف حالك؟ أريد أن أتعلم البرمجة باللغة العربية.'],
  ])('%s: %s', async (code, text) => {
    const matches = await evaluate(evaluator, text);
    expect(matches.map((m) => m.name)).toEqual([code]);
    const [match] = matches;
    expect(match?.confidence).toBeGreaterThanOrEqual(0.3);
    expect(match?.confidence).toBeLessThanOrEqual(1);
    expect(match?.detail).toBe(`detected=${code}`);
  });

  it('classifies the last user message, not earlier turns or the system prompt', async () => {
    const matches = await evaluate(evaluator, {
      messages: [
        { role: 'system', content: 'Tu es un assistant utile qui répond toujours en français.' },
        { role: 'user', content: "Bonjour, pouvez-vous m'expliquer comment fonctionne la photosynthèse ?" },
        { role: 'assistant', content: 'Bien sûr !' },
        { role: 'user', content: 'Actually, please answer in English and keep it short for my students.' },
      ],
    });
    expect(matches.map((m) => m.name)).toEqual(['en']);
  });

  it('only looks at the start of a huge message', async () => {
    const text = `${'This is an English sentence about routing requests. '.repeat(50)}${'这是一个中文句子。'.repeat(20_000)}`;
    expect((await evaluate(evaluator, text)).map((m) => m.name)).toEqual(['en']);
  });
});

describe('language: very short and odd texts', () => {
  let evaluator: SignalEvaluator;
  beforeAll(async () => {
    evaluator = await evaluatorFor(CODES.map((name) => ({ name })));
  });

  it.each(['hola', 'ok', '?', '42', '👋🏽', '', '   '])(
    '%j does not crash and matches at most one code',
    async (text) => {
      const matches = await evaluate(evaluator, text);
      expect(matches.length).toBeLessThanOrEqual(1);
      for (const m of matches) expect(CODES).toContain(m.name);
    },
  );

  it.each([
    ['你好', 'zh'],
    ['谢谢', 'zh'],
    ['안녕', 'ko'],
    ['ありがとう', 'ja'],
  ])('%s falls back to its script: %s', async (text, code) => {
    expect((await evaluate(evaluator, text)).map((m) => m.name)).toEqual([code]);
  });

  it('an empty prompt matches no language', async () => {
    expect(await evaluate(evaluator, '')).toEqual([]);
  });
});

describe('language: threshold', () => {
  it.each([
    ['default (0.3) accepts the 0.8 single-script detection', { name: 'zh' }, true],
    ['0 means the default', { name: 'zh', threshold: 0 }, true],
    ['0.8 accepts a 0.8 detection', { name: 'zh', threshold: 0.8 }, true],
    ['0.9 rejects a 0.8 detection', { name: 'zh', threshold: 0.9 }, false],
  ])('%s', async (_label, rule, expected) => {
    const evaluator = await evaluatorFor([rule]);
    const matches = await evaluate(evaluator, '你好');
    expect(matches.map((m) => m.name)).toEqual(expected ? ['zh'] : []);
    if (expected) expect(matches[0]?.confidence).toBeCloseTo(0.8);
  });

  it('a threshold above the detection confidence rejects even a clear sentence', async () => {
    const text = 'How do I reverse a linked list in Python without using extra memory?';
    const strict = await evaluatorFor([{ name: 'en', threshold: 0.99 }]);
    const lenient = await evaluatorFor([{ name: 'en', threshold: 0.5 }]);
    expect(await evaluate(strict, text)).toEqual([]);
    expect((await evaluate(lenient, text)).map((m) => m.name)).toEqual(['en']);
  });
});

describe('language: `languages` list', () => {
  it.each([
    ['Japanese', '今日はとても良い天気ですね。明日の予定を教えてください。', ['cjk']],
    ['Chinese', '请帮我写一个快速排序算法，并解释它的时间复杂度。', ['cjk']],
    ['Korean', '안녕하세요, 오늘 날씨가 정말 좋네요. 내일 일정을 알려주세요.', ['cjk']],
    ['French', "Bonjour, pouvez-vous m'expliquer comment fonctionne la photosynthèse ?", ['romance']],
    ['English', 'How do I reverse a linked list in Python without using extra memory?', []],
  ])('%s', async (_label, text, expected) => {
    const evaluator = await evaluatorFor([
      { name: 'cjk', languages: ['zh', 'ja', 'ko'] },
      { name: 'romance', languages: ['fr', 'es', 'it', 'pt'] },
    ]);
    expect((await evaluate(evaluator, text)).map((m) => m.name)).toEqual(expected);
  });

  it('replaces the rule name as the code to match', async () => {
    const evaluator = await evaluatorFor([{ name: 'en', languages: ['fr'] }]);
    const english = 'How do I reverse a linked list in Python without using extra memory?';
    expect(await evaluate(evaluator, english)).toEqual([]);
  });
});

describe('createLanguageDetector', () => {
  const fake = (language: string, reliable: boolean, score: number) => () => ({
    language,
    isReliable: () => reliable,
    getScores: () => (language ? { [language]: score } : {}),
  });

  it('trusts a reliable n-gram result with its score', () => {
    expect(createLanguageDetector(fake('fr', true, 0.8))('bonjour tout le monde')).toEqual({
      code: 'fr',
      confidence: 0.8,
    });
  });

  it('decides single-language scripts without the n-gram detector', () => {
    expect(createLanguageDetector(fake('ja', true, 0.9))('你好')).toEqual({ code: 'zh', confidence: 0.8 });
    expect(createLanguageDetector(fake('zh', true, 0.9))('東京へ行きます')).toEqual({
      code: 'ja',
      confidence: 0.8,
    });
  });

  it('prefers the script over an unreliable n-gram guess for mixed text', () => {
    expect(createLanguageDetector(fake('fr', false, 0.9))('Привет 你好 ok')).toEqual({
      code: 'zh',
      confidence: 0.6,
    });
  });

  it('halves the confidence of an unreliable guess when no script decides', () => {
    expect(createLanguageDetector(fake('es', false, 0.4))('hola')).toEqual({ code: 'es', confidence: 0.2 });
  });

  it('returns nothing for blank text without calling the detector', () => {
    let called = false;
    const detector = createLanguageDetector(() => {
      called = true;
      return fake('en', true, 1)();
    });
    expect(detector(' \n ')).toBeUndefined();
    expect(called).toBe(false);
  });

  it('passes at most 400 characters to the detector', () => {
    let seen = 0;
    const detector = createLanguageDetector((text) => {
      seen = text.length;
      return fake('en', true, 1)();
    });
    detector('a'.repeat(1_000_000));
    expect(seen).toBe(400);
  });
});

describe('language: English fast path', () => {
  it.each([
    ['What is the capital of France and why is it important?', true],
    ['Explain how the attention mechanism works in a transformer model.', true],
    ['It’s a question about the “best” way to do this — which one should I use?', true],
    ['Wo ist die nächste Apotheke, bitte?', false],
    ['Ik heb een vraag over de prijs van het product in de winkel', false],
    ['ok', false],
  ])('%s → %s', (text, english) => {
    expect(looksEnglish(text)).toBe(english);
  });

  it('skips the n-gram detector for plain English', () => {
    let calls = 0;
    const detector = createLanguageDetector(() => {
      calls++;
      return { language: 'fr', getScores: () => ({ fr: 1 }), isReliable: () => true };
    });
    expect(detector('Can you tell me what the weather will be like in Paris this weekend?')?.code).toBe('en');
    expect(calls).toBe(0);
  });
});
