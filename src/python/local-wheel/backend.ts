// Which build backend a local project uses, and whether kiln can stand in for it without Python.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { InputError } from '../../errors.js';

/** Backend names the pure-Python backends kiln reimplements. */
export type Backend = 'poetry' | 'hatchling' | 'setuptools' | 'flit';

const BACKENDS: Record<string, Backend> = {
  'poetry.core.masonry.api': 'poetry',
  'hatchling.build': 'hatchling',
  'setuptools.build_meta': 'setuptools',
  'setuptools.build_meta:__legacy__': 'setuptools',
  'flit_core.buildapi': 'flit',
};

/** LocalProject is a project directory with its parsed pyproject.toml and detected backend. */
export interface LocalProject {
  dir: string;
  backend: Backend;
  pyproject: Record<string, unknown>;
}

/** readLocalProject reads `dir/pyproject.toml`; a project kiln cannot build natively is an InputError naming it. */
export async function readLocalProject(dir: string): Promise<LocalProject> {
  const path = join(dir, 'pyproject.toml');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    const setupPy = existsSync(join(dir, 'setup.py'));
    throw new InputError(`project ${dir}: ${setupPy ? 'only a setup.py, which must run Python to build' : 'no pyproject.toml'}; kiln builds pyproject-based pure-Python projects only`);
  }
  let pyproject: Record<string, unknown>;
  try {
    pyproject = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(`${path}: invalid TOML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const system = (pyproject['build-system'] ?? {}) as { 'build-backend'?: string };
  // PEP 517: no build-backend means setuptools' legacy backend.
  const name = system['build-backend'] ?? 'setuptools.build_meta:__legacy__';
  const backend = BACKENDS[name];
  if (!backend) throw new InputError(`project ${dir}: build backend "${name}" is not one kiln can build natively (poetry-core, hatchling, setuptools, flit-core)`);
  if (backend === 'setuptools' && !pyproject.project) {
    throw new InputError(`project ${dir}: setuptools without a [project] table needs setup.py or setup.cfg to run; move the metadata to pyproject.toml`);
  }
  if (backend === 'setuptools' && existsSync(join(dir, 'setup.py'))) {
    throw new InputError(`project ${dir}: has a setup.py, which kiln cannot run; build the wheel with pip and lock it instead`);
  }
  return { dir, backend, pyproject };
}
