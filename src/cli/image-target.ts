// openTarget: the image an inspect, why or diff argument names: an image place (oci:, docker-archive:, docker://), or
// a manifest folder (or kiln.yaml) with an entry name, DIR/ENTRY, whose last build is read from the cache.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Image } from '../oci/image.js';
import { UsageError } from '../errors.js';
import type { CommandContext } from './context.js';
import { IMAGE_PLACE } from './inventories.js';

/** Target is an opened image, and for a kiln entry what its plan asked for. */
export interface Target {
  name: string;
  image: Image;
  entry?: { manifestFile: string; name: string; requested: { debian: string[] } };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

// Entry names may hold slashes (`server/cpu`): the longest existing prefix is the folder, the rest the entry.
async function splitDirEntry(text: string, cwd: string): Promise<{ dir: string; entry?: string }> {
  const parts = text.split('/');
  for (let end = parts.length; end > 0; end--) {
    const dir = parts.slice(0, end).join('/') || '/';
    if (await exists(resolve(cwd, dir))) return { dir, ...(end < parts.length ? { entry: parts.slice(end).join('/') } : {}) };
  }
  return { dir: '.', entry: text };
}

/** openTarget opens `text` (default: the manifest in the current folder); `what` names the argument in errors. */
export async function openTarget(text: string | undefined, context: CommandContext): Promise<Target> {
  if (text && IMAGE_PLACE.test(text)) {
    const { readImage } = await import('../places/index.js');
    return { name: text, image: await readImage(text, { store: context.cache(), env: context.env }) };
  }
  const [{ manifestPath }, { planBuild }, { findBuild, storedImage }] = await Promise.all([
    import('./commands/build.js'), import('../plan/index.js'), import('../cache/build-records.js'),
  ]);
  const { dir, entry } = await splitDirEntry(text ?? '.', context.cwd);
  const manifestFile = await manifestPath(dir, context.cwd);
  if (!(await exists(manifestFile))) throw new UsageError(`${text ?? '.'}: not an image place (oci:, docker-archive:, docker://) and no kiln.yaml at ${manifestFile}`);
  const plan = await planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env, store: context.cache() });
  const names = plan.images.map((image) => image.name);
  const chosen = entry === undefined
    ? (plan.images.length === 1 ? plan.images[0] : undefined)
    : plan.images.find((image) => image.name === entry);
  if (!chosen) {
    const problem = entry === undefined ? `${manifestFile} has ${names.length} entries` : `${manifestFile} has no entry "${entry}"`;
    throw new UsageError(`${problem} (${names.join(', ')}): name one as ${dir}/ENTRY`);
  }
  const store = context.cache();
  const record = await findBuild(store, { manifestFile, name: chosen.name });
  if (!record) throw new UsageError(`no build recorded for ${chosen.name} of ${manifestFile}: run kiln build`);
  const image = await storedImage(store, record.digest);
  return {
    name: chosen.name,
    image,
    entry: { manifestFile, name: chosen.name, requested: { debian: chosen.base.kind === 'distro' ? [...chosen.base.spec.packages] : [] } },
  };
}
