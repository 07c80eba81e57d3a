// The Grafana dashboard and alert rules under deploy/ refer only to metrics, labels and label values the router
// exports (src/telemetry/metric-names.ts); promtool checks and unit-tests the rules when it is installed.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ERROR_CODES } from '../../src/errors.ts';
import {
  ERROR_REASON,
  LABEL,
  METRIC,
  METRIC_LABELS,
  type MetricName,
  RELOAD_OUTCOMES,
  RESPONSE_PATHS,
  STAGES,
  TOKEN_TYPES,
} from '../../src/telemetry/metric-names.ts';

const DASHBOARD_FILE = 'deploy/grafana/semantic-router-dashboard.json';
const ALERTS_FILE = 'deploy/prometheus/alerts.yaml';
const ALERT_TESTS_FILE = 'deploy/prometheus/alerts.test.yaml';

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];
/** Series Prometheus itself produces for each target. */
const PROMETHEUS_SERIES = new Set(['up']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
]);
KEYWORDS.add('unless').add('offset').add('inf').add('nan');

/** The values a bounded label may take; labels named after policy objects (decision, model, …) are open. */
const LABEL_VALUES: Partial<Record<string, ReadonlySet<string>>> = {
  [LABEL.responsePath]: new Set(RESPONSE_PATHS),
  [LABEL.stage]: new Set(STAGES),
  [LABEL.outcome]: new Set(RELOAD_OUTCOMES),
  [LABEL.tokenType]: new Set(TOKEN_TYPES),
  [LABEL.reason]: new Set([...Object.keys(ERROR_CODES), ...Object.values(ERROR_REASON)]),
};

const METRIC_NAMES = new Set<string>(Object.values(METRIC));

interface Matcher {
  readonly label: string;
  readonly op: string;
  readonly value: string;
}

interface SeriesReference {
  readonly name: string;
  /** The exported metric the name belongs to (histogram suffixes stripped); undefined when unknown. */
  readonly metric: MetricName | undefined;
  readonly matchers: readonly Matcher[];
}

interface ExpressionReferences {
  readonly series: readonly SeriesReference[];
  readonly groupingLabels: readonly string[];
}

function exportedMetric(name: string): MetricName | undefined {
  if (METRIC_NAMES.has(name)) return name as MetricName;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && METRIC_NAMES.has(base)) return base as MetricName;
  }
  return undefined;
}

function reference(name: string, matchers: readonly Matcher[]): SeriesReference {
  return { name, metric: exportedMetric(name), matchers };
}

function parseMatchers(body: string): Matcher[] {
  return [...body.matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map(
    ([, label, op, value]) => ({
      label: label as string,
      op: op as string,
      value: value as string,
    }),
  );
}

/** Series selectors and grouping labels of a PromQL expression (enough PromQL for dashboards and rules). */
function promqlReferences(expr: string): ExpressionReferences {
  const series: SeriesReference[] = [];
  const groupingLabels: string[] = [];
  let rest = expr.replace(
    /([a-zA-Z_:][\w:]*)?\s*\{([^}]*)\}/g,
    (_match, name: string | undefined, body: string) => {
      const matchers = parseMatchers(body);
      const named = name ?? matchers.find((m) => m.label === '__name__' && m.op === '=')?.value;
      if (named === undefined) throw new Error(`selector without a metric name in: ${expr}`);
      series.push(reference(named, matchers));
      return ' ';
    },
  );
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_match, _kw, labels: string) => {
      groupingLabels.push(
        ...labels
          .split(',')
          .map((label) => label.trim())
          .filter(Boolean),
      );
      return ' ';
    },
  );
  for (const match of rest.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)) {
    const name = match[1] as string;
    if (!KEYWORDS.has(name.toLowerCase())) series.push(reference(name, []));
  }
  return { series, groupingLabels };
}

/** Problems with one expression: unknown metrics, labels a metric does not have, impossible label values. */
function problems(expr: string, allowPrometheusSeries: boolean): string[] {
  const found: string[] = [];
  const { series, groupingLabels } = promqlReferences(expr);
  if (series.length === 0) found.push(`no metric in: ${expr}`);
  const available = new Set<string>(TARGET_LABELS);
  for (const { name, metric, matchers } of series) {
    if (!metric) {
      if (!(allowPrometheusSeries && PROMETHEUS_SERIES.has(name)))
        found.push(`unknown metric ${name} in: ${expr}`);
      continue;
    }
    const labels = new Set<string>([...METRIC_LABELS[metric], ...TARGET_LABELS]);
    if (name.endsWith('_bucket')) labels.add('le');
    for (const label of labels) available.add(label);
    for (const { label, op, value } of matchers) {
      if (!labels.has(label)) found.push(`${metric} has no label ${label} (in: ${expr})`);
      const allowed = LABEL_VALUES[label];
      if (allowed && (op === '=' || op === '!=') && !allowed.has(value))
        found.push(`${label}="${value}" is never exported (in: ${expr})`);
    }
  }
  for (const label of groupingLabels)
    if (!available.has(label)) found.push(`grouping by ${label}, which no metric here has (in: ${expr})`);
  return found;
}

interface GrafanaPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly datasource?: { type: string; uid: string };
  readonly targets?: readonly { expr: string; refId: string }[];
  readonly panels?: readonly GrafanaPanel[];
}

interface GrafanaDashboard {
  readonly title: string;
  readonly uid: string;
  readonly panels: readonly GrafanaPanel[];
  readonly templating: { list: readonly { name: string; type: string; query: unknown }[] };
}

interface AlertRule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as GrafanaDashboard;
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const dashboardExprs = panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
const rules = (
  parseYaml(readFileSync(ALERTS_FILE, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] }
).groups.flatMap((group) => group.rules);

