// Holds the live policy generation; a reload compiles off the hot path and swaps only if the new one is valid.

import { PolicyError } from '../errors.ts';
import { createRequestRouter, type RequestRouter } from '../pipeline.ts';
import { errorFields, type Logger } from '../telemetry/logger.ts';
import { type LoadOptions, loadPolicyFile } from './load-policy.ts';
import type { Policy } from './policy.ts';

export interface PolicyGeneration {
  readonly generation: number;
  readonly policy: Policy;
  readonly router: RequestRouter;
  readonly loadedAt: Date;
}

export type ReloadOutcome =
  | { readonly ok: true; readonly generation: number }
  | { readonly ok: false; readonly error: Error };

export class PolicyStore {
  private current: PolicyGeneration;
  private lastError: Error | undefined;

  private constructor(
    private readonly file: string,
    initial: Policy,
    private readonly logger: Logger,
    private readonly options: LoadOptions,
  ) {
    this.current = {
      generation: 1,
      policy: initial,
      router: createRequestRouter(initial),
      loadedAt: new Date(),
    };
  }

  static async open(file: string, logger: Logger, options: LoadOptions = {}): Promise<PolicyStore> {
    return new PolicyStore(file, await loadPolicyFile(file, options), logger, options);
  }

  get live(): PolicyGeneration {
    return this.current;
  }

  /** The error of the last failed reload, until a reload succeeds. */
  get reloadError(): Error | undefined {
    return this.lastError;
  }

  async reload(): Promise<ReloadOutcome> {
    try {
      const policy = await loadPolicyFile(this.file, this.options);
      const previous = this.current;
      this.current = {
        generation: previous.generation + 1,
        policy,
        router: createRequestRouter(policy),
        loadedAt: new Date(),
      };
      this.lastError = undefined;
      this.logger.info('policy reloaded', { generation: this.current.generation, file: this.file });
      // Streams still on the previous generation keep their router; evaluators hold no external resources yet.
      return { ok: true, generation: this.current.generation };
    } catch (error) {
      this.lastError = error as Error;
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
    this.current.policy.close();
  }
}
