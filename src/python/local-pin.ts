// Pins of local Python packages (the project, path dependencies, a wheel file on disk): each is built into a wheel
// whose sha256 the plan records, with the digest of the source it was built from. Planning (pin.ts) pins them with
// the rest; the plan memo (cli/plan-memo.ts) pins again only these when their source changed and no planning input
// did, so it needs none of the lock readers pin.ts loads.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import { fileSha256 } from '../cache/file-digests.js';
import { InputError } from '../errors.js';
import type { PinnedPythonPackage } from '../plan/types.js';
import { projectSourceDigest } from './local-wheel/source-digest.js';
import { buildLocalWheel } from './local-wheel/wheel.js';
import { normalizeName } from './names.js';
import { parseWheelFilename } from './wheel/filename.js';

/** LocalPinContext is what pinning a local package uses: the cache the wheel goes into and the epoch dating it. */
export interface LocalPinContext {
  store: BlobStore;
  epoch: number;
}

/** localSourceDigest is today's digest of a project, path or git dependency's source (a folder or a local wheel). */
export async function localSourceDigest(pkg: PinnedPythonPackage): Promise<string> {
  const dir = pkg.source!.dir;
  return dir.endsWith('.whl') ? `sha256:${await fileSha256(dir, pkg.name)}` : projectSourceDigest(dir);
}

/**
 * repinLocal pins a project or path dependency again from its source as it is now: the same name, kind and layer,
 * the wheel built anew. Its metadata comes from its pyproject.toml, which the caller knows to be unchanged.
 */
export async function repinLocal(pkg: PinnedPythonPackage, context: LocalPinContext): Promise<PinnedPythonPackage> {
  if (!pkg.source || (pkg.kind !== 'project' && pkg.kind !== 'path')) throw new Error('repinLocal takes project and path dependencies');
  const work = await mkdtemp(join(tmpdir(), 'kiln-repin-'));
  try {
    return await localWheel(pkg.name, pkg.source.dir, pkg.kind, pkg.layer, work, context);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** namingDependency runs a local build; a source that cannot be built says which dependency it is, which its folder may not tell. */
export async function namingDependency<T>(kind: 'path' | 'project' | 'git', name: string, build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError(`${kind === 'project' ? `the project ${name}` : `${kind} dependency ${name}`}: ${error.message}`, { cause: error, ...(error.where ? { where: error.where } : {}) });
  }
}

/** localWheel pins a local package: a wheel file on disk as it is, a source folder built into a wheel (kept in the store). */
export async function localWheel(name: string, path: string, kind: 'path' | 'project' | 'git', layer: string, work: string, context: LocalPinContext): Promise<PinnedPythonPackage> {
  if (path.endsWith('.whl')) {
    const sha256 = await fileSha256(path, name);
    const parsed = parseWheelFilename(posix.basename(path));
    return { name, version: parsed.version, kind, filename: posix.basename(path), sha256, layer, source: { dir: path, digest: `sha256:${sha256}` } };
  }
  const { digest, built } = await namingDependency(kind, name, async () => ({
    digest: await projectSourceDigest(path),
    built: await buildLocalWheel(path, work, { epoch: context.epoch }),
  }));
  const data = await readFile(built.path);
  const info = await context.store.writeBuffer(data);
  return {
    name: kind === 'project' ? normalizeName(built.name) : name,
    version: built.version,
    kind,
    filename: built.filename,
    sha256: info.digest.slice('sha256:'.length),
    size: data.length,
    layer,
    source: { dir: path, digest },
  };
}
