// The peer's global `services.router_replay` store: records go to Postgres, Redis, Milvus or Qdrant there; this
// router keeps them in memory (GET /replay on the admin port), which a policy asking for another backend is told.
import type { IssueCollector } from './issues.ts';

const PATH = ['global', 'services', 'router_replay'] as const;

export function reportReplayBackend(raw: Record<string, unknown>, issues: IssueCollector): void {
  let node: unknown = raw;
  for (const key of PATH)
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  if (typeof node !== 'object' || node === null) return;
  const replay = node as Record<string, unknown>;
  const backend = replay.store_backend;
  if (replay.enabled === false || backend === undefined || backend === 'memory') return;
  issues.warning(
    [...PATH, 'store_backend'],
    `router_replay store_backend '${String(backend)}' is not supported: replay records stay in this router's memory (GET /replay on the admin port) and are lost on restart`,
    'set store_backend: memory to silence this warning',
  );
}
