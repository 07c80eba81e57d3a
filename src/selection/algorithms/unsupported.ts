// The peer's selection algorithms this router rejects at policy load, and why: each needs something an ext_proc
// router in Envoy's request path cannot do or does not ship. Never silently replaced by another algorithm.

/** Peer algorithm name → why it is not supported here (completes "… is not supported: <why>"). */
export const UNSUPPORTED_SELECTION_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  [
    'decision',
    "it asks the peer's decision model served by its own model runtime, which this router does not have",
  ],
  ['gmtrouter', "it needs the peer's graph (HGT) personalisation model and per-user interaction history"],
]);
