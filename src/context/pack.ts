// packContext: a pinned plan -> exactly the files building it needs, as layer entries, plus the plan rewritten to
// paths inside the context. Every file is checked against the plan's pins first, so a context never carries an
// input edited after planning.
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from '../cache/blob-store.js';
import { appEntries } from '../apply/app-layer.js';
import { InputError, IntegrityError } from '../errors.js';
import type { BuildPlan, ImagePlan } from '../plan/types.js';
import { platformEntries } from '../plan/platforms.js';
import { projectSourceFiles } from '../python/local-wheel/source-digest.js';
import { fileSha256 } from '../cache/file-digests.js';
import { verifyPins } from '../resolve/verify.js';
import { compareEntryPaths, type TarEntry } from '../tar/entry.js';
import { mapPlanPaths, planPaths } from './paths.js';

/** TREE and CACHE are the context's two top folders: the project's files, and what the packer's cache held (synced sources). */
export const TREE = 'tree';
export const CACHE = 'cache';

/** PackedContext is what goes into the artifact: the rewritten plan and the files, as sorted layer entries. */
export interface PackedContext {
  plan: BuildPlan;
  entries: TarEntry[];
  /** files counts regular files; bytes is their total size. */
  files: number;
  bytes: number;
}

/** commonRoot is the deepest folder holding every path. */
export function commonRoot(paths: string[]): string {
  let root = paths[0]!;
  for (const path of paths.slice(1)) {
    while (root !== dirname(root) && path !== root && !path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`)) root = dirname(root);
  }
  return root;
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`);
}

/** contextPathMap maps host paths into the context: under the cache to cache/..., everything else to tree/... below their common root. */
function contextPathMap(plan: BuildPlan, store: BlobStore): (path: string) => string {
  const cacheRoot = store.root;
  const project = planPaths(plan).filter((path) => !inside(path, cacheRoot));
  const root = commonRoot(project.length ? project : [dirname(plan.manifestFile)]);
  return (path) => {
    if (!isAbsolute(path)) throw new InputError(`context: plan path "${path}" is not absolute; write the plan again with kiln plan --json`);
    const [top, base] = inside(path, cacheRoot) ? [CACHE, cacheRoot] : [TREE, root];
    const rest = relative(base, path).split(sep).filter(Boolean).join('/');
    return rest ? `${top}/${rest}` : top;
  };
}

// An entry the context cannot carry is refused before anything is read (each platform of a multi-platform one).
function checkPackable(entry: ImagePlan): void {
  if (entry.unresolved) throw new InputError(`${entry.name}: ${entry.unresolved}`);
  if (!entry.pinned) throw new InputError(`${entry.name}: the plan pins nothing for this entry; write it with kiln plan --json`);
  if (entry.pinned.base.kind === 'place') {
    throw new InputError(`${entry.name}: base ${entry.pinned.base.place} is a local image; push it to a registry and name it docker://... so a context stays small`);
  }
}

/** findLinksFolders are the entry's find_links locations that are folders on this machine (not remote URLs). */
function findLinksFolders(entry: ImagePlan): string[] {
  return (entry.pinned?.python?.findLinks ?? []).flatMap((location) => {
    if (location.startsWith('file:')) return [fileURLToPath(location)];
    return isAbsolute(location) ? [location] : [];
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * checkLockAndWheels refuses a Python lock or a find_links wheel whose bytes are not the ones planned (verifyPins
 * covers the app folder and local projects).
 */
async function checkLockAndWheels(entry: ImagePlan): Promise<string[]> {
  const python = entry.pinned?.python;
  if (!python) return [];
  const lockNow = await fileSha256(python.lock.path, `${entry.name}: the Python lock`);
  if (lockNow !== python.lock.sha256) {
    throw new IntegrityError(`${entry.name}: lock ${python.lock.path} changed since it was planned: sha256:${lockNow}, the plan pins sha256:${python.lock.sha256}`);
  }
  const wheels: string[] = [];
  const folders = findLinksFolders(entry);
  for (const pkg of python.packages) {
    if (pkg.source) continue;
    let path: string | undefined;
    if (pkg.url?.startsWith('file:')) path = fileURLToPath(pkg.url);
    else if (!pkg.url) {
      for (const folder of folders) if (await exists(join(folder, pkg.filename))) { path = join(folder, pkg.filename); break; }
    }
    if (!path) continue;
    if (pkg.sha256) {
      const now = await fileSha256(path, `${entry.name}: ${pkg.name}`);
      if (now !== pkg.sha256) throw new IntegrityError(`${entry.name}: wheel ${path} changed since it was planned: sha256:${now}, the plan pins sha256:${pkg.sha256}`);
    }
    wheels.push(path);
  }
  return wheels;
}

async function fileEntry(path: string, at: string): Promise<TarEntry> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`context: cannot read ${path}: ${error.code ?? error.message}`);
  });
  if (!info.isFile()) throw new InputError(`context: ${path} is not a regular file`);
  return { path: at, type: 'file', mode: info.mode & 0o7777, size: info.size, content: { kind: 'host-file', path } };
}

