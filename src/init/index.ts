// kiln init: look at an existing Python project (its lock, pyproject.toml's scripts and Python requirement) and
// write the kiln.yaml that builds it on a distroless Debian base.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { satisfies } from '@renovatebot/pep440';
import { ConfigError, InputError, OutputError, UsageError } from '../errors.js';
import { presetsOf, type Preset } from '../debian/presets.js';
import { detectLock, lockReaders } from '../python/lock/index.js';
import { normalizeName } from '../python/names.js';
import { readPyProject, type PyProject } from '../python/pyproject.js';
import type { LockFormat } from '../python/types.js';

/** ProjectFacts is what kiln init found in a project folder. */
export interface ProjectFacts {
  dir: string;
  /** name is the image name: the project's, made fit for kiln.yaml, else the folder's. */
  name: string;
  /** lock is the lock file's name in `dir`, and its format. */
  lock: { file: string; format: LockFormat };
  /** pyproject is set when the folder has a pyproject.toml (the project is then installed into the venv). */
  pyproject?: PyProject;
  /** scripts are the console scripts pyproject.toml declares, in file order; the chosen one is first. */
  scripts: string[];
  /** script is a top-level Python file run as the command when there is no console script (main.py, app.py...). */
  script?: string;
  /** requiresPython is the project's Python requirement (PEP 440), when it states one. */
  requiresPython?: string;
  /** base is the newest Debian release whose python3 satisfies requiresPython. */
  base: Preset;
}

// Files a script-only project runs, most likely first.
const SCRIPT_FILES = ['main.py', 'app.py', 'server.py', '__main__.py'];

/** MANIFEST_NAME is the file kiln init writes. */
export const MANIFEST_NAME = 'kiln.yaml';

/** detectProject reads a project folder: its lock (required), pyproject.toml (optional) and what they say. */
export async function detectProject(dir: string): Promise<ProjectFacts> {
  dir = resolve(dir);
  const lock = await findLock(dir);
  const pyprojectPath = join(dir, 'pyproject.toml');
  const pyproject = existsSync(pyprojectPath) ? await readPyProject(pyprojectPath) : undefined;
  const scripts = pyproject ? consoleScripts(pyproject) : [];
  const name = imageName(pyproject?.name ?? basename(dir));
  // The script named like the project is the likeliest server; otherwise the first declared.
  const chosen = scripts.find((script) => imageName(script) === name) ?? scripts[0];
  const ordered = chosen ? [chosen, ...scripts.filter((script) => script !== chosen)] : [];
  const names = await readdir(dir);
  const script = ordered.length ? undefined : SCRIPT_FILES.find((file) => names.includes(file));
  const requiresPython = pyproject?.requiresPython ?? await lockRequiresPython(join(dir, lock.file), lock.format);
  return {
    dir, name, lock, scripts: ordered,
    ...(pyproject ? { pyproject } : {}),
    ...(script ? { script } : {}),
    ...(requiresPython ? { requiresPython } : {}),
    base: pickRelease(requiresPython, pyproject?.path ?? join(dir, lock.file)),
  };
}

// A lock of any format kiln reads: detectLock's names first, then any requirements*.txt (pip-compile's
// requirements-prod.txt and the like) when it is the only one.
async function findLock(dir: string): Promise<ProjectFacts['lock']> {
  try {
    const found = await detectLock(dir);
    return { file: basename(found.path), format: found.reader.format };
  } catch (error) {
    if (!(error instanceof InputError) || !existsSync(dir)) throw error;
  }
  const requirements = (await readdir(dir)).filter((file) => /^requirements.*\.txt$/.test(file)).sort();
  if (requirements.length === 1) return { file: requirements[0]!, format: 'requirements' };
  if (requirements.length > 1) throw new UsageError(`${dir} has several requirements files (${requirements.join(', ')}); write kiln.yaml's python.lock yourself, or keep one`);
  const looked = [...Object.values(lockReaders).flatMap((reader) => reader.fileNames), 'requirements*.txt'];
  throw new InputError(`no Python lock in ${dir} (looked for ${[...new Set(looked)].join(', ')})`);
}

