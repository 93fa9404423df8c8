// verifyPins: before a plan file is applied, every local input it pinned is checked against the disk: the app
// folder, path dependencies and the project, a local base. Downloaded inputs (wheels, .debs, registry blobs) are
// checked against their pinned sha256 as they are fetched.
import type { BlobStore } from '../cache/blob-store.js';
import { IntegrityError } from '../errors.js';
import { readImage } from '../places/index.js';
import type { ImagePlan, PinnedPythonPackage } from '../plan/types.js';
import { platformEntries } from '../plan/platforms.js';
import { localSourceDigest } from '../python/local-pin.js';
import { appDigest } from './app-digest.js';

/** verifyPins refuses, in one line naming the entry and the input, a local input that no longer matches its pin. */
export async function verifyPins(entry: ImagePlan, context: { store: BlobStore; env: NodeJS.ProcessEnv }): Promise<void> {
  // A multi-platform entry pins each platform apart.
  if (entry.platforms) {
    for (const part of platformEntries(entry)) await verifyPins(part, context);
    return;
  }
  const pins = entry.pinned;
  if (!pins) throw new IntegrityError(`${entry.name}: the plan pins nothing for this entry; write it with kiln plan --json`);
  if (pins.app) {
    const now = await appDigest(pins.app, context.store);
    if (now !== pins.app.digest) throw new IntegrityError(`${entry.name}: app folder ${pins.app.dir} changed since it was planned: ${now}, the plan pins ${pins.app.digest}`);
  }
  for (const pkg of pins.python?.packages ?? []) if (pkg.source) await checkLocalSource(entry.name, pkg);
  if (pins.base.kind === 'place') {
    const image = await readImage(pins.base.place, { store: context.store, platform: entry.platform, env: context.env });
    const digest = await image.digest();
    if (digest !== pins.base.digest) throw new IntegrityError(`${entry.name}: base ${pins.base.place} is ${digest}, the plan pins ${pins.base.digest}`);
  }
}


async function checkLocalSource(entry: string, pkg: PinnedPythonPackage): Promise<void> {
  const source = pkg.source!;
  const now = await localSourceDigest(pkg);
  if (now !== source.digest) {
    throw new IntegrityError(`${entry}: ${pkg.kind === 'project' ? 'project' : `${pkg.kind === 'git' ? 'git' : 'path'} dependency`} ${pkg.name} (${source.dir}) changed since it was planned: ${now}, the plan pins ${source.digest}`);
  }
}
