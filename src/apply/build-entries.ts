// buildEntries: every entry of a plan in parallel within a limit; a failure stays with its entry.
import type { BlobStore } from '../cache/blob-store.js';
// A builder turns an entry into an Image; a publisher writes it to the entry's outputs. Each built image is
// recorded by digest in the cache, so `kiln push` publishes that very image later.
import { recalledImage, recordBuild, rememberImage } from '../cache/build-records.js';
import type { Image } from '../oci/image.js';
import { indexFromImages, type ImageOrIndex, type PlatformImage } from '../oci/image-index.js';
import type { Attachment } from '../oci/artifact.js';
import { entryAttachments } from './attachments.js';
import { errorMessage } from '../errors.js';
import { limiter } from '../limit.js';
import type { BuildContext } from './build-image.js';
import { reportImage, reportIndex, type ImageReport } from './image-report.js';
import { imageKey } from './image-key.js';
import { formatPlatform, platformEntries } from '../plan/platforms.js';
import type { BuildPlan, ImagePlan } from '../plan/types.js';
import type { ProgressSink } from '../progress.js';

/** EntryResult is what happened to one entry. */
export interface EntryResult {
  name: string;
  /** built; failed; or cancelled (not started because another entry failed under --fail-fast). */
  status: 'built' | 'failed' | 'cancelled';
  seconds: number;
  report?: ImageReport;
  /** image is the built image (an index for a multi-platform entry), kept for publishing. */
  image?: ImageOrIndex;
  /** attachments go with the image where it is published (its SBOM; one per platform, naming its child, for an index). */
  attachments?: Attachment[];
  /** error is the failure's one-line message; `cause` the thrown value. */
  error?: string;
  cause?: unknown;
}

/** BuiltEntry is a builder's handoff: the image and its report (whose outputs the publisher fills in). */
export interface BuiltEntry {
  image: Image;
  report: ImageReport;
}

/** EntryBuilder builds one single-platform entry into an Image; it never writes outputs. `progress` gets its byte counts. */
export type EntryBuilder = (entry: ImagePlan, log: (line: string) => void, progress?: ProgressSink) => Promise<BuiltEntry>;

/** EntryPublisher writes a built image or index (and its attachments) to the entry's outputs and returns the places written. */
export type EntryPublisher = (entry: ImagePlan, image: ImageOrIndex, attachments: Attachment[]) => Promise<string[]>;

/** BuiltArtifact is an entry built: its image (or index), report and attachments. */
interface BuiltArtifact {
  image: ImageOrIndex;
  report: ImageReport;
  attachments: Attachment[];
}

/**
 * buildArtifact runs the builder once per platform of the entry. A multi-platform entry becomes an OCI image
 * index over its platforms' images, in the order kiln.yaml lists them; each platform's SBOM names its child.
 */
async function buildArtifact(entry: ImagePlan, builder: EntryBuilder, context: BuildContext): Promise<BuiltArtifact> {
  const { log, store, progress } = context;
  const parts = platformEntries(entry);
  if (parts.length === 1) {
    const built = await builder(entry, log, progress);
    return { ...built, attachments: await entryAttachments(entry, store) };
  }
  const children: PlatformImage[] = [];
  const reports: ImageReport[] = [];
  const attachments: Attachment[] = [];
  // One platform after another: they share the app layer and the cache, and the machine's cores.
  for (const part of parts) {
    log(`${entry.name}: building ${formatPlatform(part.platform)}`);
    const built = await builder(part, log, progress);
    const digest = await built.image.digest();
    children.push({ platform: { ...part.platform }, image: built.image });
    reports.push({ ...built.report, platform: formatPlatform(part.platform) });
    for (const attachment of await entryAttachments(part, store)) attachments.push({ ...attachment, subject: digest });
  }
  const index = indexFromImages(children, entry.annotations);
  return { image: index, report: reportIndex(entry.name, await index.digest(), reports), attachments };
}

