// Prometheus text expositions of vLLM, SGLang and TGI into queue, batch and KV-cache figures.
import { describe, expect, it } from 'vitest';
import {
  hasLoad,
  MAX_LINE_CHARS,
  parseSampleValue,
  parseServerMetrics,
  ServerMetricsParser,
} from '../../../src/pools/server-metrics.ts';
import { SGLANG, TGI, VLLM_V0, VLLM_V1 } from './fixtures/engine-metrics.ts';

describe('parseServerMetrics on real engine expositions', () => {
  it('reads vLLM V1: counts summed over engines, KV-cache usage the fullest engine', () => {
    expect(parseServerMetrics(VLLM_V1)).toEqual({ waiting: 3, running: 21, kvCacheUsage: 0.8125 });
  });

  it('reads vLLM V0 (gpu_cache_usage_perc), ignoring the CPU cache and swapped requests', () => {
    expect(parseServerMetrics(VLLM_V0)).toEqual({
      waiting: 0,
      running: 4,
      kvCacheUsage: 0.07366764261775863,
    });
  });

  it('reads SGLang (num_queue_reqs, num_running_reqs, token_usage)', () => {
    expect(parseServerMetrics(SGLANG)).toEqual({ waiting: 2826, running: 7, kvCacheUsage: 0.28 });
  });

  it('reads TGI (queue size, current batch size; no KV-cache figure)', () => {
    expect(parseServerMetrics(TGI)).toEqual({ waiting: 4, running: 16 });
  });

  it('sums over model_name label sets (several models or LoRA adapters behind one endpoint)', () => {
    const text = [
      'vllm:num_requests_waiting{model_name="a"} 2',
      'vllm:num_requests_waiting{model_name="b"} 5',
      'vllm:num_requests_running{model_name="a"} 1',
    ].join('\n');
    expect(parseServerMetrics(text)).toEqual({ waiting: 7, running: 1 });
  });
});

