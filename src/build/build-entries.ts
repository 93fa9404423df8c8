// buildEntries: every entry of a plan in parallel within a limit; a failure stays with its entry.
import type { Image } from '../oci/image.js';
import { writeImage } from '../places/index.js';
import { parsePlace } from '../places/place.js';
import { errorMessage } from '../errors.js';
import { limiter } from '../limit.js';
import { assembleImage, reportImage, type BuildContext, type ImageReport } from './build-image.js';
import type { BuildPlan, ImagePlan } from './plan.js';

/** EntryResult is what happened to one entry. */
export interface EntryResult {
  name: string;
  /** built; failed; or cancelled (not started because another entry failed under --fail-fast). */
  status: 'built' | 'failed' | 'cancelled';
  seconds: number;
  report?: ImageReport;
  /** image is the built image, kept for publishing. */
  image?: Image;
  /** error is the failure's one-line message; `cause` the thrown value. */
  error?: string;
  cause?: unknown;
}

/** EntryBuilder builds one entry and writes its outputs; `image` is absent when the image lives elsewhere (a daemon). */
export type EntryBuilder = (entry: ImagePlan, log: (line: string) => void) => Promise<{ report: ImageReport; image?: Image }>;

/** BuildEntriesOptions choose parallelism, failure handling and whether outputs are written. */
export interface BuildEntriesOptions {
  /** jobs is how many entries build at once (default 2). */
  jobs?: number;
  /** failFast stops starting entries after the first failure. */
  failFast?: boolean;
  /** writeOutputs false builds into the cache only (for `kiln push`). */
  writeOutputs?: boolean;
  /** builder replaces native assembly (e.g. a Dockerfile backend); it writes the entry's outputs itself. */
  builder?: EntryBuilder;
  /** onResult is told about each entry as it finishes. */
  onResult?: (result: EntryResult) => void;
}

// Several entries may write into one OCI layout: its index.json takes one writer at a time.
function keyedQueue(): (key: string, task: () => Promise<void>) => Promise<void> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, task) => {
    const run = (tails.get(key) ?? Promise.resolve()).then(task);
    tails.set(key, run.catch(() => undefined));
    return run;
  };
}

/** buildEntries builds the plan's entries; it never throws for one entry's failure. */
export async function buildEntries(plan: BuildPlan, context: BuildContext, options: BuildEntriesOptions = {}): Promise<EntryResult[]> {
  const slot = limiter(options.jobs ?? 2);
  const queue = keyedQueue();
  let failed = false;
  const buildOne = async (entry: ImagePlan): Promise<EntryResult> => {
    if (failed && options.failFast) return { name: entry.name, status: 'cancelled', seconds: 0 };
    const started = performance.now();
    try {
      if (options.builder) {
        const built = await options.builder(entry, context.log);
        return { name: entry.name, status: 'built', seconds: (performance.now() - started) / 1000, report: built.report, ...(built.image ? { image: built.image } : {}) };
      }
      const image = await assembleImage(entry, plan.manifestFile, context);
      if (options.writeOutputs !== false) {
        for (const output of entry.outputs) {
          const place = parsePlace(output);
          context.log(`${entry.name}: writing ${output}`);
          await queue(place.transport === 'docker' ? output : place.path, async () => {
            await writeImage(output, image, { store: context.store, env: context.env, defaultName: entry.name });
          });
        }
      }
      const report = await reportImage(entry.name, image, options.writeOutputs === false ? [] : entry.outputs, context.store);
      return { name: entry.name, status: 'built', seconds: (performance.now() - started) / 1000, report, image };
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
