// projectSourceDigest: a digest of what a local project's wheel is built from, so a plan can tell an edited
// path dependency from an unchanged one without comparing wheels.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, withContext } from '../../errors.js';
import { readLocalProject } from './backend.js';
import { wheelSourceFiles } from './files.js';
import { poetryMetadata, pep621Metadata, readmeFile } from './metadata.js';

/** projectSourceDigest hashes pyproject.toml and every file the wheel would hold (by its path in the wheel). */
export async function projectSourceDigest(projectDir: string): Promise<string> {
  return withContext(`project ${projectDir}`, () => sourceDigest(projectDir), InputError);
}

async function sourceDigest(projectDir: string): Promise<string> {
  const project = await readLocalProject(projectDir);
  const metadata = project.backend === 'poetry' ? poetryMetadata(project) : pep621Metadata(project);
  const hash = createHash('sha256');
  const add = (name: string, data: Buffer): void => {
    hash.update(`${name}\0${createHash('sha256').update(data).digest('hex')}\n`);
  };
  add('pyproject.toml', await readFile(join(projectDir, 'pyproject.toml')));
  for (const file of await wheelSourceFiles(project, metadata.name)) add(file.target, await readFile(file.source));
  return `sha256:${hash.digest('hex')}`;
}

/**
 * projectSourceFiles lists every file a local project's wheel is built from: pyproject.toml, the readme its
 * metadata embeds, and the packaged sources. A copy of exactly these builds the same wheel elsewhere.
 */
export async function projectSourceFiles(projectDir: string): Promise<string[]> {
  const project = await readLocalProject(projectDir);
  const metadata = project.backend === 'poetry' ? poetryMetadata(project) : pep621Metadata(project);
  const readme = readmeFile(project);
  const files = [join(projectDir, 'pyproject.toml'), ...(readme ? [join(projectDir, readme)] : [])];
  for (const file of await wheelSourceFiles(project, metadata.name)) files.push(file.source);
  return [...new Set(files)];
}
