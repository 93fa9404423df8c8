// planBuild: kiln.yaml + command-line choices -> a BuildPlan of intent (plain data), before any input is pinned.
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { existsSync } from 'node:fs';
import picomatch from 'picomatch';
import type { ImageSpec, KilnManifest } from '../config/schema.js';
import { loadManifest } from '../config/load.js';
import type { EntrySpec } from '../config/entries.js';
import { Annotation, type RuntimeConfig } from '../oci/spec.js';
import { DEFAULT_REPORT_FILE, type AppPlan, type BaseRef, type BuildPlan, type Destination, type DockerPassThrough, type ImagePlan, type PinnedSource, type PlanOptions, type PythonPlan } from './types.js';
import { BlobStore, defaultCacheDir } from '../cache/blob-store.js';
import { readLock } from '../debian/lock.js';
import { excludedRequests } from '../debian/presets.js';
import { formatPlace, parsePlace } from '../places/place.js';
import { sourceDateEpoch } from '../tar/epoch.js';
import { ConfigError, UsageError } from '../errors.js';
import { rfc3339 } from '../oci/timestamp.js';
import { gitRevision } from './git-revision.js';
import { parsePlatform } from './platforms.js';

/** resolvePlacePath makes a relative oci:/docker-archive: path absolute against `base`. */
function resolvePlacePath(text: string, base: string): string {
  const place = parsePlace(text);
  if (place.transport === 'docker' || isAbsolute(place.path)) return formatPlace(place);
  return formatPlace({ ...place, path: resolve(base, place.path) });
}

function planBase(spec: ImageSpec, manifestDir: string): BaseRef {
  if (typeof spec.base !== 'string') return { kind: 'distro', spec: spec.base };
  if (spec.base === 'scratch') return { kind: 'scratch' };
  return { kind: 'place', place: resolvePlacePath(spec.base, manifestDir) };
}

function planPython(spec: ImageSpec, manifestDir: string, appDir: string | undefined): PythonPlan | undefined {
  const python = spec.python;
  if (!python) return undefined;
  return {
    project: python.project ? resolve(manifestDir, python.project) : appDir ?? manifestDir,
    ...(python.lock ? { lock: resolve(manifestDir, python.lock) } : {}),
    groups: python.groups,
    extras: python.extras,
    prefix: python.prefix,
    ...(python.index_url ? { indexUrl: python.index_url } : {}),
    extraIndexUrls: python.extra_index_urls,
    findLinks: python.find_links.map((dir) => resolve(manifestDir, dir)),
    split: python.split,
    allowUnhashed: python.allow_unhashed,
    installProject: python.install_project,
    ...(python.build_sdists === 'builder' ? { buildSdists: 'builder' as const } : {}),
  };
}

/** rawOutputs are an entry's outputs before expansion: the command line's, else the manifest's. */
function rawOutputs(spec: { outputs: string[] }, options: PlanOptions): string[] {
  return options.outputs?.length ? options.outputs : spec.outputs;
}

function expandOutputs(outputs: string[], name: string, sharers: ReadonlyMap<string, number>, base: string): string[] {
  return outputs.map((raw) => {
    let text = raw.replaceAll('{name}', name);
    const place = parsePlace(text);
    // Only an output several entries share needs telling apart; one image's own output is used as written.
    const count = sharers.get(raw) ?? 1;
    if (count > 1 && !raw.includes('{name}')) {
      if (place.transport === 'oci' && !place.tag) text = formatPlace({ ...place, tag: name });
      else if (place.transport !== 'oci') throw new UsageError(`output "${raw}" would receive ${count} images: add {name} to it`);
    }
    return resolvePlacePath(text, base);
  });
}

/**
 * entryOutputs expands `-o` outputs for one of `count` entries built to them at once (a plan file's or a context's):
 * `{name}` becomes the entry's slug, a shared oci: layout is tagged by it, relative paths are against `cwd`.
 */
export function entryOutputs(outputs: string[], name: string, count: number, cwd: string): string[] {
  return expandOutputs(outputs, entrySlug(name), new Map(outputs.map((raw) => [raw, count] as const)), cwd);
}

/** entrySlug is an entry name usable in file names and OCI layout tags: `server/3.11-cpu` -> `server-3.11-cpu`. */
export function entrySlug(name: string): string {
  return name.replaceAll('/', '-');
}

