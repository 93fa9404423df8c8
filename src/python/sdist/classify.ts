// Whether kiln can build an unpacked sdist without Python. The rule is conservative: any sign of compiled code,
// of a build that runs project code (setup.py), or of build requirements beyond the backend itself sends the
// sdist to the builder; only what readLocalProject and the metadata readers accept as-is is built natively.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse } from 'smol-toml';
import { KilnError } from '../../errors.js';
import { readLocalProject } from '../local-wheel/backend.js';
import { pep621Metadata, poetryMetadata } from '../local-wheel/metadata.js';
import { normalizeName } from '../names.js';

/** NativeVerdict: built natively, or why not (`compiles` says the reason is compiled code). */
export type NativeVerdict = { native: true } | { native: false; compiles: boolean; reason: string };

// Sources a compiler or another language's toolchain turns into extension modules.
const COMPILED = /\.(c|cc|cpp|cxx|c\+\+|m|mm|pyx|pxd|f|f90|f95|rs|go|cu)$|(^|\/)(Cargo\.toml|CMakeLists\.txt|meson\.build|binding\.gyp)$/i;
// What a pure build may require: the backends kiln reimplements (and wheel, which setuptools used to list).
const BACKEND_REQUIREMENTS = new Set(['setuptools', 'wheel', 'flit-core', 'hatchling', 'poetry-core']);

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
  }
  return out.sort();
}

/** nativeVerdict decides how the unpacked sdist at `dir` is built. */
export async function nativeVerdict(dir: string): Promise<NativeVerdict> {
  const compiled = (await files(dir)).find((file) => COMPILED.test(file));
  if (compiled) return { native: false, compiles: true, reason: `it has ${compiled}` };
  let pyproject: Record<string, unknown> = {};
  try {
    pyproject = parse(await readFile(join(dir, 'pyproject.toml'), 'utf8')) as Record<string, unknown>;
  } catch {
    // readLocalProject below says what is missing or malformed.
  }
  const system = (pyproject['build-system'] ?? {}) as { requires?: unknown };
  const requires = Array.isArray(system.requires) ? system.requires.map(String) : [];
  const extra = requires.map((requirement) => normalizeName(/^[A-Za-z0-9._-]+/.exec(requirement.trim())?.[0] ?? requirement)).filter((name) => !BACKEND_REQUIREMENTS.has(name));
  // cython, cffi, pybind11, numpy, maturin, scikit-build and friends exist to compile.
  if (extra.length) return { native: false, compiles: true, reason: `its build requires ${extra.join(', ')}` };
  const setuptools = ((pyproject.tool ?? {}) as { setuptools?: Record<string, unknown> }).setuptools ?? {};
  if ('ext-modules' in setuptools) return { native: false, compiles: true, reason: 'it declares tool.setuptools.ext-modules' };
  try {
    const project = await readLocalProject(dir);
    if (project.backend === 'poetry') poetryMetadata(project);
    else pep621Metadata(project);
  } catch (error) {
    if (!(error instanceof KilnError)) throw error;
    return { native: false, compiles: false, reason: error.message.replace(/^project [^:]*: /, '') };
  }
  return { native: true };
}
