// Real Debian packages for tests and benches: fetched with apt-get download from the configured mirrors.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { resolvedFor, type BuiltTestDeb } from './deb-file.js';

const run = promisify(execFile);

/** PYTHON_BASE is a bookworm python3 runtime closure, base files included, in install order. */
export const PYTHON_BASE = [
  'gcc-12-base', 'libc6', 'libgcc-s1', 'base-files', 'netbase', 'tzdata', 'media-types', 'ca-certificates', 'libssl3', 'zlib1g',
  'libcrypt1', 'libexpat1', 'libffi8', 'libbz2-1.0', 'liblzma5', 'libsqlite3-0', 'libtinfo6', 'libncursesw6', 'readline-common',
  'libreadline8', 'libuuid1', 'libdb5.3', 'libgdbm6', 'libcom-err2', 'libkeyutils1', 'libkrb5support0', 'libk5crypto3',
  'libkrb5-3', 'libgssapi-krb5-2', 'libtirpc-common', 'libtirpc3', 'libnsl2',
  'libpython3.11-minimal', 'python3.11-minimal', 'python3-minimal', 'libpython3.11-stdlib', 'python3.11', 'libpython3-stdlib', 'python3',
];

/** downloadDebs fetches packages with apt-get download into dir, updating the lists once if needed; undefined if apt cannot. */
export async function downloadDebs(dir: string, names: readonly string[]): Promise<BuiltTestDeb[] | undefined> {
  const download = () => run('apt-get', ['download', '-q', ...names], { cwd: dir, maxBuffer: 1 << 24 });
  try {
    await download().catch(async () => { await run('apt-get', ['update', '-qq']); await download(); });
  } catch {
    return undefined;
  }
  const files = await readdir(dir);
  const debs: BuiltTestDeb[] = [];
  for (const name of names) {
    const file = files.find((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
    if (!file) throw new InputError(`apt-get download gave no .deb for ${name}`);
    const debPath = join(dir, file);
    const { stdout } = await run('dpkg-deb', ['--field', debPath, 'Version', 'Architecture']);
    const fields = Object.fromEntries(stdout.trim().split('\n').map((line) => line.split(': ') as [string, string]));
    debs.push({ debPath, pkg: await resolvedFor(debPath, name, fields.Version!, fields.Architecture!) });
  }
  return debs;
}

