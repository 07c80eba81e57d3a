// The peer's plugin fragments (../shared/vsr-config/fragments/plugin), read in place: a fragment holds one plugin
// (`plugin:`) or a bundle (`plugins:`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { PEER_FRAGMENTS } from './peer-fragment.ts';

export function peerPluginFragment(relative: string): unknown[] {
  const doc = YAML.parse(readFileSync(path.join(PEER_FRAGMENTS, 'plugin', relative), 'utf8')) as {
    plugin?: unknown;
    plugins?: unknown[];
  };
  return doc.plugins ?? [doc.plugin];
}