/** consoleScripts lists `[project.scripts]`, else `[tool.poetry.scripts]`, in file order. */
export function consoleScripts(pyproject: PyProject): string[] {
  const data = pyproject.data as { project?: { scripts?: unknown }; tool?: { poetry?: { scripts?: unknown } } };
  const table = data.project?.scripts ?? data.tool?.poetry?.scripts;
  if (table === undefined) return [];
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new InputError(`${pyproject.path}: scripts must be a table of name = "module:function"`);
  // Poetry's `{ reference = "...", type = "file" }` runs a file, not a console script: pip makes no bin/ entry for it.
  return Object.entries(table).filter(([, value]) => typeof value === 'string' || (value as { type?: string }).type !== 'file').map(([key]) => key);
}

// uv.lock and pylock.toml state the Python they were resolved for at the top.
async function lockRequiresPython(path: string, format: LockFormat): Promise<string | undefined> {
  if (format !== 'uv' && format !== 'pylock') return undefined;
  const match = /^requires-python\s*=\s*"([^"]*)"/m.exec(await readFile(path, 'utf8'));
  return match?.[1] || undefined;
}

/** imageName turns a project name into an image name kiln.yaml accepts: PEP 503 normalised, other characters "-". */
export function imageName(name: string): string {
  const cleaned = normalizeName(name).replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned || 'app';
}

/**
 * pickRelease returns the newest Debian release whose python3 satisfies `requiresPython` (a PEP 440 specifier,
 * `||` between alternatives as Poetry writes them); with no requirement, the newest release.
 */
export function pickRelease(requiresPython: string | undefined, where: string): Preset {
  const releases = [...presetsOf('debian')].reverse();
  const fits = (version: string): boolean => !requiresPython || requiresPython.split('||').some((alternative) => {
    const spec = alternative.trim();
    return spec === '' || satisfies(version, spec);
  });
  const release = releases.find((preset) => fits(preset.python));
  if (!release) {
    const known = releases.map((preset) => `${preset.release} ${preset.python}`).join(', ');
    throw new ConfigError(`${where}: requires-python "${requiresPython}" fits no Debian python3 kiln knows (${known})`);
  }
  return release;
}

const quote = (text: string): string => JSON.stringify(text);

/** manifestText writes the kiln.yaml for a project: one image, a distroless Debian base with python3, the venv. */
export function manifestText(facts: ProjectFacts): string {
  const { name, lock, base } = facts;
  const found = [lock.file, ...(facts.pyproject ? ['pyproject.toml'] : [])].join(' and ');
  const why = facts.requiresPython ? `the newest Debian python3 fitting requires-python ${facts.requiresPython}` : 'no requires-python: the newest Debian python3';
  const lines = [
    `# Written by kiln init from ${found}. kiln plan shows what it resolves to; kiln build writes out/${name}.`,
    'version: 1',
    'images:',
    `  ${name}:`,
    `    base:  # python3 ${base.python}: ${why}`,
    '      distro: debian',
    `      release: ${base.release}`,
    '      packages: [python3]',
    '    python:',
    `      lock: ${quote(lock.file)}`,
  ];
  if (!facts.pyproject || facts.script) {
    // Without a console script the code itself has to be in the image.
    lines.push('    app: {src: ., dest: /app}');
  }
  const [script, ...others] = facts.scripts;
  if (script) {
    lines.push(`    entrypoint: [${quote(script)}]${others.length ? `  # other console scripts: ${others.join(', ')}` : ''}`);
  } else if (facts.script) {
    lines.push(`    entrypoint: [python3, ${quote(`/app/${facts.script}`)}]`);
  } else {
    lines.push('    # No console script in pyproject.toml and no main.py: name the command the image runs.', '    # entrypoint: [python3, -m, your_module]');
  }
  lines.push(`    outputs: [${quote(`oci:out/${name}`)}]`);
  return `${lines.join('\n')}\n`;
}

/** writeManifest writes DIR/kiln.yaml for the project in DIR; an existing one is kept unless `force`. */
export async function writeManifest(dir: string, options: { force?: boolean } = {}): Promise<{ file: string; facts: ProjectFacts }> {
  const file = join(resolve(dir), MANIFEST_NAME);
  if (!options.force && existsSync(file)) throw new OutputError(`${file} exists; kiln init --force replaces it`);
  const facts = await detectProject(dir);
  await writeFile(file, manifestText(facts));
  return { file, facts };
}
