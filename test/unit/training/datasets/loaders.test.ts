// The task loaders on the real shared data: label sets, deduplication, deterministic and disjoint splits.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDataset, DatasetError, readCsv } from '../../../../src/training/datasets/build.ts';
import {
  DOMAIN_LABELS,
  GUARD_LABELS,
  JAILBREAK_LABELS,
  type LabelledText,
  limitRows,
  loadDomainDataset,
  loadGuardDataset,
  loadJailbreakDataset,
  normalizeForDedupe,
  splitOf,
  type TaskDataset,
} from '../../../../src/training/datasets/index.ts';
import { JAILBREAK_UNSAFE_SOURCES, TEMPLATE_SLOT } from '../../../../src/training/datasets/jailbreak.ts';

const DATA = path.resolve('../shared/data');
const haveData = existsSync(path.join(DATA, 'mmlu-pro'));

const all = (d: TaskDataset): LabelledText[] => [...d.train, ...d.validation, ...d.test];

function expectDisjointAndDeduplicated(d: TaskDataset): void {
  const where = new Map<string, string>();
  for (const split of ['train', 'validation', 'test'] as const) {
    for (const row of d[split]) {
      const key = normalizeForDedupe(row.text);
      expect(where.has(key), `duplicate text across or within splits (${split})`).toBe(false);
      where.set(key, split);
      expect(splitOf(row.group)).toBe(split);
    }
  }
}

function expectSourcesCounted(d: TaskDataset): void {
  for (const split of ['train', 'validation', 'test'] as const) {
    expect(d.sources.reduce((a, s) => a + s[split], 0)).toBe(d[split].length);
  }
}

