// Test .deb files: real ones built by dpkg-deb from object literals, and hand-made ones for hostile input.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { pack } from 'tar-stream';
import type { ResolvedPackage } from '../debian/types.js';

const run = promisify(execFile);

/** TestDebFile is one path in a test package: text (0644), or a file with mode and owner, a directory, a symlink or a hardlink. */
export type TestDebFile =
  | string
  | { data: string | Buffer; mode?: number; uid?: number; gid?: number }
  | { dir: true; mode?: number; uid?: number; gid?: number }
  | { symlink: string }
  | { hardlink: string };

/** TestDeb describes a package for buildTestDeb; files are applied in key order (hardlinks after their targets). */
export interface TestDeb {
  name: string;
  version?: string;
  architecture?: string;
  files?: Record<string, TestDebFile>;
  /** extra control fields, e.g. { Replaces: 'other' }. */
  control?: Record<string, string>;
  compression?: 'xz' | 'zstd' | 'gzip' | 'none';
}

/** BuiltTestDeb is a .deb on disk with the ResolvedPackage the resolver would have produced for it. */
export interface BuiltTestDeb {
  debPath: string;
  pkg: ResolvedPackage;
}

async function setOwner(path: string, spec: { mode?: number; uid?: number; gid?: number }, fallbackMode: number): Promise<void> {
  await chmod(path, spec.mode ?? fallbackMode);
  if (spec.uid !== undefined || spec.gid !== undefined) await chown(path, spec.uid ?? 0, spec.gid ?? 0);
}

/** buildTestDeb builds a real .deb with `dpkg-deb --build` (plus an md5sums file, as debhelper makes) into dir. */
export async function buildTestDeb(dir: string, spec: TestDeb): Promise<BuiltTestDeb> {
  const version = spec.version ?? '1.0-1';
  const architecture = spec.architecture ?? 'amd64';
  const tree = await mkdtemp(join(tmpdir(), 'kiln-deb-tree-'));
  try {
    const sums: string[] = [];
    for (const [path, file] of Object.entries(spec.files ?? {})) {
      const target = join(tree, path);
      await mkdir(dirname(target), { recursive: true });
      if (typeof file === 'string' || 'data' in file) {
        const data = typeof file === 'string' ? file : file.data;
        await writeFile(target, data);
        await setOwner(target, typeof file === 'string' ? {} : file, 0o644);
        sums.push(`${createHash('md5').update(data).digest('hex')}  ${path}`);
      } else if ('dir' in file) {
        await mkdir(target, { recursive: true });
        await setOwner(target, file, 0o755);
      } else if ('symlink' in file) {
        await symlink(file.symlink, target);
      } else {
        await link(join(tree, file.hardlink), target);
      }
    }
    const control = [
      `Package: ${spec.name}`, `Version: ${version}`, `Architecture: ${architecture}`,
      'Maintainer: kiln tests <test@kiln.invalid>', 'Installed-Size: 1',
      ...Object.entries(spec.control ?? {}).map(([field, value]) => `${field}: ${value}`),
      `Description: test package ${spec.name}`, ' Built by kiln\'s deb-file test helper.',
    ].join('\n') + '\n';
    await mkdir(join(tree, 'DEBIAN'), { mode: 0o755 });
    await chmod(join(tree, 'DEBIAN'), 0o755);
    await writeFile(join(tree, 'DEBIAN', 'control'), control);
    if (sums.length) await writeFile(join(tree, 'DEBIAN', 'md5sums'), sums.join('\n') + '\n');
    const debPath = join(dir, `${spec.name}_${version}_${architecture}.deb`);
    await run('dpkg-deb', [`-Z${spec.compression ?? 'xz'}`, '--build', tree, debPath], { env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
    return { debPath, pkg: await resolvedFor(debPath, spec.name, version, architecture) };
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

/** resolvedFor describes a .deb on disk as the resolver would (name, version, sha256, size). */
export async function resolvedFor(debPath: string, name: string, version: string, architecture: string): Promise<ResolvedPackage> {
  const data = await readFile(debPath);
  return {
    name, version, architecture,
    filename: `pool/main/${name[0]}/${name}/${name}_${version}_${architecture}.deb`,
    sha256: createHash('sha256').update(data).digest('hex'),
    size: data.length,
    mirror: 'http://deb.invalid/debian',
    control: [['Package', name], ['Version', version], ['Architecture', architecture]],
  };
}

/** arArchive writes an ar archive by hand (for .debs no dpkg-deb would make). */
export function arArchive(members: Array<{ name: string; data: Buffer }>): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const { name, data } of members) {
    const header = name.padEnd(16) + '0'.padEnd(12) + '0'.padEnd(6) + '0'.padEnd(6) + '100644'.padEnd(8) + String(data.length).padEnd(10) + '`\n';
    parts.push(Buffer.from(header, 'latin1'), data);
    if (data.length % 2) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** RawTarMember is a tar member written exactly as given, hostile names included. */
export interface RawTarMember {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  data?: string;
  linkname?: string;
  mode?: number;
}

/** rawTar writes a tar with tar-stream, paths untouched. */
export async function rawTar(members: RawTarMember[]): Promise<Buffer> {
  const archive = pack();
  for (const member of members) {
    const isFile = (member.type ?? 'file') === 'file';
    const body = Buffer.from(isFile ? member.data ?? '' : '');
    archive.entry({ name: member.name, type: member.type ?? 'file', linkname: member.linkname, mode: member.mode ?? 0o644, size: body.length }, body);
  }
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** handMadeDeb builds a .deb from a control text and raw data members, uncompressed tars in a hand-written ar. */
export async function handMadeDeb(name: string, data: RawTarMember[], dataMember = 'data.tar'): Promise<Buffer> {
  const control = await rawTar([{ name: './control', data: `Package: ${name}\nVersion: 1\nArchitecture: all\nDescription: hostile\n` }]);
  return arArchive([
    { name: 'debian-binary', data: Buffer.from('2.0\n') },
    { name: 'control.tar', data: control },
    { name: dataMember, data: await rawTar(data) },
  ]);
}
