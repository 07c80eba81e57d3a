// vLLM Semantic Router plugins whose every backend is a service the router itself would have to call (a vector store,
// a retrieval API, an image generator). This router talks only to its upstreams, so a policy asking for one is
// rejected with the reason (downgraded to a warning with --allow-unsupported), never silently ignored.

const VECTOR_STORES = new Set([
  'milvus',
  'qdrant',
  'valkey',
  'redis',
  'vectorstore',
  'llama_stack',
  'pinecone',
]);

function backendOf(configuration: Readonly<Record<string, unknown>>): string {
  return typeof configuration.backend === 'string' ? configuration.backend : '(none)';
}

function ragProblem(configuration: Readonly<Record<string, unknown>>): string {
  const backend = backendOf(configuration);
  if (VECTOR_STORES.has(backend)) {
    return `rag backend '${backend}' needs an external vector store this router does not talk to`;
  }
  return `rag backend '${backend}' is a retrieval service the router would have to call; this router does not call one`;
}

function imageGenProblem(configuration: Readonly<Record<string, unknown>>): string {
  return (
    `image_gen backend '${backendOf(configuration)}' is an image generation service the router would have to call; ` +
    'this router only forwards requests (route image requests to an image model in modelRefs instead)'
  );
}

const PROBLEMS: ReadonlyMap<string, (configuration: Readonly<Record<string, unknown>>) => string> = new Map([
  ['rag', ragProblem],
  ['image_gen', imageGenProblem],
]);

export const EXTERNAL_BACKEND_PLUGIN_TYPES: ReadonlySet<string> = new Set(PROBLEMS.keys());

/** Why the plugin cannot run here, or undefined for other types. */
export function externalBackendProblem(
  type: string,
  configuration: Readonly<Record<string, unknown>>,
): string | undefined {
  return PROBLEMS.get(type)?.(configuration);
}