function planDestinations(entry: EntrySpec, manifest: KilnManifest, env: NodeJS.ProcessEnv): Destination[] {
  return entry.publish.map((registry) => {
    const spec = manifest.registries![registry]!;
    const repository = `${spec.repository}/${entry.image}`;
    const destination: Destination = {
      registry,
      repository,
      references: entry.tags.map((tag) => `docker://${repository}:${tag}`),
      insecure: spec.insecure,
      ...(spec.username_env && spec.password_env ? { credentials: { usernameEnv: spec.username_env, passwordEnv: spec.password_env } } : {}),
    };
    const unset = [spec.only_if, spec.username_env, spec.password_env].filter((name): name is string => name !== undefined && !env[name]);
    if (unset.length) destination.skipped = `$${unset[0]} is not set`;
    return destination;
  });
}

/**
 * kilnOutputsIn lists what kiln writes inside the app folder, relative to it: the dockerfile command's generated/
 * beside kiln.yaml (or $KILN_GENERATED_DIR) and the entry's oci: and docker-archive: outputs. Packing them into
 * the app layer would grow it with every build and change its digest. A report `kiln report` left at its default
 * place (kiln-report.html in the folder it ran in, often the project) is left out too, when there is one.
 */
function kilnOutputsIn(appDir: string, manifestDir: string, outputs: string[], options: Pick<PlanOptions, 'env' | 'cwd'>): string[] {
  const generated = options.env.KILN_GENERATED_DIR;
  const paths = [generated ? resolve(options.cwd, generated) : join(manifestDir, 'generated')];
  for (const output of outputs) {
    const place = parsePlace(output);
    if (place.transport !== 'docker') paths.push(place.path);
  }
  for (const report of new Set([join(options.cwd, DEFAULT_REPORT_FILE), join(manifestDir, DEFAULT_REPORT_FILE)])) {
    if (existsSync(report)) paths.push(report);
  }
  const inside = paths.map((path) => relative(appDir, path)).filter((path) => path && !path.startsWith('..') && !isAbsolute(path));
  return [...new Set(inside.map((path) => path.split(sep).join('/')))].sort();
}

function planApp(spec: ImageSpec, manifestDir: string, outputs: string[], options: Pick<PlanOptions, 'env' | 'cwd'>): AppPlan | undefined {
  if (!spec.app) return undefined;
  const dir = resolve(manifestDir, spec.app.src);
  const exclude = kilnOutputsIn(dir, manifestDir, outputs, options);
  return { dir, dest: spec.app.dest, ...(exclude.length ? { exclude } : {}) };
}

// A package named in packages (or a layer) and in exclude is left out: exclude wins, but never silently.
function excludedRequestWarning(image: ImagePlan): string[] {
  if (image.base.kind !== 'distro') return [];
  const both = excludedRequests(image.base.spec);
  if (!both.length) return [];
  const [them, are] = both.length === 1 ? ['it', 'is'] : ['them', 'are'];
  return [`warning: ${image.image}: ${both.join(', ')} ${are} in both packages and exclude, so left out of the image (take ${them} out of one list)`];
}

/** selectEntries keeps the entries an `--only` pattern names: an image name, an entry name or a glob. */
export function selectEntries<T extends { name: string; image: string }>(entries: T[], only: string[] | undefined): T[] {
  if (!only?.length) return entries;
  const matchers = only.map((pattern) => ({ pattern, test: picomatch(pattern) }));
  for (const { pattern, test } of matchers) {
    if (!entries.some((entry) => entry.image === pattern || test(entry.name))) {
      throw new UsageError(`--only "${pattern}" matches no entry (entries: ${entries.map((entry) => entry.name).join(', ')})`);
    }
  }
  return entries.filter((entry) => matchers.some(({ pattern, test }) => entry.image === pattern || test(entry.name)));
}

