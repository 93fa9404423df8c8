// Phase 2 of publishing, on its own: entries uploaded by digest elsewhere (one pod or CI job each, with
// `kiln build --push-by-digest`) get their tags here, and only when every entry's manifest is in every registry.
import { errorMessage, UsageError } from '../errors.js';
import { limiter } from '../limit.js';
import { isDigest, type Digest } from '../oci/digest.js';
import type { RawManifest } from '../registry/client.js';
import { parseReference, redact } from '../registry/index.js';
import type { Destination, ImagePlan } from '../plan/index.js';
import { ImmutableTagError, registryAccess, repositoryPath } from './publish.js';

/** TagResult says what happened to one entry's tags at one registry. */
export interface TagResult {
  name: string;
  registry: string;
  /** tagged (every tag written); checked (manifest there, tags held back); skipped; failed. */
  status: 'tagged' | 'checked' | 'skipped' | 'failed';
  references: string[];
  message?: string;
}

/** TagContext carries the environment (credentials) and logging. */
export interface TagContext {
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/**
 * parseBuiltDigests reads `NAME@sha256:...` words, as `kiln build --push-by-digest` prints them (one argument may hold
 * several lines: an Argo task result is substituted whole).
 */
export function parseBuiltDigests(words: string[]): Map<string, Digest> {
  const digests = new Map<string, Digest>();
  for (const word of words.flatMap((text) => text.split(/\s+/)).filter(Boolean)) {
    const at = word.lastIndexOf('@');
    const name = word.slice(0, at);
    const digest = word.slice(at + 1);
    if (at <= 0 || !isDigest(digest)) throw new UsageError(`"${word}" is not NAME@sha256:DIGEST (as kiln build --push-by-digest prints it)`);
    const earlier = digests.get(name);
    if (earlier && earlier !== digest) throw new UsageError(`${name} is given two digests: ${earlier} and ${digest}`);
    digests.set(name, digest as Digest);
  }
  return digests;
}

function tagOf(reference: string): string {
  const { tag } = parseReference(reference.replace(/^docker:\/\//, ''));
  if (!tag) throw new UsageError(`${reference} names no tag`);
  return tag;
}

interface Job {
  entry: ImagePlan;
  destination: Destination;
  digest: Digest;
  manifest?: RawManifest;
  result: TagResult;
}

/**
 * tagEntries writes the tags of every publishing entry to the manifest `digests` names for it. It refuses before
 * touching anything when an entry has no digest (its build did not finish) or a digest names no entry; then it fetches
 * each manifest by digest from each registry (so the content is there and is what the digest says) and checks immutable
 * tags; only when all of that holds does it write a single tag.
 */
export async function tagEntries(entries: ImagePlan[], digests: Map<string, Digest>, context: TagContext): Promise<TagResult[]> {
  const publishing = entries.filter((entry) => entry.publish);
  const missing = publishing.filter((entry) => !digests.has(entry.name)).map((entry) => entry.name);
  if (missing.length) throw new UsageError(`no digest for ${missing.join(', ')}: every entry must be built and pushed by digest before any tag is written`);
  const unknown = [...digests.keys()].filter((name) => !publishing.some((entry) => entry.name === name));
  if (unknown.length) throw new UsageError(`${unknown.join(', ')}: not an entry of this plan that publishes`);

  const access = registryAccess(publishing, context.env);
  const jobs: Job[] = publishing.flatMap((entry) => entry.destinations.map((destination) => ({
    entry, destination, digest: digests.get(entry.name)!,
    result: { name: entry.name, registry: destination.registry, status: 'skipped', references: [], ...(destination.skipped ? { message: destination.skipped } : {}) } satisfies TagResult as TagResult,
  })));
  const active = jobs.filter((job) => !job.destination.skipped);
  const slot = limiter(4);

  await Promise.all(active.map((job) => slot(async () => {
    const { entry, destination, digest } = job;
    try {
      const client = access.clientOf(destination);
      const repository = repositoryPath(destination);
      job.manifest = await client.getManifest(repository, digest);
      if (entry.immutableTags) {
        for (const reference of destination.references) {
          const existing = await client.headManifest(repository, tagOf(reference));
          if (existing && existing !== digest) throw new ImmutableTagError(`${reference.replace(/^docker:\/\//, '')} is immutable and already names ${existing} (this build is ${digest})`);
        }
      }
      job.result.status = 'checked';
    } catch (error) {
      job.result.status = 'failed';
      job.result.message = redact(errorMessage(error));
      context.log(`${entry.name}: ${destination.registry}: ${job.result.message}`);
    }
  })));
  if (!active.every((job) => job.result.status === 'checked')) {
    for (const job of active) if (job.result.status === 'checked') job.result.message = 'tags held back: another entry or registry failed its check';
    return jobs.map((job) => job.result);
  }

  await Promise.all(active.map((job) => slot(async () => {
    const { entry, destination } = job;
    try {
      const client = access.clientOf(destination);
      for (const reference of destination.references) {
        await client.putManifest(repositoryPath(destination), tagOf(reference), job.manifest!);
        job.result.references.push(reference.replace(/^docker:\/\//, ''));
        context.log(`${entry.name}: tagged ${reference.replace(/^docker:\/\//, '')}`);
      }
      job.result.status = 'tagged';
    } catch (error) {
      job.result.status = 'failed';
      job.result.message = redact(errorMessage(error));
      context.log(`${entry.name}: ${destination.registry}: tagging: ${job.result.message}`);
    }
  })));
  return jobs.map((job) => job.result);
}
