// The types the two halves of pythonLayers share: image-layers.ts (what is cached) and layer-install.ts (what is not).
import type { BlobStore } from '../cache/blob-store.js';
import type { PinnedPythonPackage } from '../plan/types.js';
import type { ProgressSink } from '../progress.js';

/** PythonLayerContext is what building the Python layers uses: the blob cache, environment (credentials) and log. */
export interface PythonLayerContext {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  /** progress receives the wheels' fetch, extract (install) and compress events under the entry's name. */
  progress?: ProgressSink;
}

/** WheelItem is one pinned wheel and, once fetched or built, the path named like it. */
export interface WheelItem {
  pkg: PinnedPythonPackage;
  /** sha256 is the pinned one, or for an unhashed file its content's once fetched. */
  sha256: string;
  path?: string;
}

/** LayerGroup is one layer's worth of wheels: consecutive pinned packages with the same `layer`. */
export interface LayerGroup {
  comment: string;
  createdBy: string;
  wheels: WheelItem[];
}
