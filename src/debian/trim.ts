// trimDocs: drop what a server image never reads (man pages, info, most of /usr/share/doc), keep licences.
//
// Follows the path-exclude rules Debian's own slim images and distroless use: everything under
// usr/share/doc/<pkg>/ except `copyright`, and the contents of usr/share/{man,info,lintian,linda}.
// The top directories themselves stay (packages expect them), and so do files a kept hardlink needs.
import type { TarEntry } from '../tar/entry.js';

const DROPPED_TREES = /^usr\/share\/(man|info|lintian|linda|groff)\/./;
const DOC_FILE = /^usr\/share\/doc\/[^/]+\/(.+)$/;

/** isTrimmedPath tells whether a path (merged-/usr form) is left out of kiln's Debian images. */
export function isTrimmedPath(path: string): boolean {
  if (DROPPED_TREES.test(path)) return true;
  const doc = DOC_FILE.exec(path);
  return doc !== null && doc[1] !== 'copyright';
}

/** trimDocs filters one package's entries. */
export function trimDocs(entries: readonly TarEntry[]): TarEntry[] {
  const kept = entries.filter((entry) => !isTrimmedPath(entry.path));
  const needed = new Set(kept.filter((entry) => entry.type === 'hardlink').map((entry) => entry.linkTarget));
  return entries.filter((entry) => !isTrimmedPath(entry.path) || needed.has(entry.path));
}
