// Checks `routing.projections` against the policy's signals and compiles it (see projections.ts for the semantics).
import { closest, type IssueCollector, type PathSegment } from '../policy/issues.ts';
import { kbMetricMatchName } from '../signals/kb-references.ts';
import type { ProjectionScoreInputDocument, ProjectionsDocument } from './projection-schema.ts';
import {
  type CompiledBand,
  type CompiledMapping,
  type CompiledPartitionGroup,
  type CompiledProjections,
  type CompiledScore,
  type CompiledScoreInput,
  DEFAULT_CALIBRATION_SLOPE,
  PROJECTION_CONDITION_TYPE,
} from './projections.ts';
import { signalKey } from './rule-tree.ts';

/** Condition types whose matches partitions reduce (the peer's rule: domains and embeddings only). */
const PARTITIONED_TYPES = ['domain', 'embedding'] as const;

const KB_METRIC = 'kb_metric';

/** The peer's condition types whose families this router lacks (they are rejected under routing.signals too). */
const PEER_TYPES = ['preference', 'modality', 'kb', 'event'];

export interface ProjectionSignals {
  /** Names decisions may reference, per condition type, for the families the policy defines. */
  readonly names: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every condition type the router knows, defined in this policy or not. */
  readonly knownTypes: ReadonlySet<string>;
  /** Knowledge bases some `kb` rule reads: the kb family reports their metrics (`kb_metric` inputs). */
  readonly knowledgeBases?: ReadonlySet<string>;
}

export interface ProjectionCompilation {
  readonly projections: CompiledProjections;
  /** Names `{type: projection, name}` leaves may reference: the mappings' outputs. */
  readonly outputNames: ReadonlySet<string>;
  /** Condition types the scores and partitions read, whose families must run whenever a projection is used. */
  readonly inputTypes: ReadonlySet<string>;
  /** `conditionType:name` of every signal a score reads. */
  readonly inputKeys: ReadonlySet<string>;
}

const EMPTY: CompiledProjections = { partitions: [], scores: [], mappings: [] };

export function compileProjections(
  doc: ProjectionsDocument | undefined,
  signals: ProjectionSignals,
  issues: IssueCollector,
): ProjectionCompilation {
  const inputTypes = new Set<string>();
  const inputKeys = new Set<string>();
  if (doc === undefined)
    return { projections: EMPTY, outputNames: new Set(), inputTypes, inputKeys: new Set() };
  const base: PathSegment[] = ['routing', 'projections'];
  const partitions = compilePartitions(doc, signals, [...base, 'partitions'], issues, inputTypes);
  const scores = compileScores(doc, signals, [...base, 'scores'], issues, inputTypes, inputKeys);
  const { mappings, outputNames } = compileMappings(doc, [...base, 'mappings'], issues);
  return { projections: { partitions, scores, mappings }, outputNames, inputTypes, inputKeys };
}

/** Reports an undefined `{type: projection, name}` leaf. */
export function checkProjectionLeaf(
  name: string,
  outputNames: ReadonlySet<string>,
  path: readonly PathSegment[],
  issues: IssueCollector,
): void {
  if (outputNames.has(name)) return;
  const suggestion = closest(name, outputNames);
  issues.error(
    path,
    `decision references projection '${name}', which no mapping under routing.projections.mappings emits`,
    suggestion
      ? `did you mean '${suggestion}'?`
      : outputNames.size > 0
        ? `use one of: ${[...outputNames].join(', ')}`
        : 'define a mapping whose outputs include it',
  );
}

function duplicateCheck(issues: IssueCollector, what: string) {
  const seen = new Set<string>();
  return (name: string, path: readonly PathSegment[]) => {
    if (seen.has(name)) issues.error(path, `duplicate ${what} name '${name}'`, 'give each its own name');
    seen.add(name);
  };
}

