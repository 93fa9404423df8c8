// The registry client's public face: pull and push, plus what src/places uses for docker:// places.
import type { BlobStore } from '../cache/blob-store.js';
import type { Image } from '../oci/image.js';
import { dockerConfigCredentials } from './docker-config.js';
import { pullImage, type PlatformWanted, type PulledImage, type PullOptions } from './pull.js';
import { pullArtifact, type PulledArtifact } from './pull-artifact.js';
import { pushImage, pushIndex, type PushOptions, type PushResult } from './push.js';
import { isImageIndex, type ImageOrIndex } from '../oci/image-index.js';
import { artifactsBySubject } from '../oci/artifact.js';
import { parseReference, repositoryName, stripDockerScheme } from './reference.js';
import { pushReferrers, updateReferrersTag } from './referrers.js';
import { Registries } from './registries.js';

export { parseReference, formatReference, repositoryName, type Reference } from './reference.js';
export { pullImage, type PulledImage, type PullOptions, type PlatformWanted } from './pull.js';
export { pullArtifact, type PulledArtifact, type PullArtifactOptions } from './pull-artifact.js';
export { pushImage, pushIndex, PushError, type PushDestination, type PushOptions, type PushProgress, type PushResult } from './push.js';
export { dockerConfigCredentials } from './docker-config.js';
export { listReferrers, pushReferrers, referrersTag, updateReferrersTag, withReferrers, type PushedReferrers, type ReferrerList } from './referrers.js';
export { envCredential, chainCredentials, staticCredentials, type Credential, type CredentialSource } from './credentials.js';
export { Transport, type TransportOptions } from './transport.js';
export { Registries } from './registries.js';
export { redact } from '../http/redact.js';

/** RegistryContext is what a docker:// place needs: the cache, a platform, the environment. */
export interface RegistryContext {
  store: BlobStore;
  platform?: PlatformWanted;
  env?: NodeJS.ProcessEnv;
}

/** insecureRegistries reads $KILN_INSECURE_REGISTRIES (comma-separated hosts allowed over plain HTTP). */
export function insecureRegistries(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KILN_INSECURE_REGISTRIES ?? '').split(',').map((host) => host.trim()).filter(Boolean);
}

/** pullFromContext pulls with Docker's config.json credentials and the context's insecure list. */
export function pullFromContext(reference: string, context: RegistryContext & { onProgress?: PullOptions['onProgress'] }): Promise<PulledImage> {
  const env = context.env ?? process.env;
  return pullImage(stripDockerScheme(reference), {
    store: context.store,
    platform: context.platform,
    ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    credentials: dockerConfigCredentials(env),
    insecure: insecureRegistries(env),
  });
}

/** pullArtifactFromContext pulls an artifact by digest with Docker's config.json credentials and the insecure list. */
export function pullArtifactFromContext(reference: string, context: RegistryContext): Promise<PulledArtifact> {
  const env = context.env ?? process.env;
  return pullArtifact(stripDockerScheme(reference), {
    store: context.store,
    credentials: dockerConfigCredentials(env),
    insecure: insecureRegistries(env),
  });
}

/** readRegistryImage pulls `reference` (with or without `docker://`) for src/places. */
export async function readRegistryImage(reference: string, context: RegistryContext): Promise<Image> {
  return (await pullFromContext(reference, context)).image;
}

/** writeRegistryImage pushes an image (or an index, children first) to one reference for src/places. */
export async function writeRegistryImage(reference: string, image: ImageOrIndex, context: RegistryContext, options: PushOptions = {}): Promise<PushResult[]> {
  const env = context.env ?? process.env;
  const push = isImageIndex(image) ? pushIndex.bind(undefined, image) : pushImage.bind(undefined, image);
  return push([stripDockerScheme(reference)], {
    store: context.store,
    credentials: dockerConfigCredentials(env),
    insecure: insecureRegistries(env),
    env,
    ...options,
  });
}

/**
 * writeRegistryReferrers pushes artifacts that refer to an image already at `reference` (with or without
 * `docker://`) and, where the registry does not list referrers itself, adds them under the referrers tag.
 */
export async function writeRegistryReferrers(reference: string, artifacts: Image[], context: RegistryContext): Promise<string[]> {
  const env = context.env ?? process.env;
  const ref = parseReference(stripDockerScheme(reference));
  const registries = new Registries({ credentials: dockerConfigCredentials(env), insecure: insecureRegistries(env) });
  const references: string[] = [];
  // Each platform's SBOM of an index refers to its own child: one referrers list per subject.
  for (const [subject, group] of await artifactsBySubject(artifacts)) {
    const pushed = await pushReferrers(repositoryName(ref), group, { store: context.store, registries, env });
    references.push(...pushed.references);
    if (pushed.untracked.length) await updateReferrersTag(registries.client(ref.registry), ref.repository, subject, pushed.untracked);
  }
  return references;
}