function promtool(): string | undefined {
  const found = spawnSync('scripts/prometheus.sh', ['promtool'], { encoding: 'utf8', timeout: 300_000 });
  return found.status === 0 ? found.stdout.trim() : undefined;
}
const promtoolPath = promtool();
if (!promtoolPath)
  console.warn(
    'promtool is not available and could not be installed (scripts/prometheus.sh): rule checks skipped',
  );

describe('PromQL reference extraction', () => {
  it('finds metrics, matchers and grouping labels, and ignores functions, ranges and keywords', () => {
    const refs = promqlReferences(
      'histogram_quantile(0.99, sum by (stage, le) (rate(router_stage_duration_seconds_bucket{job=~"$job", stage="parse"}[$__rate_interval]))) > 1e-3 and on (job) up offset 5m',
    );
    expect(refs.series.map((s) => s.name)).toEqual(['router_stage_duration_seconds_bucket', 'up']);
    expect(refs.series[0]?.metric).toBe(METRIC.stageDuration);
    expect(refs.series[0]?.matchers).toEqual([
      { label: 'job', op: '=~', value: '$job' },
      { label: 'stage', op: '=', value: 'parse' },
    ]);
    expect(refs.groupingLabels).toEqual(['stage', 'le', 'job']);
  });

  it('reports unknown metrics, labels and label values', () => {
    expect(problems('rate(router_nope_total[5m])', false)).toEqual([
      'unknown metric router_nope_total in: rate(router_nope_total[5m])',
    ]);
    expect(problems('router_errors_total{stage="parse"}', false)[0]).toMatch(/has no label stage/);
    expect(problems('router_errors_total{reason="no_pool"}', false)[0]).toMatch(
      /reason="no_pool" is never exported/,
    );
    expect(problems('sum by (decision) (router_errors_total)', false)[0]).toMatch(/grouping by decision/);
    expect(problems('up == 0', false)[0]).toMatch(/unknown metric up/);
  });
});

describe(`Grafana dashboard (${DASHBOARD_FILE})`, () => {
  it('is a dashboard with unique panel ids, a layout and the Prometheus datasource variable', () => {
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.uid).toBe('semantic-router');
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect(panel.gridPos.w, panel.title).toBeGreaterThan(0);
      if (panel.type !== 'row') {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
        expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      }
    }
    expect(dashboard.templating.list.map((variable) => variable.name)).toEqual([
      'datasource',
      'job',
      'instance',
    ]);
  });

  it('queries only exported metrics, labels and label values', () => {
    expect(dashboardExprs.length).toBeGreaterThan(10);
    expect(dashboardExprs.flatMap((expr) => problems(expr, false))).toEqual([]);
  });

  it('has template variables over exported metrics and labels', () => {
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const query = (variable.query as { query: string }).query;
      const match = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
      expect(match, query).not.toBeNull();
      expect(problems(match?.[1] as string, false)).toEqual([]);
      expect(TARGET_LABELS).toContain(match?.[2]);
    }
  });

  it('shows traffic by decision, model and pool, errors, latency, streams, policy and signal matches', () => {
    const referenced = new Set(
      dashboardExprs.flatMap((expr) => promqlReferences(expr).series.map((s) => s.metric)),
    );
    for (const metric of [
      METRIC.requests,
      METRIC.errors,
      METRIC.requestDuration,
      METRIC.stageDuration,
      METRIC.inflightStreams,
      METRIC.policyGeneration,
      METRIC.policyReloads,
      METRIC.signalMatches,
    ])
      expect(referenced, metric).toContain(metric);
    const grouped = new Set(dashboardExprs.flatMap((expr) => promqlReferences(expr).groupingLabels));
    for (const label of [LABEL.decision, LABEL.model, LABEL.pool, LABEL.reason, LABEL.stage, LABEL.outcome])
      expect(grouped, label).toContain(label);
    const latency = dashboardExprs.filter((expr) => expr.includes(`${METRIC.requestDuration}_bucket`));
    expect(latency.some((expr) => expr.startsWith('histogram_quantile(0.5,'))).toBe(true);
    expect(latency.some((expr) => expr.startsWith('histogram_quantile(0.99,'))).toBe(true);
  });
});

describe(`Prometheus alert rules (${ALERTS_FILE})`, () => {
  it('has the alerts users need', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'RouterHighErrorRate',
        'RouterHighP99Latency',
        'RouterNoHealthyPool',
        'RouterPolicyReloadFailing',
        'RouterSignalsFailing',
        'RouterPoolBreakerOpen',
        'RouterStateStoreDown',
        'RouterDown',
      ]),
    );
  });

  it('gives every alert a `for`, a severity label and a summary annotation', () => {
    for (const rule of rules.filter((r) => r.alert)) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
    }
  });

  it('queries only exported metrics, labels and label values (plus Prometheus `up`)', () => {
    expect(rules.flatMap((rule) => problems(rule.expr, true))).toEqual([]);
  });

  it('reports the no-healthy-pool 503 through the error catalogue code', () => {
    const rule = rules.find((r) => r.alert === 'RouterNoHealthyPool');
    expect(ERROR_CODES.no_pool_available).toBe(503);
    expect(rule?.expr).toContain('reason="no_pool_available"');
  });

  it.skipIf(!promtoolPath)('passes `promtool check rules`', () => {
    const output = execFileSync(promtoolPath as string, ['check', 'rules', ALERTS_FILE], {
      encoding: 'utf8',
    });
    expect(output).toContain('SUCCESS');
  });

  it.skipIf(!promtoolPath)('fires as expected in `promtool test rules`', () => {
    const output = execFileSync(promtoolPath as string, ['test', 'rules', ALERT_TESTS_FILE], {
      encoding: 'utf8',
    });
    expect(output).toContain('SUCCESS');
  });
});