function compilePartitions(
  doc: ProjectionsDocument,
  signals: ProjectionSignals,
  path: PathSegment[],
  issues: IssueCollector,
  inputTypes: Set<string>,
): CompiledPartitionGroup[] {
  const groups: CompiledPartitionGroup[] = [];
  const unique = duplicateCheck(issues, 'partition');
  doc.partitions.forEach((partition, index) => {
    const at = [...path, index];
    unique(partition.name, [...at, 'name']);
    const softmax = partition.semantics === 'softmax_exclusive';
    if (softmax && !(partition.temperature !== undefined && partition.temperature > 0)) {
      issues.error(
        [...at, 'temperature'],
        'softmax_exclusive needs a temperature above 0',
        'e.g. temperature: 0.1',
      );
    }
    partition.members.forEach((member, k) => {
      if (PARTITIONED_TYPES.some((type) => signals.names.get(type)?.has(member))) return;
      const elsewhere = [...signals.names].find(([, names]) => names.has(member))?.[0];
      issues.error(
        [...at, 'members', k],
        elsewhere
          ? `partition member '${member}' is a ${elsewhere} signal; partitions reduce domain or embedding signals`
          : `partition member '${member}' is not defined under routing.signals.domains or routing.signals.embeddings`,
        'name a domain or embedding rule',
      );
    });
    if (partition.default !== undefined && !partition.members.includes(partition.default)) {
      issues.error(
        [...at, 'default'],
        `default '${partition.default}' is not one of the partition's members`,
        `use one of: ${partition.members.join(', ')}`,
      );
    }
    for (const conditionType of PARTITIONED_TYPES) {
      const members = partition.members.filter((m) => signals.names.get(conditionType)?.has(m));
      // As in the peer, a family with one member in the partition has nothing to reduce.
      if (members.length <= 1) continue;
      inputTypes.add(conditionType);
      const fallback = partition.default;
      groups.push({
        partition: partition.name,
        conditionType,
        softmax,
        temperature: partition.temperature ?? 1,
        members,
        memberKeys: members.map((m) => signalKey(conditionType, m)),
        ...(fallback !== undefined && members.includes(fallback) && { default: fallback }),
      });
    }
  });
  return groups;
}

function compileScores(
  doc: ProjectionsDocument,
  signals: ProjectionSignals,
  path: PathSegment[],
  issues: IssueCollector,
  inputTypes: Set<string>,
  inputKeys: Set<string>,
): CompiledScore[] {
  const unique = duplicateCheck(issues, 'score');
  const scoreNames = new Set(doc.scores.map((s) => s.name));
  const compiled = doc.scores.map((score, index) => {
    const at = [...path, index];
    unique(score.name, [...at, 'name']);
    const inputs = score.inputs.flatMap((input, k) => {
      const one = compileInput(input, [...at, 'inputs', k], signals, scoreNames, issues);
      if (one?.kind === 'signal') {
        inputTypes.add(one.key.slice(0, one.key.indexOf(':')));
        inputKeys.add(one.key);
      }
      if (one?.kind === 'kb_metric') inputTypes.add('kb');
      return one ? [one] : [];
    });
    return { name: score.name, inputs };
  });
  return inDependencyOrder(compiled, path, issues);
}

function compileInput(
  input: ProjectionScoreInputDocument,
  path: PathSegment[],
  signals: ProjectionSignals,
  scoreNames: ReadonlySet<string>,
  issues: IssueCollector,
): CompiledScoreInput | undefined {
  const type = input.type.trim().toLowerCase();
  const { weight } = input;
  if (type === KB_METRIC) {
    if (input.kb === undefined || input.metric === undefined) {
      issues.error(path, 'a kb_metric input needs kb and metric');
      return undefined;
    }
    if (!signals.names.has('kb')) {
      issues.warning(
        path,
        `kb_metric input ${input.kb}/${input.metric} always reads 0: this policy runs no kb signal family`,
        'define the knowledge base under routing.signals.kb, or remove the input',
      );
    } else if (signals.knowledgeBases !== undefined && !signals.knowledgeBases.has(input.kb)) {
      issues.warning(
        path,
        `kb_metric input ${input.kb}/${input.metric} always reads 0: no routing.signals.kb rule reads knowledge base '${input.kb}'`,
        'the kb family reports the metrics of the knowledge bases its rules read: add a rule for it, or fix the name',
      );
    }
    return { kind: 'kb_metric', key: signalKey('kb', kbMetricMatchName(input.kb, input.metric)), weight };
  }
  if (input.value_source === 'score') {
    issues.error(
      [...path, 'value_source'],
      'value_source score belongs to kb_metric inputs',
      'use binary, confidence or raw',
    );
    return undefined;
  }
  const name = input.name;
  if (name === undefined) {
    issues.error(path, `a ${type} input needs a name`);
    return undefined;
  }
  if (type === PROJECTION_CONDITION_TYPE) {
    if (!scoreNames.has(name)) {
      const suggestion = closest(name, scoreNames);
      issues.error(
        [...path, 'name'],
        `projection input '${name}' is not a score under routing.projections.scores`,
        suggestion ? `did you mean '${suggestion}'?` : 'projection inputs read another score',
      );
      return undefined;
    }
    return { kind: 'score', name, weight };
  }
  if (PEER_TYPES.includes(type) && !signals.knownTypes.has(type)) {
    issues.error(
      [...path, 'type'],
      `input type '${type}' reads a signal family this router does not implement yet`,
      'remove the input, or wait for the family to be supported',
    );
    return undefined;
  }
  if (!signals.knownTypes.has(type)) {
    const suggestion = closest(type, signals.knownTypes);
    issues.error(
      [...path, 'type'],
      `unknown input type '${input.type}'`,
      suggestion
        ? `did you mean '${suggestion}'?`
        : `use kb_metric, projection or one of: ${[...signals.knownTypes].join(', ')}`,
    );
    return undefined;
  }
  const defined = signals.names.get(type);
  if (!defined?.has(name)) {
    issues.error(
      [...path, 'name'],
      `score input references ${type} signal '${name}', which is not defined under routing.signals`,
      defined && defined.size > 0
        ? `define it, or use one of: ${[...defined].join(', ')}`
        : `define a ${type} rule named '${name}'`,
    );
    return undefined;
  }
  const valueSource =
    input.value_source === 'confidence' || input.value_source === 'raw' ? input.value_source : 'binary';
  // The peer reads a match value of 0 as "unset", i.e. 1.
  const match = input.match === undefined || input.match === 0 ? 1 : input.match;
  return { kind: 'signal', key: signalKey(type, name), weight, valueSource, match, miss: input.miss ?? 0 };
}

