// Places images live: one verb to read and one to write, whatever the transport.
import type { BlobStore } from '../cache/blob-store.js';
import type { Image } from '../oci/image.js';
import { readOciLayout, writeOciLayout, writeOciReferrers, type PlatformWanted } from './oci-layout.js';
import { formatPlace, parsePlace, type Place } from './place.js';

export { formatPlace, parsePlace, type Place };

/** PlaceContext is what reading and writing places needs besides the image. */
export interface PlaceContext {
  store: BlobStore;
  platform?: PlatformWanted;
  env?: NodeJS.ProcessEnv;
  /** defaultName names the image inside a docker-archive when the place does not. */
  defaultName?: string;
}

/** WriteResult says where an image went and under which digest. */
export interface WriteResult {
  place: string;
  digest: string;
}

/** readImage opens the image at a place. */
export async function readImage(place: Place | string, context: PlaceContext): Promise<Image> {
  const parsed = typeof place === 'string' ? parsePlace(place) : place;
  switch (parsed.transport) {
    case 'oci':
      return readOciLayout(parsed.path, parsed.tag, context.platform);
    case 'docker-archive':
      return (await import('./docker-archive.js')).readDockerArchive(parsed.path, context.store, parsed.reference);
    case 'docker':
      return (await registryPlaces()).readRegistryImage(parsed.reference, context);
  }
}

/** writeImage stores an image at a place; the write is atomic (or, for registries, tag-last). */
export async function writeImage(place: Place | string, image: Image, context: PlaceContext): Promise<WriteResult> {
  const parsed = typeof place === 'string' ? parsePlace(place) : place;
  const digest = await image.digest();
  switch (parsed.transport) {
    case 'oci':
      await writeOciLayout(parsed.path, image, parsed.tag);
      break;
    case 'docker-archive':
      // Loaded on use: it brings the tar reader and layer builder an oci: output never needs.
      await (await import('./docker-archive.js')).writeDockerArchive(parsed.path, image, parsed.reference ?? context.defaultName);
      break;
    case 'docker':
      await (await registryPlaces()).writeRegistryImage(parsed.reference, image, context);
      break;
  }
  return { place: formatPlace(parsed), digest };
}

/**
 * writeReferrers stores artifacts (an SBOM) that refer to an image already written at `place`: beside it in an
 * oci: layout, as referrers in a registry. A docker-archive has no place for them: false, nothing written.
 */
export async function writeReferrers(place: Place | string, artifacts: Image[], context: PlaceContext): Promise<boolean> {
  const parsed = typeof place === 'string' ? parsePlace(place) : place;
  if (artifacts.length === 0) return false;
  switch (parsed.transport) {
    case 'oci':
      await writeOciReferrers(parsed.path, artifacts);
      return true;
    case 'docker-archive':
      return false;
    case 'docker':
      await (await registryPlaces()).writeRegistryReferrers(parsed.reference, artifacts, context);
      return true;
  }
}

// The registry client is loaded on first use, so builds that never touch a registry do not load it;
// it is imported, not registered: src/registry knows nothing of places.
async function registryPlaces(): Promise<typeof import('../registry/index.js')> {
  return import('../registry/index.js');
}
