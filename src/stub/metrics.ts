// The stub's `GET /metrics`: vLLM's load gauges and token counters in Prometheus text format (version 0.0.4), so the
// router's server-metrics scraper and load tests read the stub as they would read vLLM.

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** What the stub has counted, as /metrics and /stub/state report it. */
export interface StubLoad {
  readonly running: number;
  readonly waiting: number;
  /** Infinity when unlimited. */
  readonly maxConcurrency: number;
  /** Finished LLM API requests by outcome: the HTTP status, `reset` (destroyed by the stub) or `aborted`. */
  readonly served: ReadonlyMap<string, number>;
  readonly promptTokens: number;
  readonly generationTokens: number;
}

/** KV-cache usage stand-in: the share of the concurrency limit in use (0 without a limit), 0..1 as vLLM's. */
export function cacheUsage(load: StubLoad): number {
  return Number.isFinite(load.maxConcurrency) ? load.running / load.maxConcurrency : 0;
}

function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function metric(
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  samples: readonly { labels: string; value: number }[],
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const { labels, value } of samples) lines.push(`${name}{${labels}} ${value}`);
  return `${lines.join('\n')}\n`;
}

/** The exposition; every sample carries `model_name` (the served model, or the pool's name without one). */
export function renderMetrics(modelName: string, load: StubLoad): string {
  const model = `model_name="${labelValue(modelName)}"`;
  const one = (value: number) => [{ labels: model, value }];
  const served = [...load.served].map(([status, value]) => ({
    labels: `${model},status="${labelValue(status)}"`,
    value,
  }));
  return [
    metric('vllm:num_requests_running', 'gauge', 'Requests in the running batch.', one(load.running)),
    metric('vllm:num_requests_waiting', 'gauge', 'Requests waiting for a slot.', one(load.waiting)),
    metric(
      'vllm:gpu_cache_usage_perc',
      'gauge',
      'KV-cache usage stand-in: running / max concurrency (1 = full).',
      one(cacheUsage(load)),
    ),
    metric(
      'vllm:prompt_tokens_total',
      'counter',
      'Prompt tokens of answered requests.',
      one(load.promptTokens),
    ),
    metric(
      'vllm:generation_tokens_total',
      'counter',
      'Generated tokens of answered requests.',
      one(load.generationTokens),
    ),
    metric(
      'stub_requests_total',
      'counter',
      'Finished LLM API requests by outcome: HTTP status, reset (socket destroyed by a fault) or aborted.',
      served,
    ),
  ].join('');
}
