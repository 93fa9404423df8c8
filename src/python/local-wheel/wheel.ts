// buildLocalWheel: a py3-none-any wheel for a local pure-Python project, built without running Python,
// reproducibly (sorted members, fixed timestamps), written to a temp file and renamed into place.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { InputError, withContext } from '../../errors.js';
import { join } from 'node:path';
import { sourceDateEpoch } from '../../tar/epoch.js';
import { escapeName } from '../wheel/filename.js';
import { formatRecord, recordHash, type RecordRow } from '../wheel/record.js';
import { writeZip, type ZipMember } from '../wheel/zip-write.js';
import { readLocalProject, type Backend, type LocalProject } from './backend.js';
import { wheelSourceFiles } from './files.js';
import { formatEntryPoints, formatMetadata, pep621Metadata, poetryMetadata, type ProjectMetadata } from './metadata.js';

/** BuiltWheel describes a wheel kiln built for a local project. */
export interface BuiltWheel {
  path: string;
  filename: string;
  name: string;
  version: string;
  backend: Backend;
}

/** BuildOptions: epoch for member timestamps (SOURCE_DATE_EPOCH by default, clamped to 1980). */
export interface BuildOptions {
  epoch?: number;
}

/**
 * buildLocalWheel builds `projectDir` into `outDir`. Anything wrong with the sources (an unsupported project, a
 * missing package folder or readme) is an InputError naming the project; only writing the wheel is output.
 */
export async function buildLocalWheel(projectDir: string, outDir: string, options: BuildOptions = {}): Promise<BuiltWheel> {
  const { project, metadata, members } = await withContext(`project ${projectDir}`, () => wheelMembers(projectDir), InputError);
  const dist = `${escapeName(metadata.name)}-${metadata.version}`;
  const filename = `${dist}-py3-none-any.whl`;
  const path = join(outDir, filename);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temp, writeZip(members, options.epoch ?? sourceDateEpoch()));
    await rename(temp, path);
  } finally {
    await rm(temp, { force: true });
  }
  return { path, filename, name: metadata.name, version: metadata.version, backend: project.backend };
}

async function wheelMembers(projectDir: string): Promise<{ project: LocalProject; metadata: ProjectMetadata; members: ZipMember[] }> {
  const project = await readLocalProject(projectDir);
  const metadata = project.backend === 'poetry' ? poetryMetadata(project) : pep621Metadata(project);
  const dist = `${escapeName(metadata.name)}-${metadata.version}`;
  const distInfo = `${dist}.dist-info`;
  const members: ZipMember[] = [];
  for (const file of await wheelSourceFiles(project, metadata.name)) members.push({ name: file.target, data: await readFile(file.source) });
  members.push({ name: `${distInfo}/METADATA`, data: Buffer.from(formatMetadata(metadata)) });
  members.push({ name: `${distInfo}/WHEEL`, data: Buffer.from(`Wheel-Version: 1.0\nGenerator: kiln (${project.backend})\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n`) });
  const entryPoints = formatEntryPoints(metadata.entryPoints);
  if (entryPoints) members.push({ name: `${distInfo}/entry_points.txt`, data: Buffer.from(entryPoints) });
  const rows: RecordRow[] = members.map((m) => ({ path: m.name, hash: recordHash(m.data), size: m.data.length }));
  rows.push({ path: `${distInfo}/RECORD` });
  members.push({ name: `${distInfo}/RECORD`, data: Buffer.from(formatRecord(rows)) });
  return { project, metadata, members };
}
