// setSourceRef: `kiln source bump NAME --to REF` rewrites that one scalar of kiln.yaml in place, so comments,
// order and quoting elsewhere stay exactly as the user wrote them.
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { writeFileAtomic } from '../places/blob-file.js';

/** setSourceRef replaces `sources.NAME.ref` in the manifest file with `ref`. */
export async function setSourceRef(file: string, name: string, ref: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const doc = parseDocument(text, { keepSourceTokens: true });
  const node = doc.getIn(['sources', name, 'ref'], true);
  const parent = doc.getIn(['sources', name], true);
  if (!isScalar(node) || !isMap(parent) || !node.range) throw new ConfigError(`sources.${name}.ref is not a plain value kiln can rewrite; set it to "${ref}" by hand`, { where: { file } });
  const [start, end] = node.range;
  const written = /^[A-Za-z0-9._/-]+$/.test(ref) && !/^[0-9.]+$/.test(ref) ? ref : JSON.stringify(ref);
  await writeFileAtomic(file, text.slice(0, start) + written + text.slice(end));
}
