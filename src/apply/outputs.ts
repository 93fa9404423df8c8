// outputPublisher: a built image goes to the entry's outputs (oci:, docker-archive:, docker://), with its attachments
// beside it. Apart from publishEntries (registries, tags, scan gates), so a build without --push loads none of that.
import type { ImageOrIndex } from '../oci/image-index.js';
import { artifactsFor, type Attachment } from '../oci/artifact.js';
import { writeImage, writeReferrers, type PlatformWanted } from '../places/index.js';
import { parsePlace } from '../places/place.js';
import type { ImagePlan } from '../plan/index.js';
import type { BlobStore } from '../cache/blob-store.js';

/** PublishContext carries the cache, environment and logging. */
export interface PublishContext {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** platform picks the child of an index a docker-archive output takes (default: the host's). */
  platform?: PlatformWanted;
}

/** keyedQueue runs tasks with the same key one after another: several entries may write into one OCI layout. */
export function keyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, task) => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    tails.set(key, run.catch(() => undefined));
    return run;
  };
}

/**
 * DEFAULT_OCI_TAG names the image of an `oci:PATH` output given without a tag: tools that open a layout only by tag
 * (umoci unpack --image PATH means PATH:latest) find it, and a rebuild replaces it instead of adding a second image.
 */
export const DEFAULT_OCI_TAG = 'latest';

/**
 * outputPublisher writes each entry's image to its outputs (oci:, docker-archive:, docker://), in order, and its
 * attachments beside it (a tagged oci: layout keeps them untagged in index.json; a docker-archive has no room for them).
 * An oci: output without a tag is tagged DEFAULT_OCI_TAG.
 */
export function outputPublisher(context: PublishContext): (entry: ImagePlan, image: ImageOrIndex, attachments?: Attachment[]) => Promise<string[]> {
  const queue = keyedQueue();
  return async (entry, image, attachments = []) => {
    const written: string[] = [];
    const artifacts = await artifactsFor(image, attachments);
    for (const output of entry.outputs) {
      const named = parsePlace(output);
      const place = named.transport === 'oci' && !named.tag ? { ...named, tag: DEFAULT_OCI_TAG } : named;
      context.log(`${entry.name}: writing ${output}`);
      const placeContext = { store: context.store, env: context.env, defaultName: entry.name, ...(context.platform ? { platform: context.platform } : {}) };
      let took: string | undefined;
      await queue(place.transport === 'docker' ? output : place.path, async () => {
        took = (await writeImage(place, image, placeContext)).platform;
        // skopeo (containers/image) opens `oci:DIR` without a tag only when index.json holds one manifest, whatever its
        // tag: the SBOM goes only beside an image whose tag the user wrote, so `skopeo copy oci:DIR` keeps working.
        if (named.transport !== 'oci' || named.tag) await writeReferrers(place, artifacts, placeContext);
      });
      // A docker-archive holds one platform of an index: say which.
      if (took) context.log(`${entry.name}: ${output} holds ${took} only (a docker-archive takes one platform)`);
      written.push(took ? `${output} (${took})` : output);
    }
    return written;
  };
}

