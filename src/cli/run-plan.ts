// What `kiln build` and `kiln push` share: get each entry's Image (built now, or recorded by the last build),
// hand it to the one publisher, print the summary.
import type { CommandContext } from './context.js';
import type { BuildPlan } from '../plan/index.js';
import { buildEntries, type EntryBuilder, type EntryResult } from '../apply/build-entries.js';
import { reportImage, reportIndex, type ImageReport } from '../apply/image-report.js';
import { outputPublisher } from '../apply/outputs.js';
import type { PublishResult } from '../apply/publish.js';
import { findBuild, storedAttachments, storedBuild } from '../cache/build-records.js';
import { isImageIndex, type ImageOrIndex } from '../oci/image-index.js';
import type { BlobStore } from '../cache/blob-store.js';
import type { PlatformWanted } from '../places/index.js';
import { errorMessage, KilnError, OutputError, UsageError } from '../errors.js';
import { buildProgress, formatBytes, progressLogger } from './progress.js';
import { summaryTable } from './summary.js';

/** RunPlanOptions are the flags both commands take. */
export interface RunPlanOptions {
  jobs: number;
  failFast: boolean;
  push: boolean;
  partial: boolean;
  /** byDigest pushes without tags and prints `NAME@DIGEST` per entry on stdout, for `kiln tag` to finish. */
  byDigest?: boolean;
  json: boolean;
  quiet: boolean;
  builder?: EntryBuilder;
  /** db is the OSV database (--db) scan gates read; default the cache's. */
  db?: string;
  /** platform is the child of an index a docker-archive output takes (--platform; default the host's). */
  platform?: PlatformWanted;
}

