// Multi-pattern literal search (Aho-Corasick): one pass over the text finds every keyword of every rule.

export interface PatternHit {
  readonly patternId: number;
  /** Index of the first character of the hit in the searched text. */
  readonly start: number;
  readonly end: number;
}

interface Node {
  readonly next: Map<number, number>;
  fail: number;
  /** Pattern ids ending here, including those reached through fail links. */
  outputs: number[];
}

const ASCII = 128;
const UPPER_A = 65;
const UPPER_Z = 90;
const TO_LOWER = 32;

/** A fold-table value that stops the scan (scanEnds returns false): the caller reads that text another way. */
export const FOLD_STOP = 0xffff;

export interface AhoCorasickOptions {
  /** Read ASCII A–Z as a–z, in the patterns and in every text scanned, at no cost per character. */
  readonly lowerCaseAscii?: boolean;
}

export class AhoCorasick {
  private readonly nodes: Node[] = [{ next: new Map(), fail: 0, outputs: [] }];
  private readonly lengths: number[] = [];
  /** Full DFA transitions for ASCII characters (node * 128 + code): no fail-link walks for the common case. */
  private asciiDelta: Int32Array = new Int32Array(0);
  /** Bit per UTF-16 code unit ≥ 128 that occurs in some pattern: any other one leads back to the root at once. */
  private readonly nonAsciiUsed = new Uint32Array(0x10000 / 32);
  /** Outputs of node n are outputIds[outputStart[n], outputStart[n + 1]): no object reads per character. */
  private outputStart: Int32Array = new Int32Array(1);
  private outputIds: Int32Array = new Int32Array(0);
  /** 1 for a node with outputs: one byte read per character instead of two offsets. */
  private hasOutput: Uint8Array = new Uint8Array(1);

  private readonly lowerCaseAscii: boolean;

  constructor(patterns: readonly string[], options: AhoCorasickOptions = {}) {
    this.lowerCaseAscii = options.lowerCaseAscii ?? false;
    patterns.forEach((pattern, id) => {
      this.insert(pattern, id);
    });
    this.link();
  }

  get patternCount(): number {
    return this.lengths.length;
  }

  private insert(pattern: string, id: number): void {
    let state = 0;
    for (let i = 0; i < pattern.length; i++) {
      const unit = pattern.charCodeAt(i);
      const code = this.lowerCaseAscii && unit >= UPPER_A && unit <= UPPER_Z ? unit + TO_LOWER : unit;
      if (code >= ASCII)
        this.nonAsciiUsed[code >>> 5] = (this.nonAsciiUsed[code >>> 5] as number) | (1 << (code & 31));
      let target = this.nodes[state]?.next.get(code);
      if (target === undefined) {
        target = this.nodes.length;
        this.nodes.push({ next: new Map(), fail: 0, outputs: [] });
        this.nodes[state]?.next.set(code, target);
      }
      state = target;
    }
    this.nodes[state]?.outputs.push(id);
    this.lengths[id] = pattern.length;
  }

  private link(): void {
    const queue: number[] = [0];
    this.asciiDelta = new Int32Array(this.nodes.length * ASCII);
    for (let head = 0; head < queue.length; head++) {
      const stateId = queue[head] as number;
      const state = this.nodes[stateId] as Node;
      // BFS order: the fail state's row is complete before this one is filled.
      for (let code = 0; code < ASCII; code++) {
        const child = state.next.get(code);
        this.asciiDelta[stateId * ASCII + code] =
          child ?? (stateId === 0 ? 0 : (this.asciiDelta[state.fail * ASCII + code] as number));
      }
      for (const [code, child] of state.next) {
        queue.push(child);
        if (stateId === 0) continue;
        let fail = state.fail;
        while (fail !== 0 && !this.nodes[fail]?.next.has(code)) fail = this.nodes[fail]?.fail ?? 0;
        const candidate = this.nodes[fail]?.next.get(code);
        const childNode = this.nodes[child] as Node;
        childNode.fail = candidate !== undefined && candidate !== child ? candidate : 0;
        const inherited = this.nodes[childNode.fail]?.outputs ?? [];
        if (inherited.length > 0) childNode.outputs = [...childNode.outputs, ...inherited];
      }
    }
    if (this.lowerCaseAscii)
      for (let row = 0; row < this.asciiDelta.length; row += ASCII)
        this.asciiDelta.copyWithin(row + UPPER_A, row + UPPER_A + TO_LOWER, row + UPPER_Z + TO_LOWER + 1);
    this.outputStart = new Int32Array(this.nodes.length + 1);
    const ids: number[] = [];
    this.nodes.forEach((node, n) => {
      this.outputStart[n] = ids.length;
      ids.push(...node.outputs);
    });
    this.outputStart[this.nodes.length] = ids.length;
    this.outputIds = Int32Array.from(ids);
    this.hasOutput = Uint8Array.from(this.nodes, (node) => (node.outputs.length > 0 ? 1 : 0));
  }

  /** Calls `onHit` for every occurrence of every pattern; stops early when it returns true. */
  scan(text: string, onHit: (hit: PatternHit) => boolean | undefined): void {
    this.scanEnds(text, (patternId, start, end) => onHit({ patternId, start, end }));
  }

  /**
   * `scan` without an object per hit. With `fold`, each UTF-16 code unit `c` ≥ 128 of `text` is read as `fold[c]`
   * (a case folding that keeps every character one code unit long), so the text need not be copied; ASCII units
   * are read as they are, or lower-cased with `lowerCaseAscii` (no table read for them: most text is ASCII).
   * Returns false when a unit folded to FOLD_STOP stopped the scan (the hits before it were reported), else true.
   */
  scanEnds(
    text: string,
    onHit: (patternId: number, start: number, end: number) => boolean | undefined,
    fold?: Uint16Array,
  ): boolean {
    const delta = this.asciiDelta;
    const used = this.nonAsciiUsed;
    const hasOutput = this.hasOutput;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      if (unit < ASCII) state = delta[(state << 7) | unit] as number;
      else {
        const code = fold === undefined ? unit : (fold[unit] as number);
        if (code < ASCII) state = delta[(state << 7) | code] as number;
        else if (code === FOLD_STOP && fold !== undefined) return false;
        else if ((((used[code >>> 5] as number) >>> (code & 31)) & 1) === 0)
          state = 0; // in no pattern: every fail link ends at the root, which has no edge for it
        else state = this.step(state, code);
      }
      if (hasOutput[state] === 1 && this.report(state, i + 1, onHit)) return true;
    }
    return true;
  }

  /** Goto, following fail links, for a code unit ≥ 128 that occurs in some pattern. */
  private step(from: number, code: number): number {
    let state = from;
    let node = this.nodes[state] as Node;
    let target = node.next.get(code);
    while (target === undefined && state !== 0) {
      state = node.fail;
      node = this.nodes[state] as Node;
      target = node.next.get(code);
    }
    return target ?? 0;
  }

  /** Reports the outputs of `state` ending at `end`; true when `onHit` asks to stop. */
  private report(
    state: number,
    end: number,
    onHit: (patternId: number, start: number, end: number) => boolean | undefined,
  ): boolean {
    const last = this.outputStart[state + 1] as number;
    for (let k = this.outputStart[state] as number; k < last; k++) {
      const patternId = this.outputIds[k] as number;
      if (onHit(patternId, end - (this.lengths[patternId] as number), end)) return true;
    }
    return false;
  }
}
