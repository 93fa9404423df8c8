// kiln as a library: load a manifest, plan, build each entry into an Image, publish the Images.
// The CLI is a thin layer over the same functions; this module keeps the surface small.
import { dirname, join, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { buildEntries, type EntryBuilder, type EntryResult } from './apply/build-entries.js';
import { planBuild, type BuildPlan } from './plan/index.js';
import { outputPublisher, publishEntries, type PublishResult } from './apply/publish.js';
import { BlobStore, defaultCacheDir } from './cache/blob-store.js';
import type { BackendName } from './backends/types.js';

export { loadManifest, type LoadedManifest, type LoadOptions } from './config/load.js';
export type { BuildPlan, ImagePlan, Destination } from './plan/index.js';
export type { EntryResult } from './apply/build-entries.js';
export type { ImageReport, LayerReport } from './apply/build-image.js';
export type { PublishResult } from './apply/publish.js';
export type { BackendName } from './backends/types.js';
export type { Image } from './oci/image.js';
export { indexFromImages, isImageIndex, type ImageIndex, type ImageOrIndex, type PlatformImage } from './oci/image-index.js';
export type { Layer } from './oci/layer.js';
export { readImage, writeImage } from './places/index.js';
export { formatPlanFile, parsePlanFile, readPlanFile } from './plan/index.js';
export { validateImage } from './oci/validate.js';
export { pushContext, pullContext, type ContextOptions, type PushedContext, type PulledContext } from './context/index.js';
export { inspectImage, diffImages, debianGraph, pythonGraph, why, formatSummary, formatWhy, formatDiff } from './inspect/index.js';
export type { ImageSummary, LayerSummary, ReadImage, ImageDiff, FileChange, ConfigChange, PackageChanges, WhyResult, PackageGraph } from './inspect/index.js';
export { gatherReport, renderReport } from './report/index.js';
export type { ReportData, EntryReport, EntryImage, ReportPackage, GatherOptions } from './report/index.js';
// The documents `kiln ... --json` prints (the README's table maps each command to its type).
export type { ValidateJson, LockJson, SourceSyncJson, SourceBumpJson, BuildJson } from './cli/json-shapes.js';
export type { PushResult } from './registry/push.js';
export type { TagResult } from './apply/tag.js';
export type { ScanJson } from './scan/format/json.js';
export { KilnError, ConfigError, UsageError, InputError, IntegrityError, OutputError, NetworkError, ResolutionError } from './errors.js';

/** CommonOptions are what every step may be given: the environment, the cache and a log line sink. */
export interface CommonOptions {
  /** env is read for credentials, mirrors and SOURCE_DATE_EPOCH (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** cacheDir holds blobs and build records (default $KILN_CACHE_DIR or the XDG cache dir). */
  cacheDir?: string;
  /** log receives progress lines (default: discarded). */
  log?: (line: string) => void;
}

/** PlanOptions choose the manifest, the entries and output overrides. */
export interface PlanOptions extends CommonOptions {
  /** manifest is a kiln.yaml file or the folder holding one. */
  manifest: string;
  /** only selects entries by name or glob (`server`, `server/3.11-*`). */
  only?: string[];
  /** outputs replace the manifest's outputs (`oci:DIR`, `docker-archive:FILE`, `docker://REF`; `{name}` expands). */
  outputs?: string[];
  /** cwd resolves relative paths (default process.cwd()). */
  cwd?: string;
  /** locked refuses any base kiln.lock does not pin yet (for CI), like `kiln plan --locked`. */
  locked?: boolean;
  /** writeLock records newly resolved bases in kiln.lock, as `kiln build` does (default false, as `kiln plan`). */
  writeLock?: boolean;  /** overrides are `PATH=VALUE` changes to kiln.yaml applied before validation, as `kiln --set` (`images.x.tags=[a]`). */
  overrides?: string[];
}

/** BuildOptions choose the backend and parallelism. */
export interface BuildOptions extends CommonOptions {
  /** backend builds the entries (default native: no daemon). */
  backend?: BackendName;
  /** jobs is how many entries build at once (default 2). */
  jobs?: number;
  /** failFast starts no entry after the first failure. */
  failFast?: boolean;
  /** generatedDir receives Dockerfile contexts for non-native backends (default generated/ beside kiln.yaml). */
  generatedDir?: string;
}

/** PublishOptions say whether registries are pushed to besides the outputs. */
export interface PublishOptions extends CommonOptions {
  /** push sends every publishable entry to its registries (tags only once all uploads landed). */
  push?: boolean;
  /** partial tags what succeeded even when another entry or registry failed. */
  partial?: boolean;
  /** concurrency bounds registry pushes at once (default 2). */
  concurrency?: number;
  /** db is the OSV database (a zip or folder) entries' scan gates read; default the one `kiln db update` keeps. */
  db?: string;
}

/** PublishSummary lists, per entry, the outputs written and the registry results. */
export interface PublishSummary {
  outputs: Record<string, string[]>;
  published: PublishResult[];
}

function storeOf(options: CommonOptions): BlobStore {
  return new BlobStore(options.cacheDir ?? defaultCacheDir(options.env ?? process.env));
}

/**
 * plan reads kiln.yaml and pins every input (Debian packages, registry base digests, Python files, the app's
 * digest) into a BuildPlan of plain data, as `kiln plan --json` prints it; it builds nothing.
 */
export async function plan(options: PlanOptions): Promise<BuildPlan> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const target = resolve(cwd, options.manifest);
  const manifestFile = (await stat(target)).isDirectory() ? join(target, 'kiln.yaml') : target;
  const intent = await planBuild({ manifestFile, cwd, env, ...(options.overrides ? { overrides: options.overrides } : {}), ...(options.only ? { only: options.only } : {}), ...(options.outputs ? { outputs: options.outputs } : {}) });
  const { resolvePlan } = await import('./resolve/index.js');
  const resolved = await resolvePlan(intent, { store: storeOf(options), env, locked: options.locked ?? false, writeLock: options.writeLock ?? false, ...(options.log ? { log: options.log } : {}) });
  return resolved.plan;
}