/** planImage turns one expanded manifest entry into an ImagePlan. */
export function planImage(entry: EntrySpec, manifest: KilnManifest, manifestDir: string, options: PlanOptions & { outputSharers: ReadonlyMap<string, number>; epoch: number }): ImagePlan {
  const { name, spec } = entry;
  const created = rfc3339(options.epoch);
  const outputs = expandOutputs(rawOutputs(spec, options), entrySlug(name), options.outputSharers, options.outputs?.length ? options.cwd : manifestDir);
  const app = planApp(spec, manifestDir, outputs, options);
  const annotations: Record<string, string> = { [Annotation.created]: created, [Annotation.title]: entry.image };
  const revision = spec.annotations.revision ?? gitRevision(manifestDir);
  if (spec.annotations.source) annotations[Annotation.source] = spec.annotations.source;
  if (revision) annotations[Annotation.revision] = revision;
  if (spec.annotations.version) annotations[Annotation.version] = spec.annotations.version;
  if (spec.annotations.description) annotations[Annotation.description] = spec.annotations.description;
  if (spec.annotations.title) annotations[Annotation.title] = spec.annotations.title;
  const ports = Object.fromEntries(spec.ports.map((port) => [String(port).includes('/') ? String(port) : `${port}/tcp`, {}]));
  const runtime: RuntimeConfig = {
    User: spec.user,
    ...(spec.ports.length ? { ExposedPorts: ports } : {}),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.workdir ?? app?.dest ? { WorkingDir: spec.workdir ?? app?.dest } : {}),
    Labels: { ...spec.labels },
  };
  const python = planPython(spec, manifestDir, app?.dir);
  const destinations = planDestinations(entry, manifest, options.env);
  // A list of one platform is that platform: an index is made only for two or more.
  const platforms = [...new Set(typeof spec.platform === 'string' ? [spec.platform] : spec.platform)].map(parsePlatform);
  return {
    name,
    image: entry.image,
    entry: entry.axes,
    tags: entry.tags,
    destinations,
    publish: destinations.length > 0,
    scan: entry.scan,
    sbom: entry.sbom,
    immutableTags: entry.immutableTags,
    base: planBase(spec, manifestDir),
    platform: platforms[0]!,
    ...(platforms.length > 1 ? { platforms: platforms.map((platform) => ({ platform })) } : {}),
    ...(app ? { app } : {}),
    ...(python ? { python } : {}),
    runtime,
    annotations,
    created,
    epoch: options.epoch,
    ...(spec.compression === 'zstd' ? { compression: 'zstd' as const } : {}),
    outputs,
    ...planDocker(spec.docker, manifestDir),
  };
}

// The docker section names secrets by file (made absolute) or variable: their content never enters the plan.
function planDocker(docker: ImageSpec['docker'], manifestDir: string): { docker?: DockerPassThrough } {
  if (!docker || (!Object.keys(docker.build_args).length && !docker.network && !docker.secrets.length)) return {};
  return {
    docker: {
      buildArgs: { ...docker.build_args },
      ...(docker.network ? { network: docker.network } : {}),
      secrets: docker.secrets.map((secret) => ({
        id: secret.id,
        ...(secret.src ? { src: resolve(manifestDir, secret.src) } : {}),
        ...(secret.env ? { env: secret.env } : {}),
        ...(secret.target ? { target: secret.target } : {}),
      })),
    },
  };
}

/**
 * planBuild reads the manifest and plans every image in it. Sources are synced first (the only pinning planning
 * does): entries name folders of their trees and tags use their commits, so the entries cannot be expanded before.
 */
export async function planBuild(options: PlanOptions): Promise<BuildPlan> {
  let sources: PinnedSource[] | undefined;
  const manifestDir = dirname(resolve(options.manifestFile));
  const loaded = await loadManifest(options.manifestFile, {
    env: options.env,
    ...(options.overrides ? { overrides: options.overrides } : {}),
    syncSources: async (manifest, yaml) => {
      const { syncSources } = await import('../source/sync.js');
      const lock = await readLock(join(manifestDir, 'kiln.lock'));
      sources = await syncSources(manifest.sources ?? {}, {
        store: options.store ?? new BlobStore(defaultCacheDir(options.env)),
        env: options.env,
        manifestDir,
        pins: lock.sources ?? {},
        locked: options.locked ?? false,
        ...(options.log ? { log: options.log } : {}),
        locate: (name, field) => yaml.locate(field ? ['sources', name, field] : ['sources', name]),
      });
      return sources;
    },
  });
  const { manifest } = loaded;
  const entries = selectEntries(loaded.entries, options.only);
  let epoch: number;
  try {
    epoch = sourceDateEpoch(options.env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const outputSharers = new Map<string, number>();
  for (const entry of entries) for (const raw of new Set(rawOutputs(entry.spec, options))) outputSharers.set(raw, (outputSharers.get(raw) ?? 0) + 1);
  const images = entries.map((entry) => planImage(entry, manifest, manifestDir, { ...options, outputSharers, epoch }));
  const notices = [...new Set([
    ...images.flatMap((image) => image.destinations.filter((d) => d.skipped).map((d) => `registry "${d.registry}" skipped: ${d.skipped}`)),
    ...images.flatMap(excludedRequestWarning),
  ])];
  return { manifestFile: resolve(options.manifestFile), ...(sources ? { sources } : {}), images, notices };
}
