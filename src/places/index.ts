// Places images live: one verb to read and one to write, whatever the transport.
import type { BlobStore } from '../cache/blob-store.js';
import type { Image } from '../oci/image.js';
import { UsageError } from '../errors.js';
import { readDockerArchive, writeDockerArchive } from './docker-archive.js';
import { readOciLayout, writeOciLayout, type PlatformWanted } from './oci-layout.js';
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
      return readDockerArchive(parsed.path, context.store, parsed.reference);
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
      await writeDockerArchive(parsed.path, image, parsed.reference ?? context.defaultName);
      break;
    case 'docker':
      await (await registryPlaces()).writeRegistryImage(parsed.reference, image, context);
      break;
  }
  return { place: formatPlace(parsed), digest };
}

/** RegistryPlaces is the registry client's adaptor; it is loaded only when a docker:// place is used. */
export interface RegistryPlaces {
  readRegistryImage(reference: string, context: PlaceContext): Promise<Image>;
  writeRegistryImage(reference: string, image: Image, context: PlaceContext): Promise<void>;
}

let registry: RegistryPlaces | undefined;

/** setRegistryPlaces plugs in the registry client (src/registry registers itself). */
export function setRegistryPlaces(places: RegistryPlaces): void {
  registry = places;
}

async function registryPlaces(): Promise<RegistryPlaces> {
  // Loaded on first use so builds that never touch a registry do not load the client.
  if (!registry) await import('../registry/index.js');
  if (!registry) throw new UsageError('docker:// places need the registry client, which did not register itself');
  return registry;
}
