// readDeb: a .deb file -> its control stanza, md5sums and data entries as TarEntry, ready for a layer.
import { open, readFile } from 'node:fs/promises';
import { InputError, UnsafePathError } from '../errors.js';
import { normalizeEntryPath, type Content, type TarEntry } from '../tar/entry.js';
import { parseAr } from './ar.js';
import { parseControlStanza, type ControlFields } from './control-file.js';
import { decompressMember, MEMBER_PATTERN, streamMember } from './decompress.js';
import { aliasedTop, isMergedUsrLink, mergedUsrPath, rewriteSymlinkTarget } from './merged-usr.js';
import { readTar, TarScanner, type RawTarEntry, type TarMember } from './tar-read.js';

/** DebContents is what kiln takes from one package; maintainer scripts are never run (postinst is only scanned for alternatives). */
export interface DebContents {
  /** control is the control file's text as shipped. */
  control: string;
  fields: ControlFields;
  /** md5sums is the md5sums file's text, when the package has one. */
  md5sums?: string;
  /** postinst is the postinst script's text, read only to learn the update-alternatives it registers. */
  postinst?: string;
  /** entries are the data.tar members with merged-/usr paths, in archive order; file content is in memory or spilled. */
  entries: TarEntry[];
  /** mergedDirs are the top-level directories (lib32, ...) this package shipped paths under before the rewrite. */
  mergedDirs: Set<string>;
}

/** ReadDebOptions tune where file contents live. */
export interface ReadDebOptions {
  /**
   * spillTo is a file to write the decompressed data.tar to; the entries then point into it (`file-range`)
   * instead of holding the package's files in memory. The caller removes the file when the entries are used.
   */
  spillTo?: string;
}

/** readDeb reads a .deb from disk or memory; `name` (the package) names it in every error. */
export async function readDeb(source: string | Buffer, name: string, options: ReadDebOptions = {}): Promise<DebContents> {
  const what = `package ${name}`;
  const archive = typeof source === 'string'
    ? await readFile(source).catch((error: unknown) => { throw new InputError(`${what}: cannot read ${source}: ${(error as Error).message}`, { cause: error }); })
    : source;
  const members = parseAr(archive, what);
  if (members[0]?.name !== 'debian-binary' || !members[0].data.toString('latin1').startsWith('2.')) {
    throw new InputError(`${what}: not a .deb (format 2.x debian-binary must come first)`);
  }
  const control = members.find((member) => member.name.startsWith('control.tar'));
  const data = members.find((member) => member.name.startsWith('data.tar'));
  for (const member of [control, data]) {
    if (member && !MEMBER_PATTERN.test(member.name)) {
      throw new InputError(`${what}: unsupported .deb member "${member.name}" (kiln reads .tar, .tar.gz, .tar.xz and .tar.zst)`);
    }
  }
  if (!control || !data) throw new InputError(`${what}: .deb lacks ${control ? 'data.tar' : 'control.tar'}`);
  const { spillTo } = options;
  const [controlTar, dataTar] = await Promise.all([
    decompressMember(control.name, control.data, what),
    spillTo ? spillMember(data.name, data.data, spillTo, what) : decompressMember(data.name, data.data, what),
  ]);
  const controlFiles = new Map(readTar(controlTar, `${what}: ${control.name}`).map((entry) => [entry.name.replace(/^\.?\//, ''), entry]));
  const controlText = controlFiles.get('control')?.data.toString('utf8');
  if (controlText === undefined) throw new InputError(`${what}: ${control.name} has no control file`);
  const mergedDirs = new Set<string>();
  const files: DataMember[] = Buffer.isBuffer(dataTar)
    ? readTar(dataTar, `${what}: ${data.name}`).map(({ data: bytes, ...member }) => ({ ...member, size: bytes.length, content: { kind: 'buffer', data: bytes } }))
    : dataTar.map(({ offset, ...member }) => ({ ...member, content: { kind: 'file-range', path: spillTo!, offset } }));
  return {
    control: controlText,
    fields: parseControlStanza(controlText, what),
    md5sums: controlFiles.get('md5sums')?.data.toString('utf8'),
    postinst: controlFiles.get('postinst')?.data.toString('utf8'),
    entries: dataEntries(files, what, mergedDirs),
    mergedDirs,
  };
}

/**
 * spillMember streams a data.tar member, decompressed, into `spillTo` while reading its headers on the way, so
 * neither the uncompressed archive nor its files are ever whole in memory.
 */
async function spillMember(name: string, data: Buffer, spillTo: string, what: string): Promise<TarMember[]> {
  const scanner = new TarScanner(`${what}: ${name}`);
  const cannotWrite = (error: unknown): never => {
    throw new InputError(`${what}: cannot write ${spillTo}: ${(error as Error).message}`, { cause: error });
  };
  const file = await open(spillTo, 'w').catch(cannotWrite);
  try {
    for await (const chunk of streamMember(name, data, what)) {
      scanner.push(chunk);
      await file.write(chunk).catch(cannotWrite);
    }
  } finally {
    await file.close().catch(() => undefined);
  }
  return scanner.end();
}

/** DataMember is a data.tar member with its file content in memory or in the spill file. */
type DataMember = Omit<RawTarEntry, 'data'> & { size: number; content: Content };

function dataEntries(raw: DataMember[], what: string, mergedDirs: Set<string>): TarEntry[] {
  const entries: TarEntry[] = [];
  // Hardlinks may only point at something the same package shipped earlier, never at the host or a sibling.
  const seen = new Map<string, string>();
  for (const member of raw) {
    const original = normalizeEntryPath(member.name, what);
    if (original === '') continue;
    const top = aliasedTop(original);
    if (top) mergedDirs.add(top);
    const path = mergedUsrPath(original);
    const base = { path, mode: member.mode, uid: member.uid, gid: member.gid, mtime: member.mtime };
    switch (member.type) {
      case 'file':
        entries.push({ ...base, type: 'file', size: member.size, content: member.content });
        break;
      case 'directory':
        entries.push({ ...base, type: 'directory' });
        break;
      case 'symlink': {
        // A shipped `bin -> usr/bin` (trixie base-files) is the skeleton's own link; keep one copy.
        if (isMergedUsrLink({ ...base, path: original, type: 'symlink', linkTarget: member.linkname })) break;
        entries.push({ ...base, type: 'symlink', mode: 0o777, linkTarget: rewriteSymlinkTarget(original, path, member.linkname) });
        break;
      }
      case 'hardlink': {
        const target = mergedUsrPath(normalizeEntryPath(member.linkname, what));
        if (!seen.has(target)) throw new UnsafePathError(`${what}: hardlink "${original}" points outside the package ("${member.linkname}")`);
        entries.push({ ...base, type: 'hardlink', linkTarget: target });
        break;
      }
      default:
        throw new InputError(`${what}: "${original}" is a ${member.type} device; Debian packages may not ship those`);
    }
    seen.set(path, member.type);
  }
  return entries;
}