describe('parseServerMetrics robustness', () => {
  it('returns nothing for an empty body or one without a known metric', () => {
    expect(parseServerMetrics('')).toEqual({});
    expect(hasLoad(parseServerMetrics(''))).toBe(false);
    expect(parseServerMetrics('# HELP up\nup 1\nnode_load1 0.5\n')).toEqual({});
    expect(hasLoad(parseServerMetrics(TGI))).toBe(true);
  });

  it('skips comments, including ones that mention a known metric', () => {
    const text =
      '# vllm:num_requests_waiting 100\n  # TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting 1\n';
    expect(parseServerMetrics(text)).toEqual({ waiting: 1 });
  });

  it('handles label values with escaped quotes, backslashes, braces, newlines and spaces', () => {
    const text = [
      String.raw`vllm:num_requests_running{model_name="a \"quoted\" } name",path="C:\\models\\x",note="line\nbreak"} 3`,
      String.raw`vllm:num_requests_running{model_name="trailing backslash \\"} 4`,
    ].join('\n');
    expect(parseServerMetrics(text)).toEqual({ running: 7 });
  });

  it('ignores NaN, infinities and negative values instead of reading them as load', () => {
    const text = [
      'vllm:num_requests_waiting{engine="0"} NaN',
      'vllm:num_requests_waiting{engine="1"} +Inf',
      'vllm:num_requests_waiting{engine="2"} -Inf',
      'vllm:num_requests_running{engine="0"} -1',
      'vllm:kv_cache_usage_perc{engine="0"} NaN',
    ].join('\n');
    expect(parseServerMetrics(text)).toEqual({});
    expect(parseServerMetrics(`${text}\nvllm:num_requests_waiting{engine="3"} 2`)).toEqual({ waiting: 2 });
  });

  it('reads exponents, leading signs and fractions without a leading digit', () => {
    const text = [
      'vllm:num_requests_waiting 1.5e1',
      'vllm:num_requests_waiting 2E+0',
      'vllm:num_requests_running +3',
      'vllm:kv_cache_usage_perc .25',
    ].join('\n');
    expect(parseServerMetrics(text)).toEqual({ waiting: 17, running: 3, kvCacheUsage: 0.25 });
  });

  it('ignores a trailing timestamp, CRLF line endings and tabs', () => {
    const text =
      'vllm:num_requests_waiting{model_name="m"} 6 1712345678000\r\nvllm:num_requests_running\t2\r\n';
    expect(parseServerMetrics(text)).toEqual({ waiting: 6, running: 2 });
  });

  it('matches names exactly: suffixed and prefixed metrics are not ours', () => {
    const text = [
      'vllm:num_requests_waiting_total 50',
      'vllm:num_requests_waiting_by_reason{reason="capacity"} 50',
      'xvllm:num_requests_waiting 50',
      'tgi_queue_size_bucket{le="1"} 50',
    ].join('\n');
    expect(parseServerMetrics(text)).toEqual({});
  });

  it('skips malformed lines and keeps going', () => {
    const text = [
      'vllm:num_requests_waiting{model_name="unclosed 3',
      'vllm:num_requests_waiting{model_name="m"',
      'vllm:num_requests_waiting',
      'vllm:num_requests_waiting abc',
      'vllm:num_requests_waiting 0x10',
      'vllm:num_requests_waiting{model_name="m"}4',
      'vllm:num_requests_waiting5',
      '{',
      '}',
      '"',
      'vllm:num_requests_running 1',
    ].join('\n');
    expect(parseServerMetrics(text)).toEqual({ running: 1 });
  });

  it('clamps a KV-cache usage above 1 to 1', () => {
    expect(parseServerMetrics('sglang:token_usage 1.7')).toEqual({ kvCacheUsage: 1 });
  });

  it('reads names quoted inside the label set (Prometheus 3 UTF-8 names)', () => {
    const text = '{"vllm:num_requests_running", model_name="m"} 4\n{"other.metric"} 9\n{model_name="m"} 9';
    expect(parseServerMetrics(text)).toEqual({ running: 4 });
  });

  it('parses a multi-megabyte body of unknown series and finds the one that matters at the end', () => {
    const noise = Array.from(
      { length: 60_000 },
      (_, i) => `vllm:request_prompt_tokens_bucket{engine="0",le="${i}",model_name="Qwen/Qwen3-8B"} ${i}.0`,
    ).join('\n');
    const text = `${noise}\nvllm:num_requests_waiting{model_name="Qwen/Qwen3-8B"} 11\n`;
    expect(text.length).toBeGreaterThan(4_000_000);
    expect(parseServerMetrics(text)).toEqual({ waiting: 11 });
  });

  it('skips a line longer than MAX_LINE_CHARS and reads on after it', () => {
    const huge = `vllm:num_requests_waiting{x="${'a'.repeat(MAX_LINE_CHARS)}"} 1`;
    expect(parseServerMetrics(`${huge}\nvllm:num_requests_running 2\n`)).toEqual({ running: 2 });
    expect(parseServerMetrics(`vllm:num_requests_running{x="${'a'.repeat(1000)}"} 2`)).toEqual({
      running: 2,
    });
  });
});

describe('ServerMetricsParser (incremental)', () => {
  const bodies = { VLLM_V1, VLLM_V0, SGLANG, TGI };

  it.each([1, 2, 7, 64, 1000])('gives the same result whatever the chunking (%d-char chunks)', (size) => {
    for (const body of Object.values(bodies)) {
      const parser = new ServerMetricsParser();
      for (let i = 0; i < body.length; i += size) parser.push(body.slice(i, i + size));
      expect(parser.result()).toEqual(parseServerMetrics(body));
    }
  });

  it('reads a last line without a newline, and skips an over-long line split across chunks', () => {
    const parser = new ServerMetricsParser();
    parser.push('vllm:num_requests_waiting{x="');
    for (let i = 0; i < 10; i++) parser.push('a'.repeat(MAX_LINE_CHARS / 4));
    parser.push('"} 5\nvllm:num_requests_running 3\nvllm:kv_cache_usage_perc 0.5');
    expect(parser.result()).toEqual({ running: 3, kvCacheUsage: 0.5 });
  });
});

describe('parseSampleValue', () => {
  it.each([
    ['0', 0],
    ['12.0', 12],
    ['-3.5', -3.5],
    ['1e3', 1000],
    ['1.2345e+06', 1_234_500],
    ['5E-1', 0.5],
    ['.5', 0.5],
    ['7.', 7],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
    ['Inf', Number.POSITIVE_INFINITY],
  ])('%s → %d', (token, value) => {
    expect(parseSampleValue(token)).toBe(value);
  });

  it.each(['NaN', 'nan'])('%s → NaN', (token) => {
    expect(parseSampleValue(token)).toBeNaN();
  });

  it.each(['', 'abc', '0x10', '1_000', '1e', '--1', '1.2.3', ' 1'])('rejects %j', (token) => {
    expect(parseSampleValue(token)).toBeUndefined();
  });
});
