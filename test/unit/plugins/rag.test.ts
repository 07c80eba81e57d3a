// rag: every peer backend is a store or service the router would have to call, so a policy asking for one is
// refused with the reason (never silently ignored), and loads with a warning under --allow-unsupported.
import { describe, expect, it } from 'vitest';
import { peerPlugin } from '../../helpers/peer-plugin-fragment.ts';
import { pluginIssues } from '../../helpers/plugin-issues.ts';

describe('rag plugin', () => {
  it.each([
    ['rag/milvus.yaml', 'milvus'],
    ['rag/qdrant.yaml', 'qdrant'],
  ])('the peer fragment %s is a policy error naming the external vector store', async (fragment, backend) => {
    const { errors } = await pluginIssues([peerPlugin(fragment)]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain(
      `rag backend '${backend}' needs an external vector store this router does not talk to`,
    );
    expect(errors[0]?.hint).toMatch(/--allow-unsupported/);
  });

  it('names a retrieval API backend as a service the router would have to call', async () => {
    const { errors } = await pluginIssues([{ type: 'rag', configuration: { backend: 'external_api' } }]);
    expect(errors[0]?.message).toContain("rag backend 'external_api' is a retrieval service");
  });

  it('loads with --allow-unsupported, warning that retrieval is not done', async () => {
    const { errors, warnings } = await pluginIssues([peerPlugin('rag/milvus.yaml')], {
      allowUnsupported: true,
    });
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      "plugin 'rag' is not supported: rag backend 'milvus' needs an external vector store this router does not talk to; loaded WITHOUT it because of --allow-unsupported",
    ]);
  });

  it('asks for nothing when disabled', async () => {
    const { errors, warnings } = await pluginIssues([
      { type: 'rag', configuration: { ...peerPlugin('rag/milvus.yaml').configuration, enabled: false } },
    ]);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });
});
