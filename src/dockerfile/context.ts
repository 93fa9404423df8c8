// writeDockerContext: one plan entry -> generated/<entry>/ with the Dockerfile, the app files (.dockerignore
// applied), python/ (hashed requirements from the lock, wheels kiln built for local projects) and context.txt.
// The folder is assembled under a temp name and renamed into place, so a failure leaves the old one.
import { createHash, randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import type { ImagePlan, PythonPlan } from '../plan/index.js';
import { appEntries } from '../build/app-layer.js';
import { lockPath } from '../debian/base-source.js';
import { readLock as readDistroLock } from '../debian/lock.js';
import { errorMessage, KilnError, OutputError, UsageError } from '../errors.js';
import { buildLocalWheel } from '../python/build/wheel.js';
import { detectLock, readLock, selectPackages } from '../python/lock/index.js';
import { normalizeName } from '../python/names.js';
import { targetEnvironment } from '../python/target.js';
import type { LockedPackage, PythonLock } from '../python/types.js';
import { generateDockerfile, type DockerfileOptions, type GeneratedDockerfile, type PythonContext } from './generate.js';

/** BasePythonInfo is what the builder's interpreter is, when known from the base image itself. */
export interface BasePythonInfo {
  pythonFullVersion: string;
  interpreter: string;
  distroPackages: boolean;
}

/** ContextOptions choose the base images and say what the base's Python is. */
export interface ContextOptions extends Omit<DockerfileOptions, 'appFiles' | 'python' | 'aptPins'> {
  /** manifestDir holds kiln.lock (apt pins come from it). */
  manifestDir: string;
  /** basePython comes from probing the base; otherwise the release's Python is assumed. */
  basePython?: BasePythonInfo;
}

/** ContextResult is the written folder and what was generated into it. */
export interface ContextResult extends GeneratedDockerfile {
  dir: string;
}

// The Python a stock distro image ships, for choosing packages by marker when the base is not at hand.
const RELEASE_PYTHON: Record<string, string> = {
  'debian/bookworm': '3.11.2',
  'debian/trixie': '3.13.5',
  'ubuntu/noble': '3.12.3',
  'ubuntu/jammy': '3.10.12',
};

function basePythonFor(plan: ImagePlan, options: ContextOptions): BasePythonInfo {
  if (options.basePython) return options.basePython;
  if (plan.base.kind === 'distro') {
    const version = RELEASE_PYTHON[`${plan.base.spec.distro}/${plan.base.spec.release}`];
    if (version) {
      const distroPackages = plan.base.spec.packages.some((name) => name.startsWith('python3-') && !['python3-minimal', 'python3-venv'].includes(name));
      return { pythonFullVersion: version, interpreter: '/usr/bin/python3', distroPackages };
    }
  }
  throw new UsageError(`${plan.name}: cannot tell which Python the base has; kiln build --backend docker probes it, or use a distro base`);
}

/** writeDockerContext writes `dir` (replacing it) for one plan entry and returns the generated Dockerfile. */
export async function writeDockerContext(plan: ImagePlan, dir: string, options: ContextOptions): Promise<ContextResult> {
  const temp = join(dirname(dir), `.${basename(dir)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  await mkdir(temp, { recursive: true });
  try {
    const appFiles = plan.app ? await copyApp(plan.app, join(temp, 'app'), dirname(dir)) : [];
    const python = plan.python ? await pythonContext(plan, plan.python, join(temp, 'python'), basePythonFor(plan, options)) : undefined;
    const aptPins = await distroPins(plan, options.manifestDir);
    const { manifestDir: _manifestDir, basePython: _basePython, ...dockerOptions } = options;
    const generated = generateDockerfile(plan, { ...dockerOptions, appFiles, aptPins, ...(python ? { python } : {}) });
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
async function copyApp(app: { dir: string; dest: string }, to: string, outputDir: string): Promise<string[]> {
  await mkdir(to, { recursive: true });
  const listed: string[] = [];
  // The generated folder may sit inside the app (generated/ beside kiln.yaml): it never copies itself.
  const inside = relative(app.dir, outputDir);
  const skip = inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split(sep).join('/') : undefined;
  for (const entry of await appEntries({ dir: app.dir, dest: '/' })) {
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

async function distroPins(plan: ImagePlan, manifestDir: string): Promise<Record<string, string>> {
  if (plan.base.kind !== 'distro') return {};
  const locked = (await readDistroLock(lockPath(manifestDir))).bases[plan.name];
  if (!locked) return {};
  const versions = new Map(locked.packages.map((pkg) => [pkg.name, pkg.version] as const));
  const pins: Record<string, string> = {};
  for (const name of [...plan.base.spec.packages, 'python3-pip']) {
    const version = versions.get(name);
    if (version) pins[name] = version;
  }
  return pins;
}

// The project itself is not a dependency: uv and pylock list it (as a path or virtual package).
function isProject(pkg: LockedPackage, lock: PythonLock, python: PythonPlan): boolean {
  return pkg.name === lock.project?.name || (pkg.source.kind === 'path' && pkg.source.path.replace(/\/+$/, '') === python.project.replace(/\/+$/, ''));
}

function sha256File(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function requirementLine(pkg: LockedPackage): string {
  const hashes = [...new Set(pkg.files.map((file) => file.hashes.sha256?.toLowerCase()).filter((hash): hash is string => Boolean(hash)))].sort();
  if (hashes.length === 0) throw new UsageError(`${pkg.name}: the lock has no sha256 for it, and pip --require-hashes needs one`);
  const spec = pkg.source.kind === 'url' ? `${pkg.name} @ ${pkg.source.url}` : `${pkg.name}==${pkg.version}`;
  return [spec, ...hashes.map((hash) => `--hash=sha256:${hash}`)].join(' \\\n    ');
}

async function pythonContext(plan: ImagePlan, python: PythonPlan, dir: string, base: BasePythonInfo): Promise<PythonContext> {
  const lock = python.lock ? await readLock(python.lock) : await readLock((await detectLock(python.project)).path);
  const target = targetEnvironment({ architecture: plan.platform.architecture, ...(plan.platform.variant ? { variant: plan.platform.variant } : {}), pythonFullVersion: base.pythonFullVersion });
  const selected = selectPackages(lock, target, { groups: python.groups, extras: python.extras, allowUnhashed: python.allowUnhashed })
    .filter((pkg) => !isProject(pkg, lock, python));
  const git = selected.find((pkg) => pkg.source.kind === 'git');
  if (git) throw new UsageError(`${git.name}: git dependencies are not supported; build a wheel and lock it, or use a path dependency`);
  const files: string[] = [];
  const remote = selected.filter((pkg) => pkg.source.kind === 'index' || pkg.source.kind === 'url');
  const local = selected.filter((pkg) => pkg.source.kind === 'path');

  let deps: PythonContext['deps'];
  if (remote.length) {
    await mkdir(join(dir, 'deps'), { recursive: true });
    await writeFile(join(dir, 'deps/requirements.txt'), `# generated by kiln from ${posix.basename(lock.path)}\n${remote.map(requirementLine).join('\n')}\n`);
    files.push('python/deps/requirements.txt');
    // Local find-links folders are copied (only the selected packages' files); URLs stay URLs.
    const names = new Set(remote.map((pkg) => pkg.name));
    const contextFindLinks: string[] = [];
    const urls: string[] = [];
    const copied = new Set<string>();
    for (const [i, location] of [...python.findLinks, ...lock.findLinks].entries()) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !location.startsWith('file://')) {
        urls.push(location);
        continue;
      }
      const hostDir = location.startsWith('file://') ? new URL(location).pathname : location;
      const name = `find-links/${i}`;
      await mkdir(join(dir, 'deps', name), { recursive: true });
      for (const file of (await readdir(hostDir).catch(() => [] as string[])).sort()) {
        const project = normalizeName(file.split('-')[0] ?? '');
        if (!names.has(project)) continue;
        await copyFile(join(hostDir, file), join(dir, 'deps', name, file));
        copied.add(project);
        files.push(`python/deps/${name}/${file}`);
      }
      contextFindLinks.push(name);
    }
    const indexUrl = python.indexUrl ?? lock.indexes[0]?.url;
    const extraIndexUrls = [...(python.indexUrl ? lock.indexes : lock.indexes.slice(1)).map((index) => index.url), ...python.extraIndexUrls]
      .filter((url) => url !== indexUrl);
    // When the context holds a file of every pin, pip needs no index (as kiln's own build, which tries find-links first).
    const complete = urls.length === 0 && remote.every((pkg) => copied.has(pkg.name));
    deps = complete
      ? { extraIndexUrls: [], findLinks: [], contextFindLinks }
      : { ...(indexUrl ? { indexUrl } : {}), extraIndexUrls: [...new Set(extraIndexUrls)], findLinks: urls, contextFindLinks };
  }

  const wheelLines: string[] = [];
  const wheels = join(dir, 'local/wheels');
  const addWheel = async (path: string): Promise<void> => {
    await mkdir(wheels, { recursive: true });
    let filename: string;
    if (path.endsWith('.whl')) {
      filename = posix.basename(path);
      await copyFile(path, join(wheels, filename));
    } else {
      filename = (await buildLocalWheel(path, wheels, { epoch: plan.epoch })).filename;
    }
    const [name, version] = filename.split('-');
    wheelLines.push(`${normalizeName(name!)}==${version} --hash=sha256:${sha256File(await readFile(join(wheels, filename)))}`);
    files.push(`python/local/wheels/${filename}`);
  };
  for (const pkg of local) {
    if (pkg.source.kind === 'path') await addWheel(pkg.source.path);
  }
  if (python.installProject && existsSync(join(python.project, 'pyproject.toml'))) await addWheel(python.project);
  if (wheelLines.length) {
    await writeFile(join(dir, 'local/requirements.txt'), `# generated by kiln: wheels it built for local projects\n${wheelLines.join('\n')}\n`);
    files.push('python/local/requirements.txt');
  }
  return {
    prefix: python.prefix,
    interpreter: base.interpreter,
    systemSitePackages: base.distroPackages,
    ...(deps ? { deps } : {}),
    local: wheelLines.length > 0,
    files,
    lock: posix.basename(lock.path),
  };
}
