// Types of build-if-stale.mjs (plain JS so that `npm start` needs nothing compiled to decide).
export declare const DEFAULT_INPUTS: readonly string[];
export declare const DEFAULT_STAMP: string;
export declare const DEFAULT_OUTPUT: string;

export interface BuildPaths {
  /** The project root; the other paths are relative to it. */
  readonly root: string;
  readonly inputs?: readonly string[];
  readonly stamp?: string;
  readonly output?: string;
}

export declare function newestMtimeMs(paths: readonly string[]): number;
export declare function readStamp(stampFile: string): number | undefined;
export declare function writeStamp(stampFile: string, startedMs: number): void;
export declare function staleReason(paths: BuildPaths): string | undefined;
export declare function buildIfStale(
  options: BuildPaths & {
    readonly build: (root: string) => number;
    readonly log?: (message: string) => void;
    readonly now?: () => number;
  },
): number;
