// Types of bundle.mjs (plain JS, run by `npm run build` after tsc).
export declare const DEFAULT_ENTRY: string;
export declare const DEFAULT_OUTDIR: string;
export declare const EXTERNAL_PACKAGES: readonly string[];

/** `source` with the module's location (relative to the bundle's folder) in place of the bundle's; undefined when it asks none. */
export declare function relocateModuleSource(source: string, relativeToOutdir: string): string | undefined;

export interface BundleResult {
  /** Absolute path of the bundle's entry, `outdir/main.js`. */
  readonly entry: string;
  /** Output files, source maps left out. */
  readonly files: number;
  readonly bytes: number;
}

export declare function bundleRouter(options: {
  /** The project root; `entry` and `outdir` may be relative to it. */
  readonly root: string;
  readonly entry?: string;
  readonly outdir?: string;
}): Promise<BundleResult>;