/** BuildEntriesOptions choose the builder, the publisher, parallelism and failure handling. */
export interface BuildEntriesOptions {
  /** jobs is how many entries build at once (default 2). */
  jobs?: number;
  /** failFast stops starting entries after the first failure. */
  failFast?: boolean;
  /** builder replaces native assembly (e.g. a Dockerfile backend). */
  builder?: EntryBuilder;
  /** publisher writes each built image to its outputs; without one nothing is written. */
  publisher?: EntryPublisher;
  /** onResult is told about each entry as it finishes. */
  onResult?: (result: EntryResult) => void;
}

/**
 * nativeBuilder assembles an entry with kiln itself (the default builder). An entry whose image key (its pinned
 * inputs, see imageKey) matches an earlier build's takes that image from the cache: nothing is assembled, and the
 * assembly code is not even loaded.
 */
export function nativeBuilder(manifestFile: string, context: BuildContext): EntryBuilder {
  return async (entry, log, progress) => {
    const key = await imageKey(entry);
    const known = key ? await recalledImage(context.store, key) : undefined;
    if (known) {
      log(`${entry.name}: inputs unchanged since the build of ${await known.digest()}`);
      return { image: known, report: await reportImage(entry.name, known, [], context.store) };
    }
    const { assembleImage } = await import('./build-image.js');
    const image = await assembleImage(entry, manifestFile, { ...context, log, ...(progress ? { progress } : {}) });
    if (key) await rememberImage(context.store, key, image, entry.name);
    return { image, report: await reportImage(entry.name, image, [], context.store) };
  };
}

/**
 * storedAsPlanned wraps a builder so the image it hands over has its layers stored as the entry asks (`compression:
 * zstd`): every builder builds gzip layers, and the digest reported, written and pushed is the re-encoded image's.
 */
export function storedAsPlanned(builder: EntryBuilder, store: BlobStore): EntryBuilder {
  return async (entry, log, progress) => {
    const built = await builder(entry, log, progress);
    if (!entry.compression) return built;
    log(`${entry.name}: storing layers as ${entry.compression}`);
    const { withCompression } = await import('../layer/recompress.js');
    const image = await withCompression(built.image, entry.compression, store);
    // The report reads the slim rules' counts by diffId, which re-encoding leaves as they were.
    return { image, report: await reportImage(built.report.name, image, [], store) };
  };
}

/** buildEntries builds the plan's entries; it never throws for one entry's failure. */
export async function buildEntries(plan: BuildPlan, context: BuildContext, options: BuildEntriesOptions = {}): Promise<EntryResult[]> {
  const slot = limiter(options.jobs ?? 2);
  const builder = storedAsPlanned(options.builder ?? nativeBuilder(plan.manifestFile, context), context.store);
  let failed = false;
  const buildOne = async (entry: ImagePlan): Promise<EntryResult> => {
    if (failed && options.failFast) return { name: entry.name, status: 'cancelled', seconds: 0 };
    const started = performance.now();
    try {
      const built = await buildArtifact(entry, builder, context);
      const attachments = built.attachments;
      const outputs = options.publisher ? await options.publisher(entry, built.image, attachments) : [];
      const stats = { size: built.report.size, unpackedSize: built.report.unpackedSize, seconds: (performance.now() - started) / 1000 };
      await recordBuild(context.store, { manifestFile: plan.manifestFile, name: entry.name }, built.image, attachments, stats);
      const report = { ...built.report, outputs };
      return { name: entry.name, status: 'built', seconds: (performance.now() - started) / 1000, report, image: built.image, attachments };
    } catch (error) {
      failed = true;
      context.log(`${entry.name}: failed: ${errorMessage(error)}`);
      return { name: entry.name, status: 'failed', seconds: (performance.now() - started) / 1000, error: errorMessage(error), cause: error };
    }
  };
  return Promise.all(plan.images.map((entry) => slot(async () => {
    const result = await buildOne(entry);
    options.onResult?.(result);
    return result;
  })));
}
