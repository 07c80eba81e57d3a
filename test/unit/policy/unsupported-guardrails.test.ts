// "No guardrail is ever silently ignored": the peer's safety plugins this router does not implement are policy
// errors unless the operator passes --allow-unsupported, which loads the policy without them and says so at every
// load; plus the CLI details that come with it (validate's hints, explain reading any size of stdin).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PolicyError } from '../../../src/errors.ts';
import { compilePolicyText } from '../../../src/policy/load-policy.ts';
import { PolicyStore } from '../../../src/policy/policy-store.ts';
import { createLogger } from '../../../src/telemetry/logger.ts';

const PLUGIN_FRAGMENTS = path.resolve('../shared/vsr-config/fragments/plugin');

/** The plugins of one of the peer's plugin fragments (`plugin:` or `plugins:`). */
function fragmentPlugins(relative: string): unknown[] {
  const doc = YAML.parse(readFileSync(path.join(PLUGIN_FRAGMENTS, relative), 'utf8')) as {
    plugin?: unknown;
    plugins?: unknown[];
  };
  return doc.plugins ?? [doc.plugin];
}

function policyWith(plugins: unknown[], extra: Record<string, unknown> = {}): string {
  return YAML.stringify({
    version: 'v1',
    default_model: 'small',
    pools: [{ name: 'p', max_context_tokens: 32768 }],
    models: [{ name: 'small', pools: ['p'] }],
    routing: { decisions: [{ name: 'guarded', modelRefs: [{ model: 'small' }], plugins, ...extra }] },
  });
}

async function issuesOf(text: string, allowUnsupported = false) {
  try {
    const policy = await compilePolicyText(text, 'guard.yaml', allowUnsupported ? { allowUnsupported } : {});
    policy.close();
    return { errors: [], warnings: policy.warnings };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return {
      errors: error.issues.filter((i) => i.severity === 'error'),
      warnings: error.issues.filter((i) => i.severity === 'warning'),
    };
  }
}

describe('unsupported guardrail plugins', () => {
  it.each([['rag/milvus.yaml', 'rag']])(
    'the peer fragment %s is a policy error that names the plugin and the flag',
    async (fragment, type) => {
      const { errors } = await issuesOf(policyWith(fragmentPlugins(fragment)));
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toContain(`'${type}'`);
      expect(errors[0]?.hint).toMatch(/--allow-unsupported/);
    },
  );

  it('loads with --allow-unsupported, with a warning that the plugin is NOT applied', async () => {
    const { errors, warnings } = await issuesOf(policyWith(fragmentPlugins('rag/milvus.yaml')), true);
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      "plugin 'rag' is not supported: rag backend 'milvus' needs an external vector store this router does not talk to; loaded WITHOUT it because of --allow-unsupported",
    ]);
  });

  it('keeps a disabled guardrail out of it: enabled: false asks for nothing', async () => {
    const { errors } = await issuesOf(policyWith([{ type: 'rag', enabled: false }]));
    expect(errors).toEqual([]);
    const peerForm = await issuesOf(
      policyWith([{ type: 'rag', configuration: { enabled: false, backend: 'milvus' } }]),
    );
    expect(peerForm).toEqual({ errors: [], warnings: [] });
  });

  it.each([['response-cache/memory.yaml'], ['response-cache/high-recall.yaml']])(
    'loads the peer fragment %s now that the response cache exists',
    async (fragment) => {
      const { errors, warnings } = await issuesOf(policyWith(fragmentPlugins(fragment)));
      expect(errors).toEqual([]);
      // Their thresholds (0.92, 0.8) are below the measured default: a warning points at the false-hit rates.
      expect(warnings.map((w) => w.message)).toEqual([
        expect.stringMatching(/^similarity threshold 0\.\d+ is below 0\.99/),
      ]);
    },
  );

  it('leaves plugins that are no guardrail (shadow_dispatch) a warning, as before', async () => {
    const { errors, warnings } = await issuesOf(
      policyWith([{ type: 'shadow_dispatch', configuration: { enabled: true } }]),
    );
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      "plugin 'shadow_dispatch' is not supported yet and is ignored",
    ]);
  });
});

describe('a router serving with allowUnsupported', () => {
  it('logs the missing guardrail again at every reload, and refuses the policy without the option', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'guardrail-store-'));
    const file = path.join(dir, 'policy.yaml');
    writeFileSync(file, policyWith(fragmentPlugins('rag/milvus.yaml')));
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    try {
      await expect(PolicyStore.open(file, logger)).rejects.toThrow(PolicyError);
      const store = await PolicyStore.open(file, logger, { allowUnsupported: true });
      expect(store.live.policy.warnings.map((w) => w.message)).toEqual([
        expect.stringContaining("plugin 'rag'"),
      ]);
      expect((await store.reload()).ok).toBe(true);
      expect((await store.reload()).ok).toBe(true);
      const logged = lines.filter((l) => l.includes("plugin 'rag'"));
      expect(logged).toHaveLength(2);
      expect(JSON.parse(logged[0] as string)).toMatchObject({ level: 'warn', msg: 'policy warning' });
      store.close();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('validate hints', () => {
  it("never suggests a misplaced field's own name", async () => {
    const text = policyWith([], { on_error: 'skip' });
    const { errors } = await issuesOf(text);
    const issue = errors.find((e) => e.path === 'routing.decisions[0].on_error');
    expect(issue?.message).toBe("unknown field 'on_error'");
    expect(issue?.hint).not.toMatch(/did you mean 'on_error'/);
    expect(issue?.hint).toMatch(/valid elsewhere/);
  });

  it('still suggests the right spelling of a misspelt field', async () => {
    const { errors } = await issuesOf(policyWith([], { priorty: 3 }));
    expect(errors.find((e) => e.path === 'routing.decisions[0].priorty')?.hint).toBe(
      "did you mean 'priority'?",
    );
  });
});

const run = promisify(execFile);

describe('the CLI', () => {
  it('explain reads a request far larger than a pipe buffer from stdin', async () => {
    const body = JSON.stringify({
      model: 'auto',
      messages: [{ role: 'user', content: `${'tell me about tea and its history. '.repeat(8000)}` }],
    });
    expect(body.length).toBeGreaterThan(256 * 1024);
    const child = run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'explain', '--policy', 'policies/default.yaml', '--json'],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    child.child.stdin?.end(body);
    const { stdout } = await child;
    const explanation = JSON.parse(stdout) as { request: { estimatedTokens: number } };
    expect(explanation.request.estimatedTokens).toBeGreaterThan(50_000);
  }, 60_000);

  it('validate --allow-unsupported loads what plain validate refuses', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'guardrail-'));
    const policyFile = path.join(dir, 'policy.yaml');
    writeFileSync(policyFile, policyWith(fragmentPlugins('rag/milvus.yaml')));
    try {
      const cli = ['--import', 'tsx', 'src/cli/main.ts', 'validate'];
      const refused = await run(process.execPath, [...cli, policyFile]).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(refused).toMatchObject({ code: 1 });
      expect((refused as { stderr: string }).stderr).toMatch(/plugin 'rag'/);
      const allowed = await run(process.execPath, [...cli, '--allow-unsupported', policyFile]);
      expect(allowed.stdout).toMatch(/valid \(v1\): 1 models, 1 pools, 1 decisions, 1 warning/);
      expect(allowed.stderr).toMatch(/loaded WITHOUT it because of --allow-unsupported/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  }, 60_000);
});
