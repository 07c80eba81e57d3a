// The peer's selection algorithms this router rejects at policy load, and why: each needs something an ext_proc
// router in Envoy's request path cannot do or does not ship. Never silently replaced by another algorithm.

const SECOND_CALL =
  'it makes extra model calls inside the request (the router only chooses where the one request goes)';

/** Peer algorithm name → why it is not supported here (completes "… is not supported: <why>"). */
export const UNSUPPORTED_SELECTION_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['prompt', 'it asks a helper LLM to choose, a second model call on the request path'],
  [
    'decision',
    "it asks the peer's decision model served by its own model runtime, which this router does not have",
  ],
  ['gmtrouter', "it needs the peer's graph (HGT) personalisation model and per-user interaction history"],
  ['confidence', `a looper: ${SECOND_CALL} and escalates on the answer's confidence before replying`],
  ['ratings', `a looper: ${SECOND_CALL} to have several models rate each other`],
  ['remom', `a looper: ${SECOND_CALL} over several rounds and merges the answers`],
  ['fusion', `a looper: ${SECOND_CALL} to several models and a judge that fuses their answers`],
  ['workflows', `a looper: ${SECOND_CALL} in a planned multi-step workflow`],
]);
