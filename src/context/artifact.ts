// The context as an OCI 1.1 artifact: artifactType application/vnd.kiln.context.v1, the empty config, and two
// blobs: the plan (context-relative paths) and a deterministic tar+gzip of the files. Same inputs, same digest.
import { Readable } from 'node:stream';
import type { BlobStore } from '../cache/blob-store.js';
import { IntegrityError, InputError } from '../errors.js';
import { buildLayer } from '../layer/build.js';
import { EMPTY_DESCRIPTOR, EMPTY_JSON } from '../oci/artifact.js';
import { sha256 } from '../oci/digest.js';
import { imageFromRaw, serializeJson, type Image } from '../oci/image.js';
import { blobLayer } from '../oci/layer.js';
import { MediaType } from '../oci/media-types.js';
import { Annotation, type Descriptor, type Manifest } from '../oci/spec.js';
import { formatPlanFile } from '../plan/file.js';
import type { PackedContext } from './pack.js';

/** CONTEXT_ARTIFACT_TYPE names a kiln build context. */
export const CONTEXT_ARTIFACT_TYPE = 'application/vnd.kiln.context.v1';
/** PLAN_MEDIA_TYPE is the plan file's blob (the text `kiln plan --json` writes). */
export const PLAN_MEDIA_TYPE = 'application/vnd.kiln.plan.v1+json';
/** MAX_PLAN_BYTES bounds the plan blob read into memory: a plan of thousands of packages is a few MiB. */
export const MAX_PLAN_BYTES = 64 << 20;

/** contextImage packs a context as an artifact manifest; its digest depends only on the plan and the files. */
export async function contextImage(packed: PackedContext, options: { store: BlobStore; epoch: number }): Promise<Image> {
  const planData = Buffer.from(formatPlanFile(packed.plan));
  const plan: Descriptor = { mediaType: PLAN_MEDIA_TYPE, digest: sha256(planData), size: planData.length, annotations: { [Annotation.title]: 'plan.json' } };
  const files = await buildLayer(packed.entries, { store: options.store, epoch: options.epoch, addParents: true });
  const tree: Descriptor = { mediaType: MediaType.ociLayerGzip, digest: files.digest, size: files.size, annotations: { [Annotation.title]: 'context.tar.gz' } };
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: CONTEXT_ARTIFACT_TYPE,
    config: EMPTY_DESCRIPTOR,
    layers: [plan, tree],
  };
  const rawManifest = serializeJson(manifest);
  const planLayer = blobLayer({ ...plan, diffId: plan.digest, open: async () => Readable.from([planData]) });
  return imageFromRaw({ rawManifest: async () => rawManifest, rawConfig: async () => EMPTY_JSON, layers: async () => [planLayer, files.layer] });
}

/** ContextBlobs are the two blobs of a pulled context, found by media type. */
export interface ContextBlobs {
  plan: Descriptor;
  tree: Descriptor;
}

/** contextBlobs checks that a pulled manifest is a kiln context and names its plan and files blobs. */
export function contextBlobs(where: string, artifactType: string, layers: Descriptor[]): ContextBlobs {
  if (artifactType !== CONTEXT_ARTIFACT_TYPE) throw new InputError(`${where} is not a kiln context (artifactType ${artifactType}, want ${CONTEXT_ARTIFACT_TYPE})`);
  const plan = layers.find((layer) => layer.mediaType === PLAN_MEDIA_TYPE);
  const tree = layers.find((layer) => layer.mediaType === MediaType.ociLayerGzip);
  if (!plan || !tree || layers.length !== 2) throw new IntegrityError(`${where}: a kiln context holds one plan and one tar+gzip of files`);
  if (plan.size > MAX_PLAN_BYTES) throw new IntegrityError(`${where}: plan blob of ${plan.size} bytes is over the ${MAX_PLAN_BYTES}-byte limit`);
  return { plan, tree };
}
