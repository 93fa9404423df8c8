// writeDockerContext: one plan entry -> generated/<entry>/ with the Dockerfile, the app files (.dockerignore
// applied), python/ (hashed requirements of the plan's pinned packages, wheels kiln built for local projects) and context.txt.
// The folder is assembled under a temp name and renamed into place, so a failure leaves the old one.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import type { BlobStore } from '../cache/blob-store.js';
import type { ImagePlan, PinnedPython, PinnedPythonPackage, PythonPlan } from '../plan/index.js';
import { appEntries, type AppSource } from '../apply/app-layer.js';
import { errorMessage, InputError, IntegrityError, KilnError, OutputError, UsageError } from '../errors.js';
import { buildLocalWheel } from '../python/local-wheel/wheel.js';
import { namingDependency } from '../python/local-pin.js';
import { generateDockerfile, type DockerfileOptions, type GeneratedDockerfile, type PythonContext } from './generate.js';

/** BasePythonInfo is what the builder's interpreter is, when known from the base image itself. */
export interface BasePythonInfo {
  pythonFullVersion: string;
  interpreter: string;
  distroPackages: boolean;
}

/** ContextOptions choose the base images and say what the base's Python is. */
export interface ContextOptions extends Omit<DockerfileOptions, 'appFiles' | 'python' | 'aptPins' | 'aptLocked'> {
  /** manifestDir is where kiln.yaml lives. */
  manifestDir: string;
  /** basePython is ignored: the plan's pinned Python target decides (kept while callers still pass it). */
  basePython?: BasePythonInfo;
  /** store holds the wheels kiln built while planning; without it they are built again (and checked). */
  store?: BlobStore;
}

/** ContextResult is the written folder and what was generated into it. */
export interface ContextResult extends GeneratedDockerfile {
  dir: string;
}

