// What a base source is given and gives back; apart from base.ts so base sources elsewhere (src/debian)
// can name these types without importing the map that imports them.
import type { BlobStore } from '../cache/blob-store.js';
import type { Image } from '../oci/image.js';
import type { ProgressSink } from '../progress.js';

/** BaseContext is what resolving a base may use. */
export interface BaseContext {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  /** manifestDir is where kiln.yaml (and kiln.lock) live. */
  manifestDir: string;
  log?: (line: string) => void;
  /** progress receives fetch, extract and compress events, under the entry's name. */
  progress?: ProgressSink;
}

/** ResolvedBase is a base image and how to describe it. */
export interface ResolvedBase {
  image: Image;
  description: string;
  /** annotations to record the base in the final image (base.name, base.digest). */
  annotations: Record<string, string>;
}
