// readLayerTree: a layer's tar as a path map (read with tar-stream, independent of kiln's own tar code),
// and resolvePath to follow symlinks in it the way a container runtime would.
import { posix } from 'node:path';
import { extract } from 'tar-stream';
import type { Layer } from '../oci/layer.js';

/** TreeNode is one member of a layer tar. */
export interface TreeNode {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname?: string;
  data: Buffer;
}

/** readLayerTree lists a layer by path (no leading slash, no trailing slash), in archive order. */
export async function readLayerTree(layer: Layer): Promise<Map<string, TreeNode>> {
  const tree = new Map<string, TreeNode>();
  const reader = extract();
  (await layer.uncompressed()).pipe(reader);
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(Buffer.from(chunk as Uint8Array));
    const h = entry.header;
    tree.set(h.name.replace(/\/$/, ''), {
      type: h.type ?? 'file', mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0,
      mtime: (h.mtime?.getTime() ?? 0) / 1000, linkname: h.linkname ?? undefined, data: Buffer.concat(chunks),
    });
  }
  return tree;
}

/** resolvePath follows symlinks (absolute ones from the root) and returns the final path and node, or undefined. */
export function resolvePath(tree: ReadonlyMap<string, TreeNode>, path: string): { path: string; node: TreeNode } | undefined {
  let pending = path.split('/').filter(Boolean);
  let current: string[] = [];
  for (let hops = 0; pending.length; ) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') { current.pop(); continue; }
    const candidate = [...current, part].join('/');
    const node = tree.get(candidate);
    if (!node) return undefined;
    if (node.type === 'symlink') {
      if (++hops > 40) return undefined;
      const target = node.linkname ?? '';
      pending = [...target.split('/').filter(Boolean), ...pending];
      if (target.startsWith('/')) current = [];
      continue;
    }
    current.push(part);
  }
  const final = posix.normalize(current.join('/'));
  const node = tree.get(final);
  return node ? { path: final, node } : undefined;
}
