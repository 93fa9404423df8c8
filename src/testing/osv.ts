// OSV test data: the hand-written fixture records, export zips made from them, and hello-python's pinned plan.
import { readdir, readFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import type { PinnedDebPackage, ImagePlan } from '../plan/index.js';
import { testImagePlan } from './plans.js';

/** OSV_FIXTURES is test/fixtures/osv. */
export const OSV_FIXTURES = fileURLToPath(new URL('../../test/fixtures/osv', import.meta.url));

/** ZipFileSpec is one file to put in a test zip. */
export interface ZipFileSpec {
  name: string;
  data: string | Buffer;
}

/** fixtureRecords returns the fixture records as zip entries (`<ID>.json`), sorted by name. */
export async function fixtureRecords(): Promise<ZipFileSpec[]> {
  const dir = join(OSV_FIXTURES, 'records');
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  return Promise.all(names.map(async (name) => ({ name, data: await readFile(join(dir, name)) })));
}

/** writeZip writes `files` as a deflated zip at `path`, as OSV's exports are. */
export async function writeZip(path: string, files: readonly ZipFileSpec[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const file of files) zip.addBuffer(Buffer.from(file.data), file.name, { mtime: new Date(0), compress: true });
  zip.end();
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject);
  });
}

/** helloPythonPlan is hello-python's entry pinned to its fixture Debian closure, with `versions` replacing some versions by package name. */
export async function helloPythonPlan(versions: Record<string, string> = {}, name = 'hello-python'): Promise<ImagePlan> {
  const fixture = JSON.parse(await readFile(join(OSV_FIXTURES, 'hello-python-debs.json'), 'utf8')) as { codename: string; packages: PinnedDebPackage[] };
  const packages = fixture.packages.map((pkg) => (versions[pkg.name] ? { ...pkg, version: versions[pkg.name]! } : pkg));
  return testImagePlan({ name, image: name, epoch: 1700000000, pinned: { base: { kind: 'distro', lockName: name, codename: fixture.codename, packages } } });
}

/** BOOKWORM_12_0 are versions bookworm's first release shipped, for advisories current bookworm has fixed. */
export const BOOKWORM_12_0: Record<string, string> = {
  libssl3: '3.0.9-1',
  'libpython3.11-minimal': '3.11.2-6',
  'libpython3.11-stdlib': '3.11.2-6',
  'python3.11': '3.11.2-6',
  'python3.11-minimal': '3.11.2-6',
};
