// Base sources: every kind of base (a place, scratch, distro packages) becomes an Image the same way.
import type { BlobStore } from '../cache/blob-store.js';
import { emptyImage } from '../oci/mutate.js';
import { checkDiffIds, type ContentMemo, type LayerContent } from '../oci/validate.js';
import { readImage } from '../places/index.js';
import { InputError, IntegrityError, UsageError } from '../errors.js';
import { distroBase } from '../debian/base-source.js';
import { entryProgress, type ProgressTask } from '../progress.js';
import type { BaseContext, ResolvedBase } from './base-context.js';
import type { BaseRef, ImagePlan } from '../plan/index.js';

export type { BaseContext, ResolvedBase };

/** BaseSource turns a BaseRef of its kind into an image. */
export type BaseSource = (base: BaseRef, plan: ImagePlan, context: BaseContext) => Promise<ResolvedBase>;

/** baseSources maps every kind of base to its source: an explicit map, checked by a contract test. */
export const baseSources: Record<BaseRef['kind'], BaseSource> = {
  scratch: async (_base, plan) => ({ image: emptyImage(plan.platform), description: 'scratch', annotations: {} }),
  place: async (base, plan, context) => {
    if (base.kind !== 'place') throw new Error('unreachable');
    const pinned = plan.pinned?.base;
    if (base.place.startsWith('docker://')) {
      // A registry base is pulled by the digest the plan pinned; the image records base.name and base.digest.
      const { pullFromContext, formatReference } = await import('../registry/index.js');
      const reference = pinned?.kind === 'registry' ? pinned.reference : base.place;
      // Base blobs are counted whole as they land (or are found in the cache): a task of the image's size.
      let fetching: ProgressTask | undefined;
      const progress = context.progress ? entryProgress(context.progress, plan.name) : undefined;
      const pulled = await pullFromContext(reference, {
        store: context.store, platform: plan.platform, env: context.env,
        ...(progress ? { onProgress: (event: { size: number; imageBytes: number }) => { (fetching ??= progress.task('fetch', 'base blobs', event.imageBytes)).add(event.size); } } : {}),
      });
      fetching?.end();
      if (pinned?.kind === 'registry' && pinned.imageDigest && pulled.imageDigest !== pinned.imageDigest) {
        throw new IntegrityError(`${plan.name}: base ${reference} gives ${pulled.imageDigest} for ${plan.platform.os}/${plan.platform.architecture}, the plan pins ${pinned.imageDigest}`);
      }
      const shown = formatReference(pulled.reference);
      context.log?.(`${plan.name}: base pinned as ${shown}`);
      return { image: pulled.image, description: shown, annotations: pulled.baseAnnotations };
    }
    const image = await readImage(base.place, { store: context.store, platform: plan.platform, env: context.env });
    if (pinned?.kind === 'place' && (await image.digest()) !== pinned.digest) {
      throw new IntegrityError(`${plan.name}: base ${base.place} is ${await image.digest()}, the plan pins ${pinned.digest}`);
    }
    return { image, description: base.place, annotations: {} };
  },
  distro: async (base, plan, context) => {
    if (base.kind !== 'distro') throw new Error('unreachable');
    return distroBase(base.spec, plan, context);
  },
};

/**
 * baseContentMemo keeps each checked layer's diffId and uncompressed size in the cache by compressed
 * digest; the size memo is the one reportImage reads, so checking costs no extra decompression.
 */
function baseContentMemo(store: BlobStore): ContentMemo {
  const key = (digest: string) => digest.replace(':', '-');
  return {
    get: (digest) => store.getMemo<LayerContent>('layer-content', key(digest)),
    async set(digest, content) {
      await store.setMemo('layer-content', key(digest), content);
      await store.setMemo('uncompressed-size', key(digest), content.size);
    },
  };
}

/**
 * resolveBase opens the base image of a plan entry. A base kiln did not assemble itself is checked
 * before anything is built on it: diff_ids that do not match the layers would make every output invalid.
 */
export async function resolveBase(plan: ImagePlan, context: BaseContext): Promise<ResolvedBase> {
  if (plan.unresolved) throw new InputError(plan.unresolved);
  const source = (baseSources as Partial<Record<string, BaseSource>>)[plan.base.kind];
  if (!source) throw new UsageError(`${plan.name}: bases of kind "${plan.base.kind}" are not supported yet`);
  const base = await source(plan.base, plan, context);
  if (plan.base.kind === 'place') await checkDiffIds(base.image, `base ${base.description}`, baseContentMemo(context.store));
  return base;
}