/**
 * verifyPlan refuses, with one line naming the entry and the input, a plan (read from a plan file) whose local
 * inputs (app folder, path dependencies, local base) changed since it was made, as `kiln build --plan` does.
 */
export async function verifyPlan(buildPlan: BuildPlan, options: CommonOptions = {}): Promise<void> {
  const { verifyPins } = await import('./resolve/verify.js');
  const context = { store: storeOf(options), env: options.env ?? process.env };
  for (const entry of buildPlan.images) await verifyPins(entry, context);
}

/**
 * build turns every entry of a plan into an Image with the chosen backend and writes nothing but the cache
 * (each result is recorded there, so `kiln push` can publish it later). One entry's failure is in its result.
 */
export async function build(buildPlan: BuildPlan, options: BuildOptions = {}): Promise<EntryResult[]> {
  const env = options.env ?? process.env;
  const store = storeOf(options);
  const log = options.log ?? (() => undefined);
  let builder: EntryBuilder | undefined;
  if (options.backend && options.backend !== 'native') {
    const { loadBackend } = await import('./backends/index.js');
    const backend = await loadBackend(options.backend);
    const generatedDir = options.generatedDir ?? join(dirname(buildPlan.manifestFile), 'generated');
    builder = (entry, entryLog) => backend.build(entry, { store, env, log: entryLog, manifestFile: buildPlan.manifestFile, generatedDir, print: log });
  }
  return buildEntries(buildPlan, { store, env, log }, { jobs: options.jobs ?? 2, failFast: options.failFast ?? false, ...(builder ? { builder } : {}) });
}

/** publish writes each built entry's Image to its outputs and, with `push`, to its registries. */
export async function publish(buildPlan: BuildPlan, results: EntryResult[], options: PublishOptions = {}): Promise<PublishSummary> {
  const context = { store: storeOf(options), env: options.env ?? process.env, log: options.log ?? (() => undefined) };
  const writeOutputs = outputPublisher(context);
  const built = buildPlan.images.flatMap((entry) => {
    const result = results.find((candidate) => candidate.name === entry.name);
    return result?.image ? [{ entry, image: result.image, attachments: result.attachments ?? [] }] : [];
  });
  const outputs: Record<string, string[]> = {};
  for (const { entry, image, attachments } of built) outputs[entry.name] = await writeOutputs(entry, image, attachments);
  const published = options.push
    ? await publishEntries(built.filter(({ entry }) => entry.publish), context, { manifestFile: buildPlan.manifestFile, ...(options.partial ? { partial: true } : {}), ...(options.concurrency ? { concurrency: options.concurrency } : {}), ...(options.db ? { db: options.db } : {}) })
    : [];
  return { outputs, published };
}
