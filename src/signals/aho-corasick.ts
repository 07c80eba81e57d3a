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

export class AhoCorasick {
  private readonly nodes: Node[] = [{ next: new Map(), fail: 0, outputs: [] }];
  private readonly lengths: number[] = [];
  /** Full DFA transitions for ASCII characters (node * 128 + code): no fail-link walks for the common case. */
  private asciiDelta: Int32Array = new Int32Array(0);

  constructor(patterns: readonly string[]) {
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
      const code = pattern.charCodeAt(i);
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
  }

  /** Calls `onHit` for every occurrence of every pattern; stops early when it returns true. */
  scan(text: string, onHit: (hit: PatternHit) => boolean | undefined): void {
    const nodes = this.nodes;
    const delta = this.asciiDelta;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < ASCII) {
        state = delta[state * ASCII + code] as number;
      } else {
        let node = nodes[state] as Node;
        let target = node.next.get(code);
        while (target === undefined && state !== 0) {
          state = node.fail;
          node = nodes[state] as Node;
          target = node.next.get(code);
        }
        state = target ?? 0;
      }
      const outputs = (nodes[state] as Node).outputs;
      for (let k = 0; k < outputs.length; k++) {
        const patternId = outputs[k] as number;
        const length = this.lengths[patternId] as number;
        if (onHit({ patternId, start: i + 1 - length, end: i + 1 })) return;
      }
    }
  }
}
