// Test helper: writes a real wheel file from an object literal (METADATA, WHEEL, entry points and a
// correct RECORD are generated), with knobs to make it lie for fault tests.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeName } from '../python/wheel/filename.js';
import { formatRecord, recordHash, type RecordRow } from '../python/wheel/record.js';
import type { Scheme } from '../python/wheel/scheme.js';
import { writeZip, type ZipMember } from '../python/wheel/zip-write.js';

/** FileSpec is a file's content, or content with Unix mode bits (0o755 for executables). */
export type FileSpec = string | Buffer | { data: string | Buffer; mode: number };

/** WheelSpec describes a wheel to write; only name and version are required. */
export interface WheelSpec {
  name: string;
  version: string;
  /** tag: `python-abi-platform`, default py3-none-any. */
  tag?: string;
  /** rootIsPurelib, default true. */
  rootIsPurelib?: boolean;
  /** files at the wheel's root (they install into site-packages). */
  files?: Record<string, FileSpec>;
  /** data: files under `{name}-{version}.data/<scheme>/`. */
  data?: Partial<Record<Scheme, Record<string, FileSpec>>>;
  consoleScripts?: Record<string, string>;
  guiScripts?: Record<string, string>;
  /** requires: Requires-Dist lines. */
  requires?: string[];
  /** tamper lists wheel paths whose RECORD hash is made wrong. */
  tamper?: string[];
  /** unlisted lists extra members left out of RECORD (paths taken literally, e.g. `../evil`). */
  unlisted?: Record<string, FileSpec>;
  /** listed: extra members listed in RECORD, paths taken literally (for escape tests). */
  listed?: Record<string, FileSpec>;
}

function member(name: string, spec: FileSpec): ZipMember {
  if (typeof spec === 'string' || Buffer.isBuffer(spec)) return { name, data: Buffer.from(spec) };
  return { name, data: Buffer.from(spec.data), mode: spec.mode };
}

/** wheelFilename is the PEP 427 file name a spec gets. */
export function wheelFilename(spec: WheelSpec): string {
  return `${escapeName(spec.name)}-${spec.version}-${spec.tag ?? 'py3-none-any'}.whl`;
}

/** buildWheel returns the wheel's bytes. */
export function buildWheel(spec: WheelSpec): Buffer {
  const dist = `${escapeName(spec.name)}-${spec.version}`;
  const distInfo = `${dist}.dist-info`;
  const members: ZipMember[] = [];
  for (const [path, file] of Object.entries(spec.files ?? {})) members.push(member(path, file));
  for (const [scheme, files] of Object.entries(spec.data ?? {})) {
    for (const [path, file] of Object.entries(files ?? {})) members.push(member(`${dist}.data/${scheme}/${path}`, file));
  }
  for (const [path, file] of Object.entries(spec.listed ?? {})) members.push(member(path, file));
  const metadata = ['Metadata-Version: 2.1', `Name: ${spec.name}`, `Version: ${spec.version}`, ...(spec.requires ?? []).map((r) => `Requires-Dist: ${r}`), '', ''].join('\n');
  members.push({ name: `${distInfo}/METADATA`, data: Buffer.from(metadata) });
  const tag = spec.tag ?? 'py3-none-any';
  const wheel = ['Wheel-Version: 1.0', 'Generator: kiln-test', `Root-Is-Purelib: ${spec.rootIsPurelib ?? true}`, `Tag: ${tag}`, '', ''].join('\n');
  members.push({ name: `${distInfo}/WHEEL`, data: Buffer.from(wheel) });
  const sections: string[] = [];
  for (const [title, scripts] of [['console_scripts', spec.consoleScripts], ['gui_scripts', spec.guiScripts]] as const) {
    if (scripts) sections.push(`[${title}]\n${Object.entries(scripts).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  }
  if (sections.length) members.push({ name: `${distInfo}/entry_points.txt`, data: Buffer.from(sections.join('\n')) });
  const rows: RecordRow[] = members.map((m) => ({
    path: m.name,
    hash: spec.tamper?.includes(m.name) ? recordHash(Buffer.from('not the content')) : recordHash(m.data),
    size: m.data.length,
  }));
  rows.push({ path: `${distInfo}/RECORD` });
  members.push({ name: `${distInfo}/RECORD`, data: Buffer.from(formatRecord(rows)) });
  for (const [path, file] of Object.entries(spec.unlisted ?? {})) members.push(member(path, file));
  return writeZip(members);
}

/** writeWheel writes the wheel into `dir` under its PEP 427 name and returns the path. */
export async function writeWheel(dir: string, spec: WheelSpec): Promise<string> {
  const path = join(dir, wheelFilename(spec));
  await writeFile(path, buildWheel(spec));
  return path;
}