/** packContext checks every input of `plan` against its pins and lists the files of a context that builds it. */
export async function packContext(plan: BuildPlan, options: { store: BlobStore; env: NodeJS.ProcessEnv }): Promise<PackedContext> {
  // A multi-platform entry is packed platform by platform: each has its own pins, and files they share go once.
  const parts = plan.images.flatMap((entry) => platformEntries(entry));
  for (const entry of parts) checkPackable(entry);
  // Outputs on the packer's disk mean nothing where the context is built: registries stay, files go.
  const kept: BuildPlan = { ...plan, images: plan.images.map((entry) => ({ ...entry, outputs: entry.outputs.filter((output) => output.startsWith('docker://')) })) };
  const toContext = contextPathMap(kept, options.store);
  const entries = new Map<string, TarEntry>();
  const add = (entry: TarEntry): void => {
    if (!entries.has(entry.path)) entries.set(entry.path, entry);
  };
  const addFile = async (path: string): Promise<void> => add(await fileEntry(path, toContext(path)));
  const addFolder = (path: string): void => add({ path: toContext(path), type: 'directory', mode: 0o755 });

  await addFile(plan.manifestFile);
  const kilnLock = join(dirname(plan.manifestFile), 'kiln.lock');
  if (await exists(kilnLock)) await addFile(kilnLock);
  for (const entry of parts) {
    await verifyPins(entry, options);
    const wheels = await checkLockAndWheels(entry);
    const pins = entry.pinned!;
    if (pins.app) {
      const at = toContext(pins.app.dir);
      addFolder(pins.app.dir);
      for (const file of await appEntries({ dir: pins.app.dir, dest: '/', ...(pins.app.exclude ? { exclude: pins.app.exclude } : {}) })) {
        // An absolute link means something only inside the image; unpacked on another machine it would point at that machine.
        if (file.type === 'symlink' && file.linkTarget!.startsWith('/')) {
          throw new InputError(`${entry.name}: ${join(pins.app.dir, file.path)} is a symlink to an absolute path (${file.linkTarget}), which a context cannot carry; make it relative`);
        }
        add({ ...file, path: `${at}/${file.path}` });
      }
      // The app's .dockerignore goes along even when it ignores itself: without it the copy would count every file.
      const ignore = join(pins.app.dir, '.dockerignore');
      if (await exists(ignore)) await addFile(ignore);
    }
    if (pins.python) {
      await addFile(pins.python.lock.path);
      for (const folder of findLinksFolders(entry)) addFolder(folder);
      for (const wheel of wheels) await addFile(wheel);
      for (const pkg of pins.python.packages) {
        if (!pkg.source) continue;
        if (pkg.source.dir.endsWith('.whl')) await addFile(pkg.source.dir);
        else for (const file of await projectSourceFiles(pkg.source.dir)) await addFile(file);
      }
    }
    if (entry.scan && entry.scan.ignorefile && await exists(entry.scan.ignorefile)) await addFile(entry.scan.ignorefile);
  }
  const sorted = [...entries.values()].sort((a, b) => compareEntryPaths(a.path, b.path));
  const files = sorted.filter((entry) => entry.type === 'file');
  return {
    plan: mapPlanPaths(kept, toContext),
    entries: sorted,
    files: files.length,
    bytes: files.reduce((sum, entry) => sum + (entry.size ?? 0), 0),
  };
}
