// image_gen: the peer calls an image generation backend from the router; this router only forwards requests, so the
// plugin is refused with the reason and the way to get images (route to an image model).
import { describe, expect, it } from 'vitest';
import { peerPlugin } from '../../helpers/peer-plugin-fragment.ts';
import { pluginIssues } from '../../helpers/plugin-issues.ts';

describe('image_gen plugin', () => {
  it('the peer basic fragment is a policy error naming the backend and the alternative', async () => {
    const { errors } = await pluginIssues([peerPlugin('image-gen/basic.yaml')]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain("image_gen backend 'vllm_omni' is an image generation service");
    expect(errors[0]?.message).toContain('image model in modelRefs');
  });

  it('loads with --allow-unsupported as a warning', async () => {
    const { errors, warnings } = await pluginIssues([peerPlugin('image-gen/basic.yaml')], {
      allowUnsupported: true,
    });
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/loaded WITHOUT it because of --allow-unsupported/);
  });
});
