// Places images live: one verb to read and one to write, whatever the transport.
import type { BlobStore } from '../cache/blob-store.js';
import type { Image } from '../oci/image.js';
import { isImageIndex, selectChild, type ImageOrIndex } from '../oci/image-index.js';
import { OutputError } from '../errors.js';
import { readOciArtifacts, readOciLayout, readOciLayoutIndex, writeOciLayout, writeOciReferrers, type PlatformWanted } from './oci-layout.js';

export type { PlatformWanted };
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

/** WriteResult says where an image went and under which digest; `platform` names the one child a docker-archive took of an index. */
export interface WriteResult {
  place: string;
  digest: string;
  platform?: string;
}

/** hostPlatform is the platform of the machine kiln runs on, in OCI spelling. */
export function hostPlatform(): PlatformWanted {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
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

/**
 * readImageOrIndex opens what a place holds as it is: an oci: layout entry that is an image index comes back as the
 * index with every child (copying or validating needs all platforms); anything else as readImage opens it.
 */
export async function readImageOrIndex(place: Place | string, context: PlaceContext): Promise<ImageOrIndex> {
  const parsed = typeof place === 'string' ? parsePlace(place) : place;
  if (parsed.transport === 'oci') return readOciLayoutIndex(parsed.path, parsed.tag, context.platform);
  return readImage(parsed, context);
}

/**
 * readReferrers opens the artifacts (SBOMs) stored with an image or index at a place: those beside it, or beside
 * any of its children, in an oci: layout. Other places give none here (a docker-archive has nowhere to keep them).
 */
export async function readReferrers(place: Place | string, image: ImageOrIndex): Promise<Image[]> {
  const parsed = typeof place === 'string' ? parsePlace(place) : place;
  if (parsed.transport !== 'oci') return [];
  const subjects = [await image.digest(), ...(isImageIndex(image) ? await Promise.all((await image.children()).map((child) => child.image.digest())) : [])];
  return readOciArtifacts(parsed.path, subjects);
}

/**
 * writeImage stores an image or an index at a place; the write is atomic (or, for registries, tag-last). An oci:
 * layout or a registry holds the whole index; a docker-archive (what `docker load` reads) holds one image: the
 * child for `context.platform`, the host's by default, named in the result.
 */
export async function writeImage(place: Place | string, image: ImageOrIndex, context: PlaceContext): Promise<WriteResult> {
  const parsed = typeof place === 'string' ? parsePlace(place) : place;
  const digest = await image.digest();
  switch (parsed.transport) {
    case 'oci':
      await writeOciLayout(parsed.path, image, parsed.tag);
      break;
    case 'docker-archive': {
      // Loaded on use: it brings the tar reader and layer builder an oci: output never needs.
      const { writeDockerArchive } = await import('./docker-archive.js');
      if (!isImageIndex(image)) {
        await writeDockerArchive(parsed.path, image, parsed.reference ?? context.defaultName);
        break;
      }
      const wanted = context.platform ?? hostPlatform();
      const child = await selectChild(image, wanted);
      const name = `${wanted.os}/${wanted.architecture}${wanted.variant ? `/${wanted.variant}` : ''}`;
      if (!child) {
        const have = (await image.children()).map((c) => `${c.platform.os}/${c.platform.architecture}${c.platform.variant ? `/${c.platform.variant}` : ''}`);
        throw new OutputError(`${formatPlace(parsed)}: a docker-archive holds one platform and the index has no ${name} (it has ${have.join(', ')}): pick one with --platform`);
      }
      await writeDockerArchive(parsed.path, child.image, parsed.reference ?? context.defaultName);
      return { place: formatPlace(parsed), digest: await child.image.digest(), platform: name };
    }
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
