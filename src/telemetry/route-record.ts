// What the pipeline notes while routing one request: when each stage ran and what each plugin did. Plain data
// (performance.now() milliseconds), so the pipeline stays free of OpenTelemetry; the stream's telemetry turns
// it into stage metrics and, when tracing is on, into child spans after the fact.
import type { OnErrorApplied } from '../decisions/rule-tree.ts';
import type { RequestContext } from '../request/request-context.ts';
import type { SignalReport } from '../signals/signal-engine.ts';
import type { Stage } from './metric-names.ts';

export interface StageMark {
  readonly stage: Stage;
  readonly start: number;
  /** Negative while the stage runs; stays negative when it threw. */
  end: number;
}

export interface PluginMark {
  readonly type: string;
  readonly start: number;
  end: number;
  effect: 'respond' | 'rewrite' | undefined;
  /** What the plugin noted for its span (figures and outcomes, never prompt text). */
  attributes?: Record<string, string | number | boolean>;
}

export class RouteRecord {
  readonly stages: StageMark[] = [];
  readonly plugins: PluginMark[] = [];
  /** Set once the body parsed. */
  context: RequestContext | undefined;
  /** Set once the signal families ran. */
  signals: SignalReport | undefined;
  /** Decision leaves whose signal failed and the on_error each applied (set once decisions ran). */
  onErrorApplied: readonly OnErrorApplied[] = [];
  /** Names of the policy rate limits the request was counted against (set once admitted). */
  rateLimits: readonly string[] = [];

  begin(stage: Stage): StageMark {
    const mark: StageMark = { stage, start: performance.now(), end: -1 };
    this.stages.push(mark);
    return mark;
  }

  end(mark: StageMark | PluginMark): void {
    mark.end = performance.now();
  }

  beginPlugin(type: string): PluginMark {
    const mark: PluginMark = { type, start: performance.now(), end: -1, effect: undefined };
    this.plugins.push(mark);
    return mark;
  }
}