/** parsePlatformOption reads --platform `os/arch[/variant]`. */
export function parsePlatformOption(text: string): PlatformWanted {
  const [os, architecture, variant, ...rest] = text.split('/');
  if (!os || !architecture || rest.length) throw new UsageError(`--platform "${text}" is not os/arch[/variant] (e.g. linux/arm64)`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

// reportBuilt describes a recorded image, or an index and each of its children.
async function reportBuilt(name: string, image: ImageOrIndex, store: BlobStore): Promise<ImageReport> {
  if (!isImageIndex(image)) return reportImage(name, image, [], store);
  const children: ImageReport[] = [];
  for (const child of await image.children()) {
    const platform = `${child.platform.os}/${child.platform.architecture}${child.platform.variant ? `/${child.platform.variant}` : ''}`;
    children.push({ ...(await reportImage(name, child.image, [], store)), platform });
  }
  return reportIndex(name, await image.digest(), children);
}

/** parseJobs reads --jobs. */
export function parseJobs(text: string): number {
  const jobs = Number(text);
  if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`--jobs "${text}" is not a positive integer`);
  return jobs;
}

function printDetails(results: EntryResult[], context: CommandContext): void {
  for (const { report } of results) {
    if (!report) continue;
    context.stdout.write(`${report.name}  ${report.digest}  ${formatBytes(report.size)} (${formatBytes(report.unpackedSize)} unpacked)${report.platforms ? `  index of ${report.platforms.length} platforms` : ''}\n`);
    const slimmed = Object.entries(report.slimmed ?? {});
    if (slimmed.length) {
      const total = slimmed.reduce((sum, [, count]) => sum + count.bytes, 0);
      const each = slimmed.map(([rule, count]) => `${rule} ${count.files} files ${formatBytes(count.bytes)}`).join(', ');
      context.stdout.write(`  slim: ${formatBytes(total)} left out (${each})\n`);
    }
    for (const layer of report.layers) {
      context.stdout.write(`  ${layer.digest.slice(0, 19)}  ${formatBytes(layer.size).padStart(8)}  ${layer.holds}\n`);
    }
    for (const child of report.platforms ?? []) {
      context.stdout.write(`  ${child.platform}  ${child.digest}  ${formatBytes(child.size)}\n`);
      for (const layer of child.layers) context.stdout.write(`    ${layer.digest.slice(0, 19)}  ${formatBytes(layer.size).padStart(8)}  ${layer.holds}\n`);
    }
    for (const output of report.outputs) context.stdout.write(`  -> ${output}\n`);
  }
}

/** runPlan builds a plan, writes every entry's outputs, maybe publishes, and returns the exit code. */
export async function runPlan(plan: BuildPlan, context: CommandContext, options: RunPlanOptions): Promise<number> {
  for (const notice of plan.notices) context.stderr.write(`kiln: ${notice}\n`);
  const progress = buildProgress(context, { entries: plan.images.map((entry) => entry.name), quiet: options.quiet });
  const store = context.cache();
  try {
    const results = await buildEntries(plan, { store, env: context.env, log: progress.log, progress: progress.progress }, {
      jobs: options.jobs,
      failFast: options.failFast,
      publisher: outputPublisher({ store, env: context.env, log: progress.log, ...(options.platform ? { platform: options.platform } : {}) }),
      ...(options.builder ? { builder: options.builder } : {}),
      onResult: (result) => progress.finished(result.name, result.status, result.seconds),
    });
    return await finish(plan, results, context, options, progress);
  } finally {
    // On a terminal the entries' lines redraw on a timer until done, which would keep the process alive.
    progress.done();
  }
}

/**
 * pushRecorded publishes the images the last build of each entry produced (recorded by digest in the cache),
 * never rebuilding. An entry with no usable record is refused in one line before anything is pushed; with
 * --partial it counts as failed and the others are published.
 */
export async function pushRecorded(plan: BuildPlan, context: CommandContext, options: Omit<RunPlanOptions, 'push' | 'builder' | 'failFast'>): Promise<number> {
  const store = context.cache();
  const results: EntryResult[] = [];
  for (const entry of plan.images) {
    const record = await findBuild(store, { manifestFile: plan.manifestFile, name: entry.name });
    let problem = record ? '' : `no build recorded for ${entry.name}: run kiln build`;
    const image = record ? await storedBuild(store, record.digest).catch((error: unknown) => {
      problem = `the build recorded for ${entry.name} is incomplete (${errorMessage(error)}): run kiln build`;
      return undefined;
    }) : undefined;
    if (!image) {
      if (!options.partial) throw new UsageError(`push: ${problem}`);
      results.push({ name: entry.name, status: 'failed', seconds: 0, error: problem });
      continue;
    }
    // The SBOM made with the build, not one from today's plan: the plan here is not resolved, and may have moved on.
    const attachments = record && entry.sbom ? await storedAttachments(store, record) : [];
    results.push({ name: entry.name, status: 'built', seconds: 0, image, attachments, report: await reportBuilt(entry.name, image, store) });
  }
  return finish(plan, results, context, { ...options, push: true }, progressLogger(context, options.quiet));
}

async function finish(plan: BuildPlan, results: EntryResult[], context: CommandContext, options: Omit<RunPlanOptions, 'builder' | 'failFast'>, progress: ReturnType<typeof progressLogger>): Promise<number> {
  const store = context.cache();
  const failures = results.filter((result) => result.status !== 'built');
  let published: PublishResult[] = [];
  let held = '';
  if (options.push) {
    if (failures.length && !options.partial) {
      held = `nothing pushed: ${failures.length} of ${results.length} entries did not build (use --partial to push the others)`;
    } else {
      const built = results.flatMap((result, i) => (result.image ? [{ entry: plan.images[i]!, image: result.image, attachments: result.attachments ?? [] }] : []));
      const { publishEntries } = await import('../apply/publish.js');
      published = await publishEntries(built.filter(({ entry }) => entry.publish), { store, env: context.env, log: progress.log }, { partial: options.partial, concurrency: options.jobs, byDigest: options.byDigest ?? false, manifestFile: plan.manifestFile, ...(options.db ? { db: options.db } : {}) });
    }
  }
  progress.done();
  if (options.json) {
    context.stdout.write(`${JSON.stringify({
      images: results.flatMap((r) => (r.report ? [r.report] : [])),
      entries: results.map(({ name, status, seconds, error, report }) => ({
        name, status, seconds: Math.round(seconds * 1000) / 1000,
        ...(report ? { digest: report.digest, size: report.size } : {}),
        // An index's entry names each platform's image too.
        ...(report?.platforms ? { platforms: report.platforms.map((child) => ({ platform: child.platform, digest: child.digest, size: child.size })) } : {}),
        ...(error ? { error } : {}),
      })),
      ...(options.push ? { published } : {}),
    }, null, 2)}\n`);
  } else if (options.byDigest) {
    // stdout is the task's result (Argo captures it): digests only, the table goes to stderr.
    context.stderr.write(summaryTable(results, published));
    for (const result of results) if (result.report && plan.images.find((entry) => entry.name === result.name)?.publish) context.stdout.write(`${result.name}@${result.report.digest}\n`);
  } else {
    if (results.length === 1 && !options.push) printDetails(results, context);
    else context.stdout.write(summaryTable(results, published));
  }
  if (held) context.stderr.write(`kiln: ${held}\n`);
  const pushFailures = published.filter((p) => p.status === 'failed' || (p.status === 'uploaded' && !options.byDigest));
  if (failures.length === 1 && results.length === 1 && failures[0]!.cause instanceof KilnError) throw failures[0]!.cause;
  if (failures.length) {
    // Name each failure with its reason: an unexpected error (not a KilnError) must not leave only the entry's name.
    throw new OutputError(`${failures.length} of ${results.length} entries failed: ${failures.map((f) => (f.error ? `${f.name} (${f.error})` : f.name)).join(', ')}`);
  }
  if (pushFailures.length) {
    throw new OutputError(`publishing failed for ${pushFailures.map((p) => `${p.name} -> ${p.registry}`).join(', ')}${pushFailures.some((p) => p.status === 'uploaded') ? '; tags held back' : ''}`);
  }
  return 0;
}