describe.runIf(haveData)('task data sets (../shared/data)', () => {
  let domain: TaskDataset;
  let jailbreak: TaskDataset;
  let guard: TaskDataset;
  beforeAll(() => {
    domain = loadDomainDataset(DATA);
    jailbreak = loadJailbreakDataset(DATA);
    guard = loadGuardDataset(DATA);
  });

  it('domain: 14 categories, MMLU-Pro + MMLU-Redux, deduplicated, disjoint splits', () => {
    expect(domain.labels).toEqual(DOMAIN_LABELS);
    expect(domain.labels).toHaveLength(14);
    expect(domain.labels).toContain('computer science');
    expect(new Set(all(domain).map((r) => r.label)).size).toBe(14);
    expect(domain.sources.map((s) => s.source).sort()).toEqual(['mmlu-pro', 'mmlu-redux']);
    expect(domain.dropped.duplicates).toBeGreaterThan(1000);
    expectDisjointAndDeduplicated(domain);
    expectSourcesCounted(domain);
    const n = all(domain).length;
    expect(domain.train.length / n).toBeGreaterThan(0.75);
    expect(domain.test.length / n).toBeGreaterThan(0.07);
  });

  it('guard: finance / healthcare / out_of_domain from the four gqr-proxy files', () => {
    expect(guard.labels).toEqual(GUARD_LABELS);
    expect(guard.sources.map((s) => s.source).sort()).toEqual([
      'gqr-finance-banking77',
      'gqr-healthcare-genmedgpt5k',
      'gqr-ood-olid',
      'gqr-ood-webquestions',
      'lingua-short-ood',
      'templated-ood',
    ]);
    const labelsBySource = new Map<string, Set<number>>();
    for (const row of all(guard)) {
      const set = labelsBySource.get(row.source) ?? new Set<number>();
      set.add(row.label);
      labelsBySource.set(row.source, set);
    }
    expect([...(labelsBySource.get('gqr-finance-banking77') ?? [])]).toEqual([0]);
    expect([...(labelsBySource.get('gqr-healthcare-genmedgpt5k') ?? [])]).toEqual([1]);
    expect([...(labelsBySource.get('gqr-ood-olid') ?? [])]).toEqual([2]);
    expect([...(labelsBySource.get('templated-ood') ?? [])]).toEqual([2]);
    expectDisjointAndDeduplicated(guard);
    expectSourcesCounted(guard);
  });

  it('jailbreak: benign and unsafe categories, every source present in training, disjoint splits', () => {
    expect(jailbreak.labels).toEqual(JAILBREAK_LABELS);
    const sources = jailbreak.sources.map((s) => s.source).sort();
    expect(sources).toEqual([
      'clinc150-benign',
      'deepset-benign',
      'deepset-injection',
      'gptfuzz-template',
      'gqr-finance-benign',
      'gqr-healthcare-benign',
      'hh-red-team-unmatched',
      'hh-red-team-unsafe',
      'jbb-goal',
      'jbb-jailbreak',
      'lingua-benign',
      'lingua-short-benign',
      'mmlu-pro-benign',
      'moderation-safe',
      'moderation-unsafe',
      'routerbench-benign',
      'templated-benign',
      'templated-task-benign',
      'templated-trigger-benign',
      'templated-unsafe',
      'webquestions-benign',
      'xstest-safe',
    ]);
    for (const s of jailbreak.sources) expect(s.train).toBeGreaterThan(0);
    const attacks = ['jbb-jailbreak', 'gptfuzz-template', 'deepset-injection'];
    const seenLabels = new Set<number>();
    for (const row of all(jailbreak)) {
      seenLabels.add(row.label);
      if (attacks.includes(row.source)) expect(row.label).toBe(1);
      else if (JAILBREAK_UNSAFE_SOURCES.includes(row.source)) expect(row.label).toBeGreaterThan(0);
      else expect(row.label).toBe(0);
      expect(row.text).not.toContain(TEMPLATE_SLOT);
    }
    // Every category has examples.
    expect([...seenLabels].sort()).toEqual(JAILBREAK_LABELS.map((_, i) => i));
    // clinc150's test split and the alpacaeval prompts are evaluation-only.
    const clincTest = new Set(
      readCsv(DATA, 'clinc150/clinc150_full.csv', ['split', 'text'])
        .filter((r) => r.split === 'test')
        .map((r) => normalizeForDedupe(r.text ?? '')),
    );
    const alpaca = new Set(
      readCsv(DATA, 'alpacaeval-prompts/alpaca_eval_instructions.csv', ['instruction']).map((r) =>
        normalizeForDedupe(r.instruction ?? ''),
      ),
    );
    for (const row of all(jailbreak)) {
      const key = normalizeForDedupe(row.text);
      if (row.source === 'clinc150-benign') expect(clincTest.has(key)).toBe(false);
      expect(alpaca.has(key)).toBe(false);
    }
    expectDisjointAndDeduplicated(jailbreak);
    expectSourcesCounted(jailbreak);
  });

  it('jailbreak: gptfuzz templates and jbb behaviors each live in exactly one split', () => {
    const splitsOf = new Map<string, Set<string>>();
    for (const split of ['train', 'validation', 'test'] as const) {
      for (const row of jailbreak[split]) {
        if (row.source !== 'gptfuzz-template' && row.source !== 'jbb-jailbreak') continue;
        const set = splitsOf.get(row.group) ?? new Set<string>();
        set.add(split);
        splitsOf.set(row.group, set);
      }
    }
    const templates = [...splitsOf.keys()].filter((g) => g.startsWith('gptfuzz-template:'));
    const behaviors = [...splitsOf.keys()].filter((g) => g.startsWith('jbb-behavior:'));
    expect(templates.length).toBeGreaterThan(60);
    expect(behaviors.length).toBeGreaterThan(90);
    for (const set of splitsOf.values()) expect(set.size).toBe(1);
    // Held-out templates exist, and several harmful goals fill each template.
    const testTemplates = new Set(
      jailbreak.test.filter((r) => r.source === 'gptfuzz-template').map((r) => r.group),
    );
    expect(testTemplates.size).toBeGreaterThan(0);
    const perTemplate = new Map<string, number>();
    for (const row of all(jailbreak)) {
      if (row.source === 'gptfuzz-template')
        perTemplate.set(row.group, (perTemplate.get(row.group) ?? 0) + 1);
    }
    expect(Math.max(...perTemplate.values())).toBeGreaterThanOrEqual(3);
  });

  it('jailbreak: everyday-instruction templates are held out whole; greetings are training-only', () => {
    const templated = all(jailbreak).filter((r) => r.source === 'templated-benign');
    const splitsOf = new Map<string, Set<string>>();
    for (const split of ['train', 'validation', 'test'] as const) {
      for (const row of jailbreak[split].filter((r) => r.source === 'templated-benign')) {
        splitsOf.set(row.group, (splitsOf.get(row.group) ?? new Set()).add(split));
      }
    }
    for (const set of splitsOf.values()) expect(set.size).toBe(1);
    expect(jailbreak.test.some((r) => r.source === 'templated-benign')).toBe(true);
    const greetings = templated.filter((r) => ['hi', 'Hello!', 'thanks'].includes(r.text));
    expect(greetings).toHaveLength(3);
    for (const row of greetings) expect(jailbreak.train).toContain(row);
  });

  it('loading twice gives identical splits', () => {
    const again = loadJailbreakDataset(DATA);
    for (const split of ['train', 'validation', 'test'] as const) {
      expect(again[split].map((r) => r.text)).toEqual(jailbreak[split].map((r) => r.text));
    }
    const domainAgain = loadDomainDataset(DATA);
    expect(domainAgain.test.map((r) => r.text)).toEqual(domain.test.map((r) => r.text));
  });

  it('limitRows keeps a deterministic subset with recounted sources', () => {
    const small = limitRows(guard, 300);
    expect(small.train).toHaveLength(300);
    expect(small.validation.length).toBeLessThanOrEqual(40);
    expectSourcesCounted(small);
    expect(limitRows(guard, 300).train.map((r) => r.text)).toEqual(small.train.map((r) => r.text));
  });
});

describe('buildDataset', () => {
  it('keeps the first of duplicates by normalised text and drops empty texts', () => {
    const d = buildDataset(
      'guard',
      ['a', 'b'],
      [
        { text: 'Hello, world!', label: 0, source: 's1' },
        { text: 'hello world', label: 1, source: 's2' },
        { text: '  ?! ', label: 0, source: 's1' },
        { text: 'other', label: 1, source: 's2' },
      ],
      { s1: ['f1.csv'] },
      'test',
    );
    const rows = all(d);
    expect(rows.map((r) => r.text).sort()).toEqual(['Hello, world!', 'other']);
    expect(d.dropped).toEqual({ duplicates: 1, empty: 1 });
    expect(rows.find((r) => r.text === 'Hello, world!')?.label).toBe(0);
  });

  it('reports a missing data file as a DatasetError', () => {
    expect(() => loadGuardDataset('/nonexistent-data-dir')).toThrow(DatasetError);
  });
});
