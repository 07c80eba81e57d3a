// Finds and reads a knowledge base's labels manifest: `source.path` relative to the policy file's directory, then to
// each of its ancestors (the peer's recipes live in recipes/<name>/, its knowledge_bases/ at the config root).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { KnowledgeBaseDocument, LabelsManifest } from './knowledge-base-schema.ts';
import { labelsManifestSchema } from './knowledge-base-schema.ts';

/** Most exemplars one label may have: prototypes are built at load, in time quadratic in this. */
export const MAX_EXEMPLARS_PER_LABEL = 2000;

/** A manifest that is missing or unreadable; the message names every path tried. */
export class KnowledgeBaseSourceError extends Error {}

/** The manifest paths tried for a knowledge base, nearest first. */
export function manifestCandidates(kb: KnowledgeBaseDocument, policyDir: string): string[] {
  if (path.isAbsolute(kb.source.path)) return [path.join(kb.source.path, kb.source.manifest)];
  const candidates: string[] = [];
  let dir = path.resolve(policyDir);
  for (;;) {
    candidates.push(path.join(dir, kb.source.path, kb.source.manifest));
    const parent = path.dirname(dir);
    if (parent === dir) return candidates;
    dir = parent;
  }
}

export interface LoadedManifest {
  readonly file: string;
  /** Labels with at least one exemplar, in manifest order. */
  readonly labels: ReadonlyMap<string, readonly string[]>;
}

export function loadLabelsManifest(kb: KnowledgeBaseDocument, policyDir: string): LoadedManifest {
  const tried = manifestCandidates(kb, policyDir);
  const file = tried.find((candidate) => existsSync(candidate));
  if (file === undefined) {
    throw new KnowledgeBaseSourceError(
      `knowledge base '${kb.name}': labels manifest not found; tried ${tried.join(', ')}`,
    );
  }
  let manifest: LabelsManifest;
  try {
    manifest = labelsManifestSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new KnowledgeBaseSourceError(
      `knowledge base '${kb.name}': ${file} is not a labels manifest (${why})`,
    );
  }
  const labels = new Map<string, readonly string[]>();
  for (const [label, entry] of Object.entries(manifest.labels)) {
    const exemplars = [...new Set(entry.exemplars.map((e) => e.trim()).filter((e) => e !== ''))];
    if (exemplars.length > MAX_EXEMPLARS_PER_LABEL)
      throw new KnowledgeBaseSourceError(
        `knowledge base '${kb.name}': label '${label}' of ${file} has ${exemplars.length} exemplars; at most ${MAX_EXEMPLARS_PER_LABEL}`,
      );
    if (exemplars.length > 0) labels.set(label, exemplars);
  }
  if (labels.size === 0)
    throw new KnowledgeBaseSourceError(`knowledge base '${kb.name}': ${file} has no label with exemplars`);
  return { file, labels };
}
