// kiln push SRC DEST...: copy an image from any place to one or more registries, tags last.
import { resolve } from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { defineCommand, type OptionValues } from '../command.js';
import { jsonOption, manifestOptions, onlyOption, quietOption } from '../options.js';
import type { CommandContext } from '../context.js';
import { parsePlace, readImageOrIndex, readReferrers, writeReferrers } from '../../places/index.js';
import { isImageIndex } from '../../oci/image-index.js';
import { UsageError } from '../../errors.js';
import { dockerConfigCredentials, insecureRegistries, pushImage, pushIndex, type PushProgress } from '../../registry/index.js';
import { formatBytes, progressLogger } from '../progress.js';

/** PushReporter turns push progress into bars on a terminal and one line per blob elsewhere. */
interface PushReporter {
  onProgress(event: PushProgress): void;
  stop(): void;
}

function reporter(context: CommandContext, quiet: boolean): PushReporter {
  if (quiet) return { onProgress: () => undefined, stop: () => undefined };
  if (context.stderr.isTTY !== true) {
    const { log, done } = progressLogger(context);
    return {
      onProgress(event) {
        if (!event.done) return;
        const verb = event.action === 'upload' ? 'uploaded' : event.action === 'mount' ? 'mounted' : 'exists';
        log(`${event.destination}: ${verb} ${event.digest.slice(0, 19)} (${formatBytes(event.total)})`);
      },
      stop: done,
    };
  }
  const multibar = new MultiBar({
    stream: context.stderr as NodeJS.WriteStream,
    format: ' {what} [{bar}] {percentage}% {size}',
    hideCursor: true,
    clearOnComplete: false,
  }, Presets.shades_classic);
  const bars = new Map<string, SingleBar>();
  return {
    onProgress(event) {
      const key = `${event.destination} ${event.digest}`;
      let bar = bars.get(key);
      if (!bar) {
        bar = multibar.create(Math.max(event.total, 1), 0, { what: `${event.destination} ${event.digest.slice(7, 19)}`, size: formatBytes(event.total) });
        bars.set(key, bar);
      }
      bar.update(event.done ? Math.max(event.total, 1) : event.sent, { size: event.action === 'upload' ? formatBytes(event.total) : event.action });
    },
    stop: () => multibar.stop(),
  };
}

// `kiln push [DIR]`: the images the last `kiln build` recorded for the plan's entries are published, never rebuilt.
async function pushPlan(values: OptionValues<typeof OPTIONS>, positionals: string[], context: CommandContext): Promise<number> {
  if (positionals.length > 1) throw new UsageError('push takes one directory, or SRC DEST... (SRC an image place: oci:, docker-archive:, docker://)');
  const [{ manifestPath }, { planBuild }, { parseJobs, pushRecorded }] = await Promise.all([
    import('./build.js'), import('../../plan/index.js'), import('../run-plan.js'),
  ]);
  const jobs = parseJobs(values.jobs);
  const manifestFile = await manifestPath(positionals[0], context.cwd, values.file);
  const plan = await planBuild({ manifestFile, overrides: context.overrides, cwd: context.cwd, env: context.env, only: values.only, store: context.cache() });
  const unpublished = plan.images.filter((image) => !image.publish).map((image) => image.name);
  if (unpublished.length === plan.images.length) throw new UsageError(`nothing to publish: ${unpublished.join(', ')} ${unpublished.length === 1 ? 'has' : 'have'} no registries (publish: false, or no registries: in kiln.yaml)`);
  plan.images = plan.images.filter((image) => image.publish);
  return pushRecorded(plan, context, { jobs, partial: values.partial, json: values.json, quiet: values.quiet, ...(values.db ? { db: resolve(context.cwd, values.db) } : {}) });
}

// Both forms in one declaration: the form is told by the arguments, and an option of the other form is refused.
const OPTIONS = {
  ...manifestOptions,
  ...onlyOption,
  jobs: { type: 'string', short: 'j', default: '2', value: 'N', description: 'entries pushed at once' },
  partial: { type: 'boolean', default: false, description: 'tag what succeeded even when another entry or registry failed' },
  db: { type: 'string', value: 'PATH', description: 'the OSV database scan gates read' },
  ...jsonOption,
  ...quietOption,
  insecure: { type: 'string', multiple: true, default: [], value: 'HOST', description: 'SRC DEST form: a registry reached over plain HTTP; repeatable' },
  concurrency: { type: 'string', default: '4', value: 'N', description: 'SRC DEST form: blobs uploaded at once' },
} as const;

