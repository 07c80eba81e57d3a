// What a plugin factory may need from the policy load besides its own configuration: where the policy lives (files
// a plugin names are relative to it), the shared ONNX sessions for the built-in embedder, and a way to report a
// load-time warning at the plugin's configuration.
import type { OnnxSessionPool } from '../ml/onnx-session-pool.ts';

export interface PluginDeps {
  /** Directory of the policy file: relative paths in a plugin configuration start here. */
  readonly policyDir: string;
  readonly sessionPool?: OnnxSessionPool;
  readonly builtinModelsDir?: string;
  /** A policy warning at `configuration.<field...>` of this plugin. */
  warn(field: readonly (string | number)[], message: string, hint?: string): void;
  /** A policy error at `configuration.<field...>`: the policy does not load. */
  error(field: readonly (string | number)[], message: string, hint?: string): void;
}

/** Deps for plugins created outside a policy load (tools): the working directory, warnings dropped, errors thrown. */
export const STANDALONE_PLUGIN_DEPS: PluginDeps = {
  policyDir: process.cwd(),
  warn: () => undefined,
  error: (field, message) => {
    throw new Error(`configuration.${field.join('.')}: ${message}`);
  },
};
