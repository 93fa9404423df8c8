// kiln's own image, built by kiln: images/kiln/kiln.yaml names the base (Debian trixie: nodejs 20, git,
// ca-certificates; distroless, user 65532) and the runtime config; this adds what kiln.yaml cannot say, two
// layers of kiln itself: the production node_modules (changes with the lock) and then dist/, bin/, schema/ and
// package.json (changes with every commit). Both are deterministic, so the image is reproducible like any other.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BlobStore } from '../cache/blob-store.js';
import { assembleImage, reportImage } from '../apply/build-image.js';
import type { EntryBuilder } from '../apply/build-entries.js';
import { InputError } from '../errors.js';
import { buildLayer } from '../layer/build.js';
import { directoryEntries } from '../layer/from-directory.js';
import { appendLayers, withConfig } from '../oci/mutate.js';
import type { Image } from '../oci/image.js';
import type { ImagePlan } from '../plan/types.js';
import type { TarEntry } from '../tar/entry.js';
import { nodeModulesEntries, runtimePackages } from './node-modules.js';

export { runtimePackages } from './node-modules.js';

/** KILN_HOME is where kiln lives in its image; the entrypoint is `node KILN_HOME/bin/kiln.js`. */
export const KILN_HOME = '/opt/kiln';

/** kilnCheckout is the folder holding kiln's package.json (the same from src/ under tsx and from dist/). */
export function kilnCheckout(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

/** selfImageManifest is the kiln.yaml describing the image's base and runtime config. */
export function selfImageManifest(root = kilnCheckout()): string {
  return join(root, 'images/kiln/kiln.yaml');
}

// What `npm pack` ships (package.json `files`), which is all kiln needs at run time besides node_modules.
const SHIPPED = ['bin', 'dist', 'schema'];

async function kilnEntries(root: string, prefix: string): Promise<TarEntry[]> {
  if (!existsSync(join(root, 'dist/cli/main.js')) || !existsSync(join(root, 'dist/bundle/main.js'))) throw new InputError(`${join(root, 'dist')} has no compiled kiln; run npm run build first`);
  const entries: TarEntry[] = [];
  for (const dir of SHIPPED) {
    entries.push({ path: `${prefix}/${dir}`, type: 'directory', mode: 0o755 });
    entries.push(...await directoryEntries(join(root, dir), { prefix: `${prefix}/${dir}` }));
  }
  // context.ts reads the version from package.json beside dist/.
  const pkg = join(root, 'package.json');
  entries.push({ path: `${prefix}/package.json`, type: 'file', mode: 0o644, size: (await stat(pkg)).size, content: { kind: 'host-file', path: pkg } });
  return entries;
}

/** kilnLayers appends kiln's two layers to `base`, keeping its config and manifest annotations. */
export async function kilnLayers(base: Image, entry: ImagePlan, options: { root: string; store: BlobStore; log: (line: string) => void }): Promise<Image> {
  const prefix = KILN_HOME.slice(1);
  const packages = await runtimePackages(options.root, entry.platform);
  options.log(`${entry.name}: node_modules layer (${packages.length} packages)`);
  const deps = await buildLayer(await nodeModulesEntries(options.root, packages, prefix), { store: options.store, epoch: entry.epoch });
  options.log(`${entry.name}: kiln layer (${SHIPPED.join(', ')}, package.json)`);
  const kiln = await buildLayer(await kilnEntries(options.root, prefix), { store: options.store, epoch: entry.epoch });
  const appended = await appendLayers(base,
    { layer: deps.layer, history: { created: entry.created, created_by: `kiln: node_modules ${KILN_HOME}/node_modules (${packages.length} packages)`, comment: 'node_modules' } },
    { layer: kiln.layer, history: { created: entry.created, created_by: `kiln: kiln ${KILN_HOME}`, comment: 'kiln' } });
  return withConfig(appended, () => undefined, (await base.manifest()).annotations);
}

/** selfImageBuilder builds the kiln.yaml entry natively, then adds kiln's layers: the builder `kiln self-image` runs. */
export function selfImageBuilder(manifestFile: string, options: { root: string; store: BlobStore; env: NodeJS.ProcessEnv }): EntryBuilder {
  return async (entry, log) => {
    const base = await assembleImage(entry, manifestFile, { store: options.store, env: options.env, log });
    const image = await kilnLayers(base, entry, { ...options, log });
    return { image, report: await reportImage(entry.name, image, [], options.store) };
  };
}
