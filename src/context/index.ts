// The build context as an OCI artifact: `kiln context push` packs exactly what a pinned plan needs and pushes it
// by digest; `kiln build --context REF@sha256:...` pulls it, unpacks it into the cache and builds from its plan.
// The registry the user already pushes to is the only thing the two machines share.
import { join, posix } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import { UnsafePathError, UsageError } from '../errors.js';
import { digestHex } from '../oci/digest.js';
import { parsePlanFile } from '../plan/file.js';
import { formatReference, parseReference, pullArtifactFromContext, writeRegistryImage } from '../registry/index.js';
import { stripDockerScheme } from '../registry/reference.js';
import type { BuildPlan } from '../plan/types.js';
import { DEFAULT_SOURCE_DATE_EPOCH } from '../tar/epoch.js';
import { contextBlobs, contextImage } from './artifact.js';
import { CACHE, packContext, TREE } from './pack.js';
import { mapPlanPaths } from './paths.js';
import { unpackContext } from './unpack.js';

export { CONTEXT_ARTIFACT_TYPE, PLAN_MEDIA_TYPE } from './artifact.js';
export { packContext, type PackedContext } from './pack.js';
export { mapPlanPaths, planPaths } from './paths.js';

/** ContextOptions: the cache and the environment (registry credentials, insecure hosts). */
export interface ContextOptions {
  store: BlobStore;
  env: NodeJS.ProcessEnv;
}

/** PushedContext is what `kiln context push` reports. */
export interface PushedContext {
  /** reference is `host/repo[:tag]@sha256:...`, what `kiln build --context` takes. */
  reference: string;
  digest: string;
  entries: string[];
  files: number;
  /** bytes are the files' sizes; size is what the registry stores (plan and compressed files). */
  bytes: number;
  size: number;
}

function explicitTag(reference: string): boolean {
  const name = reference.split('@')[0]!;
  return name.lastIndexOf(':') > name.lastIndexOf('/');
}

/** pushContext checks and packs the pinned plan's inputs and pushes the artifact to `reference` (a tag or none, never a digest). */
export async function pushContext(plan: BuildPlan, reference: string, options: ContextOptions): Promise<PushedContext> {
  const ref = parseReference(stripDockerScheme(reference));
  if (ref.digest) throw new UsageError(`context push ${reference}: give a repository (and a tag), not a digest: the digest comes from the context`);
  const packed = await packContext(plan, options);
  const image = await contextImage(packed, { store: options.store, epoch: plan.images[0]?.epoch ?? DEFAULT_SOURCE_DATE_EPOCH });
  const digest = await image.digest();
  // REF without a tag pushes by digest alone: no `latest` appears that nobody asked for.
  const target = explicitTag(stripDockerScheme(reference)) ? formatReference(ref) : formatReference({ registry: ref.registry, repository: ref.repository, digest });
  const [pushed] = await writeRegistryImage(target, image, { store: options.store, env: options.env });
  const manifest = await image.manifest();
  return {
    reference: pushed!.references[0]!,
    digest,
    entries: plan.images.map((entry) => entry.name),
    files: packed.files,
    bytes: packed.bytes,
    size: (await image.rawManifest()).length + manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
  };
}

/** PulledContext is a context unpacked in the cache and its plan, with paths pointing into it. */
export interface PulledContext {
  plan: BuildPlan;
  dir: string;
  digest: string;
}

// The plan came from a registry: each of its paths must stay inside the unpacked folder.
function intoFolder(dir: string, where: string): (path: string) => string {
  return (path) => {
    const top = path.split('/')[0];
    if (posix.normalize(path) !== path || path.startsWith('/') || path.split('/').includes('..') || (top !== TREE && top !== CACHE)) {
      throw new UnsafePathError(`${where}: plan path "${path}" is not inside the context`);
    }
    return join(dir, path);
  };
}

/** pullContext pulls a context by digest (a tag alone is refused: it can move), checks and unpacks it, and returns its plan. */
export async function pullContext(reference: string, options: ContextOptions): Promise<PulledContext> {
  const ref = parseReference(stripDockerScheme(reference));
  if (!ref.digest) throw new UsageError(`--context ${reference}: name the context by digest (REF@sha256:...), as kiln context push prints it: a tag can move`);
  const where = `context ${formatReference(ref)}`;
  const artifact = await pullArtifactFromContext(formatReference(ref), { store: options.store, env: options.env });
  const blobs = contextBlobs(where, artifact.artifactType, artifact.layers);
  const relative = parsePlanFile((await options.store.read(blobs.plan.digest)).toString('utf8'), `${where}: plan.json`);
  const dir = join(options.store.root, 'contexts', digestHex(artifact.digest));
  await unpackContext(dir, () => options.store.open(blobs.tree.digest), where);
  return { plan: mapPlanPaths(relative, intoFolder(dir, where)), dir, digest: artifact.digest };
}
