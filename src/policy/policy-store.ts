// Holds the live policy generation; a reload compiles off the hot path and swaps only if the new one is valid.

import { formatPolicyIssue, PolicyError } from '../errors.ts';
import { createRequestRouter, defaultRouterDeps, type RequestRouter, type RouterDeps } from '../pipeline.ts';
import { errorFields, type Logger } from '../telemetry/logger.ts';
import { noopTelemetry, type Telemetry } from '../telemetry/noop-telemetry.ts';
import { type LoadOptions, loadPolicyFile } from './load-policy.ts';
import type { Policy } from './policy.ts';

export interface PolicyGeneration {
  readonly generation: number;
  readonly policy: Policy;
  readonly router: RequestRouter;
  readonly loadedAt: Date;
}

/** A stream's hold on the generation it started with; released when the stream ends. */
export interface RouterLease {
  readonly router: RequestRouter;
  release(): void;
}

interface GenerationState extends PolicyGeneration {
  /** Streams still using this generation. */
  streams: number;
  closed: boolean;
}

export interface PolicyStoreOptions extends LoadOptions {
  /** Receives the live generation and reload outcomes (router_policy_*); default noopTelemetry. */
  readonly telemetry?: Telemetry;
  /** The process's live pool state and randomness, shared by every generation's router; a private one if absent. */
  readonly routerDeps?: RouterDeps;
  /** Told about each policy that goes live (initial and reloaded), e.g. to reconfigure pool state and scraping. */
  readonly onPolicyLive?: (policy: Policy) => void;
}

export type ReloadOutcome =
  | { readonly ok: true; readonly generation: number }
  | { readonly ok: false; readonly error: Error };

export class PolicyStore {
  private current: GenerationState;
  private readonly routerDeps: RouterDeps;
  private readonly retired = new Set<GenerationState>();
  private lastError: Error | undefined;

  private constructor(
    private readonly file: string,
    initial: Policy,
    private readonly logger: Logger,
    private readonly options: PolicyStoreOptions,
  ) {
    this.routerDeps = options.routerDeps ?? defaultRouterDeps();
    options.onPolicyLive?.(initial);
    this.metrics.policyLoaded(1);
    this.current = {
      generation: 1,
      policy: initial,
      router: createRequestRouter(initial, this.routerDeps),
      loadedAt: new Date(),
      streams: 0,
      closed: false,
    };
  }

  private get metrics() {
    return (this.options.telemetry ?? noopTelemetry).metrics;
  }

  static async open(file: string, logger: Logger, options: PolicyStoreOptions = {}): Promise<PolicyStore> {
    return new PolicyStore(file, await loadPolicyFile(file, options), logger, options);
  }

  get live(): PolicyGeneration {
    return this.current;
  }

  /** The live generation's router for a new stream, kept alive (not closed on reload) until released. */
  lease(): RouterLease {
    const generation = this.current;
    generation.streams++;
    let released = false;
    return {
      router: generation.router,
      release: () => {
        if (released) return;
        released = true;
        generation.streams--;
        this.closeIfRetired(generation);
      },
    };
  }

  /** A replaced generation is closed (its models released) once its last stream has finished. */
  private closeIfRetired(generation: GenerationState): void {
    if (generation === this.current || generation.closed) return;
    if (generation.streams > 0) {
      this.retired.add(generation);
      return;
    }
    this.retired.delete(generation);
    generation.closed = true;
    generation.policy.close();
  }

  /** Generations not closed yet: the live one plus replaced ones that streams still use. */
  get openGenerations(): number {
    return 1 + this.retired.size;
  }

  /** The error of the last failed reload, until a reload succeeds. */
  get reloadError(): Error | undefined {
    return this.lastError;
  }

  /** Compiles the policy again and swaps it in if valid; concurrent calls run one after the other. */
  reload(): Promise<ReloadOutcome> {
    const run = this.reloads.then(() => this.reloadNow());
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private reloads: Promise<unknown> = Promise.resolve();

  private async reloadNow(): Promise<ReloadOutcome> {
    try {
      const policy = await loadPolicyFile(this.file, this.options);
      const previous = this.current;
      this.current = {
        generation: previous.generation + 1,
        policy,
        router: createRequestRouter(policy, this.routerDeps),
        loadedAt: new Date(),
        streams: 0,
        closed: false,
      };
      this.lastError = undefined;
      this.options.onPolicyLive?.(policy);
      this.metrics.policyReload('success');
      this.metrics.policyLoaded(this.current.generation);
      this.logger.info('policy reloaded', { generation: this.current.generation, file: this.file });
      // Every load repeats them: an unsupported guardrail allowed by --allow-unsupported must never go quiet.
      for (const warning of policy.warnings)
        this.logger.warn('policy warning', { issue: formatPolicyIssue(warning).trim() });
      // Streams still on the previous generation finish on it; it is closed when the last one releases it.
      this.closeIfRetired(previous);
      return { ok: true, generation: this.current.generation };
    } catch (error) {
      this.lastError = error as Error;
      this.metrics.policyReload('failure');
      this.logger.error('policy reload failed, keeping the last good policy', {
        generation: this.current.generation,
        file: this.file,
        ...errorFields(error),
        ...(error instanceof PolicyError && { issues: error.issues.length }),
      });
      return { ok: false, error: error as Error };
    }
  }

  close(): void {
    for (const generation of this.retired) generation.policy.close();
    this.retired.clear();
    if (this.current.closed) return;
    this.current.closed = true;
    this.current.policy.close();
  }
}