/** writeDockerContext writes `dir` (replacing it) for one plan entry and returns the generated Dockerfile. */
export async function writeDockerContext(plan: ImagePlan, dir: string, options: ContextOptions): Promise<ContextResult> {
  // Each platform has its own pins, so its own Dockerfile: kiln build --backend builds them one by one.
  if (plan.platforms) throw new InputError(`${plan.name}: a multi-platform entry has one Dockerfile per platform: give writeDockerContext each of platformEntries(entry), as kiln dockerfile does`);
  const temp = join(dirname(dir), `.${basename(dir)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(temp, { recursive: true });
  try {
    const appFiles = plan.app ? await copyApp(plan.app, join(temp, 'app'), dirname(dir)) : [];
    const pinned = plan.pinned;
    if (plan.unresolved) throw new InputError(plan.unresolved);
    // Only the Python section needs pins (packages, target); apt versions are pinned when the base is.
    const python = plan.python ? await pythonContext(plan, plan.python, pinned?.python, join(temp, 'python'), options.store) : undefined;
    const aptPins = distroPins(plan);
    const aptLocked = lockedPackages(plan);
    const { manifestDir: _manifestDir, basePython: _basePython, store: _store, ...dockerOptions } = options;
    const generated = generateDockerfile(plan, { ...dockerOptions, appFiles, aptPins, ...(aptLocked.length ? { aptLocked } : {}), ...(python ? { python } : {}) });
    await writeFile(join(temp, 'Dockerfile'), generated.dockerfile);
    await writeFile(join(temp, 'context.txt'), `${generated.contextFiles.join('\n')}\n`);
    await replaceDir(temp, dir);
    return { dir, ...generated };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (error instanceof KilnError) throw error;
    throw new OutputError(`writing ${dir}: ${errorMessage(error)}`, { cause: error });
  }
}

// rename() cannot replace a non-empty directory: the old one steps aside first and is removed after.
async function replaceDir(temp: string, dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const old = `${temp}.old`;
  const hadOld = existsSync(dir);
  if (hadOld) await rename(dir, old);
  await rename(temp, dir);
  if (hadOld) await rm(old, { recursive: true, force: true });
}

/** copyApp copies the app's files as `COPY` would see them (.dockerignore applied) and lists them. */
async function copyApp(app: AppSource, to: string, outputDir: string): Promise<string[]> {
  await mkdir(to, { recursive: true });
  const listed: string[] = [];
  // The generated folder may sit inside the app (generated/ beside kiln.yaml): it never copies itself.
  const inside = relative(app.dir, outputDir);
  const skip = inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split(sep).join('/') : undefined;
  for (const entry of await appEntries({ ...app, dest: '/' })) {
    if (skip && (entry.path === skip || entry.path.startsWith(`${skip}/`))) continue;
    const target = join(to, entry.path);
    if (entry.type === 'directory') {
      await mkdir(target, { recursive: true });
      await chmod(target, entry.mode);
    } else if (entry.type === 'symlink') {
      await symlink(entry.linkTarget!, target);
      listed.push(entry.path);
    } else if (entry.type === 'file' || entry.type === 'hardlink') {
      await copyFile(join(app.dir, entry.type === 'hardlink' ? entry.linkTarget! : entry.path), target);
      await chmod(target, entry.mode);
      listed.push(entry.path);
    }
  }
  return listed;
}

// Requested packages are pinned to the versions the plan pinned (from kiln.lock).
function distroPins(plan: ImagePlan): Record<string, string> {
  const base = plan.pinned?.base;
  if (plan.base.kind !== 'distro' || base?.kind !== 'distro') return {};
  const versions = new Map(base.packages.map((pkg) => [pkg.name, pkg.version] as const));
  const pins: Record<string, string> = {};
  for (const name of [...plan.base.spec.packages, 'python3-pip']) {
    const version = versions.get(name);
    if (version) pins[name] = version;
  }
  return pins;
}

// Every package the base pins, in kiln.lock's order (stacked layers' packages are not rendered into Dockerfiles).
function lockedPackages(plan: ImagePlan): string[] {
  const base = plan.pinned?.base;
  if (plan.base.kind !== 'distro' || base?.kind !== 'distro') return [];
  return base.packages.filter((pkg) => pkg.layer === undefined).map((pkg) => `${pkg.name}=${pkg.version}`);
}

function sha256File(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function requirementLine(pkg: PinnedPythonPackage): string {
  if (!pkg.sha256) throw new UsageError(`${pkg.name}: the lock has no sha256 for it, and pip --require-hashes needs one`);
  const spec = pkg.kind === 'url' && pkg.url ? `${pkg.name} @ ${pkg.url}` : `${pkg.name}==${pkg.version}`;
  return [spec, `--hash=sha256:${pkg.sha256}`].join(' \\\n    ');
}

async function pythonContext(plan: ImagePlan, python: PythonPlan, pinned: PinnedPython | undefined, dir: string, store: BlobStore | undefined): Promise<PythonContext> {
  if (!pinned) throw new UsageError(`${plan.name}: the plan pins no Python packages; resolve it before writing a Dockerfile`);
  const files: string[] = [];
  // A wheel kiln built from an sdist goes in with the local ones: pip gets the wheel, not the sdist to build again.
  const remote = pinned.packages.filter((pkg) => (pkg.kind === 'index' || pkg.kind === 'url') && !pkg.sdist);
  const local = pinned.packages.filter((pkg) => pkg.kind === 'path' || pkg.kind === 'git' || pkg.kind === 'project' || pkg.sdist);
  const lockName = posix.basename(pinned.lock.path);

  let deps: PythonContext['deps'];
  if (remote.length) {
    await mkdir(join(dir, 'deps'), { recursive: true });
    await writeFile(join(dir, 'deps/requirements.txt'), `# generated by kiln from ${lockName}\n${remote.map(requirementLine).join('\n')}\n`);
    files.push('python/deps/requirements.txt');
    // Local find-links folders are copied (only the pinned files); URLs stay URLs.
    const wanted = new Set(remote.map((pkg) => pkg.filename));
    const contextFindLinks: string[] = [];
    const urls: string[] = [];
    const copied = new Set<string>();
    for (const [i, location] of pinned.findLinks.entries()) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file://')) {
        urls.push(location);
        continue;
      }
      const hostDir = location.startsWith('file://') ? new URL(location).pathname : location;
      const name = `find-links/${i}`;
      await mkdir(join(dir, 'deps', name), { recursive: true });
      for (const file of (await readdir(hostDir).catch(() => [] as string[])).sort()) {
        if (!wanted.has(file) || copied.has(file)) continue;
        await copyFile(join(hostDir, file), join(dir, 'deps', name, file));
        copied.add(file);
        files.push(`python/deps/${name}/${file}`);
      }
      contextFindLinks.push(name);
    }
    const [indexUrl, ...extraIndexUrls] = pinned.indexUrls;
    // When the context holds every pinned file, pip needs no index (as kiln's own build, which tries find-links first).
    const complete = urls.length === 0 && remote.every((pkg) => copied.has(pkg.filename));
    deps = complete
      ? { extraIndexUrls: [], findLinks: [], contextFindLinks }
      : { ...(indexUrl ? { indexUrl } : {}), extraIndexUrls: [...new Set(extraIndexUrls)].filter((url) => url !== indexUrl), findLinks: urls, contextFindLinks };
  }

  const wheelLines: string[] = [];
  const wheels = join(dir, 'local/wheels');
  for (const pkg of local) {
    await mkdir(wheels, { recursive: true });
    const target = join(wheels, pkg.filename);
    const digest = `sha256:${pkg.sha256}` as const;
    if (pkg.sdist) {
      if (!store || !(await store.has(digest))) throw new InputError(`${plan.name}: ${pkg.name} ${pkg.version} was built from ${pkg.sdist.filename} while planning, and that wheel is not in the cache; plan again on this machine`);
      await copyFile(store.path(digest), target);
    } else if (pkg.source!.dir.endsWith('.whl')) await copyFile(pkg.source!.dir, target);
    else if (store && (await store.has(digest))) await copyFile(store.path(digest), target);
    else {
      const built = await namingDependency(pkg.kind === 'project' || pkg.kind === 'git' ? pkg.kind : 'path', pkg.name, () => buildLocalWheel(pkg.source!.dir, wheels, { epoch: plan.epoch }));
      if (built.filename !== pkg.filename) throw new IntegrityError(`${plan.name}: ${pkg.name} built from ${pkg.source!.dir} is ${built.filename}, the plan pins ${pkg.filename}`);
    }
    const sha = sha256File(await readFile(target));
    if (sha !== pkg.sha256) throw new IntegrityError(`${plan.name}: ${pkg.name} built from ${pkg.sdist?.filename ?? pkg.source!.dir} has sha256 ${sha}, the plan pins ${pkg.sha256}`);
    wheelLines.push(`${pkg.name}==${pkg.version} --hash=sha256:${pkg.sha256}`);
    files.push(`python/local/wheels/${pkg.filename}`);
  }
  if (wheelLines.length) {
    await writeFile(join(dir, 'local/requirements.txt'), `# generated by kiln: wheels it built (local projects, sdists)\n${wheelLines.join('\n')}\n`);
    files.push('python/local/requirements.txt');
  }
  return {
    prefix: python.prefix,
    interpreter: pinned.target.interpreter,
    systemSitePackages: pinned.target.distroPackages,
    ...(deps ? { deps } : {}),
    local: wheelLines.length > 0,
    files,
    lock: lockName,
  };
}