function isPlace(text: string): boolean {
  return /^(oci|docker-archive|docker):/.test(text);
}

export const command = defineCommand({
  summary: 'Publish the images the last kiln build produced for the entries of kiln.yaml to their registries (tags only once every entry is uploaded, unless --partial), or copy an image (oci:PATH[:TAG], docker-archive:PATH or docker://REF) to docker://REF destinations.',
  usage: 'kiln push [DIR|FILE] [--only NAME|GLOB]... [--partial] [--db PATH] [--jobs N] [--json]  |  kiln push SRC DEST... [--json] [--quiet] [--insecure HOST]... [--concurrency N]',
  arguments: [{ name: 'DIR|SRC DEST', variadic: true, description: 'a kiln.yaml folder (or file), or an image place and the docker://REF destinations to copy it to' }],
  options: OPTIONS,
  async run(values, positionals, context) {
    const copy = positionals.some(isPlace);
    const given = { file: values.file !== undefined, set: !!values.set?.length, only: !!values.only?.length, partial: values.partial, db: values.db !== undefined, insecure: values.insecure.length > 0 };
    const misplaced = (copy ? (['file', 'set', 'only', 'partial', 'db'] as const) : (['insecure'] as const)).find((key) => given[key]);
    if (misplaced) throw new UsageError(`--${misplaced} goes with ${copy ? 'kiln push [DIR] (the entries of kiln.yaml)' : 'kiln push SRC DEST...'}`);
    if (!copy) return pushPlan(values, positionals, context);
    const [source, ...destinations] = positionals;
    if (!source || destinations.length === 0) throw new UsageError('push needs a source and at least one docker://REF destination');
    const concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency "${values.concurrency}" is not a positive integer`);
    const references = destinations.map((text) => {
      const place = parsePlace(text);
      if (place.transport !== 'docker') throw new UsageError(`push destination "${text}" must be docker://REF`);
      return place.reference;
    });
    // Importing the registry module registers docker:// with places, so a docker:// source works too.
    const store = context.cache();
    // An index in an oci: layout goes whole (every platform, the same index digest), as skopeo copy --all does.
    const image = await readImageOrIndex(source, { store, env: context.env });
    const progress = reporter(context, values.quiet || values.json);
    let results;
    try {
      const push = isImageIndex(image) ? pushIndex.bind(undefined, image) : pushImage.bind(undefined, image);
      results = await push(references, {
        store,
        credentials: dockerConfigCredentials(context.env),
        insecure: [...insecureRegistries(context.env), ...(values.insecure ?? [])],
        concurrency,
        env: context.env,
        onProgress: (event) => progress.onProgress(event),
        onNotice: (message) => context.stderr.write(`kiln: ${message}\n`),
      });
    } finally {
      progress.stop();
    }
    // The SBOMs kept beside the image in an oci: layout go along as referrers, as kiln build --push attaches them.
    const artifacts = await readReferrers(source, image);
    if (artifacts.length) {
      const env = { ...context.env, KILN_INSECURE_REGISTRIES: [...insecureRegistries(context.env), ...(values.insecure ?? [])].join(',') };
      for (const reference of references) await writeReferrers(`docker://${reference}`, artifacts, { store, env });
      if (!values.json) context.stderr.write(`kiln: ${artifacts.length} referrer${artifacts.length === 1 ? '' : 's'} (SBOM) copied to each destination\n`);
    }
    if (values.json) {
      context.stdout.write(JSON.stringify(results, null, 2) + '\n');
      return 0;
    }
    for (const result of results) {
      if (result.skippedReason) continue;
      for (const reference of result.references) context.stdout.write(`${reference}\n`);
      context.stderr.write(`  ${result.repository}: ${result.uploaded} uploaded, ${result.mounted} mounted, ${result.skipped} already there, ${formatBytes(result.bytesSent)} sent\n`);
    }
    return 0;
  },
});