/** Orders scores so each comes after the scores it reads; a cycle is an error. */
function inDependencyOrder(
  scores: readonly CompiledScore[],
  path: PathSegment[],
  issues: IssueCollector,
): CompiledScore[] {
  const byName = new Map(scores.map((s) => [s.name, s]));
  const ordered: CompiledScore[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (score: CompiledScore, index: number): void => {
    const now = state.get(score.name);
    if (now === 'done') return;
    if (now === 'visiting') {
      issues.error(
        [...path, index],
        `score '${score.name}' reads itself through projection inputs`,
        'break the cycle',
      );
      return;
    }
    state.set(score.name, 'visiting');
    for (const input of score.inputs) {
      if (input.kind !== 'score') continue;
      const dependency = byName.get(input.name);
      if (dependency) visit(dependency, scores.indexOf(dependency));
    }
    state.set(score.name, 'done');
    ordered.push(score);
  };
  scores.forEach(visit);
  return ordered;
}

function compileMappings(
  doc: ProjectionsDocument,
  path: PathSegment[],
  issues: IssueCollector,
): { mappings: CompiledMapping[]; outputNames: Set<string> } {
  const unique = duplicateCheck(issues, 'mapping');
  const uniqueOutput = duplicateCheck(issues, 'projection output');
  const scoreNames = new Set(doc.scores.map((s) => s.name));
  const outputNames = new Set<string>();
  const mappings = doc.mappings.map((mapping, index) => {
    const at = [...path, index];
    unique(mapping.name, [...at, 'name']);
    if (!scoreNames.has(mapping.source)) {
      const suggestion = closest(mapping.source, scoreNames);
      issues.error(
        [...at, 'source'],
        `mapping source '${mapping.source}' is not a score under routing.projections.scores`,
        suggestion ? `did you mean '${suggestion}'?` : 'name a score',
      );
    }
    if (mapping.method === 'multi_emit' && mapping.outputs.length < 2)
      issues.error(
        [...at, 'outputs'],
        'multi_emit needs at least two outputs',
        'use threshold_bands for one',
      );
    if (mapping.top_k !== undefined && mapping.method !== 'top_k')
      issues.error([...at, 'top_k'], `top_k applies to method top_k, not ${mapping.method}`);
    const outputs: CompiledBand[] = mapping.outputs.map((output, k) => {
      uniqueOutput(output.name, [...at, 'outputs', k, 'name']);
      outputNames.add(output.name);
      const lower = Math.max(output.gt ?? -Infinity, output.gte ?? -Infinity);
      const upper = Math.min(output.lt ?? Infinity, output.lte ?? Infinity);
      const empty = lower > upper || (lower === upper && (output.gt === lower || output.lt === upper));
      if (empty)
        issues.error(
          [...at, 'outputs', k],
          `output '${output.name}' can never match: its bounds exclude every score`,
        );
      return output;
    });
    return {
      name: mapping.name,
      source: mapping.source,
      method: mapping.method,
      ...(mapping.top_k !== undefined && { topK: mapping.top_k }),
      slope: mapping.calibration?.slope ?? DEFAULT_CALIBRATION_SLOPE,
      outputs,
    };
  });
  return { mappings, outputNames };
}
