// Types of build-if-stale.mjs (plain JS so that `npm start` needs nothing compiled to decide).
export declare const DEFAULT_INPUTS: readonly string[];
export declare const DEFAULT_STAMP: string;
export declare const DEFAULT_OUTPUT: string;
export declare const DEFAULT_INSTALLED: string;

export interface BuildPaths {
  /** The project root; the other paths are relative to it. */
  readonly root: string;
  readonly inputs?: readonly string[];
  readonly stamp?: string;
  readonly output?: string;
  /** npm's hidden lock file: what is installed, compared by content. */
  readonly installed?: string;
}

export interface BuildStamp {
  readonly startedMs: number;
  /** installedDigest at that build's start; undefined in stamps written before it was recorded. */
  readonly installed: string | undefined;
}

export declare function newestMtimeMs(paths: readonly string[]): number;
export declare function installedDigest(file: string): string;
export declare function readStamp(stampFile: string): BuildStamp | undefined;
export declare function writeStamp(stampFile: string, startedMs: number, installed: string): void;
export declare function npmRunBuild(root: string, stdio?: import('node:child_process').StdioOptions): number;
export declare function staleReason(paths: BuildPaths): string | undefined;
export declare function buildIfStale(
  options: BuildPaths & {
    readonly build: (root: string) => number;
    readonly log?: (message: string) => void;
    readonly now?: () => number;
  },
): number;
