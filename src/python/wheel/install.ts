// installWheel: PEP 427 installation into a venv, in the shape of pypa/installer: a source yields the
// wheel's files, a destination stores them, and RECORD is rewritten from what was actually stored.
//
// Bytecode: kiln writes no .pyc files. Compiling needs the target's exact CPython (the marshal format
// and magic number change between versions), and running the base image's Python at build time would
// break "no Docker, no privileges" and cross-architecture builds. CPython writes __pycache__ lazily on
// first import when the venv is writable, or can be precompiled in a later layer.
import { posix } from 'node:path';
import { pipeline } from 'node:stream';
import { InputError, UnsafePathError } from '../../errors.js';
import type { WheelDestination, InstallContent } from './destination.js';
import { directUrlJson, type DirectUrl } from './direct-url.js';
import { parseScriptEntryPoints } from './entry-points.js';
import { formatRecord, type RecordRow } from './record.js';
import { SCHEMES, venvScheme, type HeadersLayout, type Scheme } from './scheme.js';
import { PYTHON_SHEBANG, scriptLauncher, ShebangRewrite } from './scripts.js';
import type { WheelMember, WheelSource } from './source.js';

/** DEFAULT_PREFIX is where kiln puts the model server's virtual environment. */
export const DEFAULT_PREFIX = '/opt/venv';

/** InstallOptions describe the venv a wheel goes into and the metadata pip would add. */
export interface InstallOptions {
  /** pythonVersion is the target's major.minor, e.g. '3.11'. */
  pythonVersion: string;
  /** prefix of the venv; default /opt/venv. */
  prefix?: string;
  /** interpreter for script shebangs; default `<prefix>/bin/python`. */
  interpreter?: string;
  /** installer is written to dist-info/INSTALLER; null writes none (as `python -m installer` does). Default 'kiln'. */
  installer?: string | null;
  /** requested writes an empty REQUESTED file, as pip does for packages the user asked for. */
  requested?: boolean;
  /** directUrl writes direct_url.json, as pip does for path and URL installs. */
  directUrl?: DirectUrl;
  headers?: HeadersLayout;
}

/** InstalledWheel summarises an install: where its metadata went and the RECORD it wrote. */
export interface InstalledWheel {
  distribution: string;
  version: string;
  /** distInfo is the absolute path of the installed .dist-info directory. */
  distInfo: string;
  record: RecordRow[];
}

/** installWheel installs `source` into `destination`; on any failure the destination is rolled back. */
export async function installWheel(source: WheelSource, destination: WheelDestination, options: InstallOptions): Promise<InstalledWheel> {
  try {
    return await install(source, destination, options);
  } catch (error) {
    await destination.rollback();
    throw error;
  }
}

async function install(source: WheelSource, destination: WheelDestination, options: InstallOptions): Promise<InstalledWheel> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const interpreter = options.interpreter ?? posix.join(prefix, 'bin', 'python');
  const schemes = venvScheme(prefix, options.pythonVersion, source.distribution, options.headers);
  const rootScheme = await readRootScheme(source);
  const written: Array<[Scheme, RecordRow]> = [];
  const write = async (scheme: Scheme, path: string, content: InstallContent, executable: boolean): Promise<void> => {
    const target = posix.join(schemes[scheme], path);
    if (!target.startsWith(schemes[scheme] + '/')) throw new UnsafePathError(`${source.name}: "${path}" would escape ${schemes[scheme]}`);
    const { hash, size } = await destination.writeFile(target, content, executable);
    written.push([scheme, { path, hash, size }]);
  };

  const entryPoints = await source.readDistInfo('entry_points.txt');
  for (const script of entryPoints === undefined ? [] : parseScriptEntryPoints(entryPoints, source.name)) {
    await write('scripts', script.name, { kind: 'buffer', data: scriptLauncher(script, interpreter) }, true);
  }

  const recordPath = `${source.distInfoDir}/RECORD`;
  for (const member of source.members) {
    if (member.path === recordPath) continue;
    const [scheme, path] = placeMember(member.path, source, rootScheme);
    // Scripts are streamed like any member (they can be huge); only the first line may change.
    const content: InstallContent = scheme === 'scripts' && (await hasPythonShebang(member))
      ? { kind: 'stream', open: async () => pipeline(await member.open(), new ShebangRewrite(interpreter), () => {}) }
      : { kind: 'member', member };
    await write(scheme, path, content, member.executable);
  }

  const extra: Array<[string, Buffer]> = [];
  if (options.installer !== null) extra.push(['INSTALLER', Buffer.from(`${options.installer ?? 'kiln'}\n`)]);
  if (options.requested) extra.push(['REQUESTED', Buffer.alloc(0)]);
  if (options.directUrl) extra.push(['direct_url.json', directUrlJson(options.directUrl)]);
  for (const [name, data] of extra) await write(rootScheme, `${source.distInfoDir}/${name}`, { kind: 'buffer', data }, false);

  // RECORD lists paths relative to the root scheme's directory, so other schemes get `../` prefixes.
  const rows: RecordRow[] = written.map(([scheme, row]) => scheme === rootScheme
    ? row
    : { ...row, path: `${posix.relative(schemes[rootScheme], schemes[scheme]) || '.'}/${row.path}` });
  rows.push({ path: recordPath });
  await destination.writeFile(posix.join(schemes[rootScheme], recordPath), { kind: 'buffer', data: Buffer.from(formatRecord(rows), 'utf8') }, false);
  return { distribution: source.distribution, version: source.version, distInfo: posix.join(schemes[rootScheme], source.distInfoDir), record: rows };
}

async function hasPythonShebang(member: WheelMember): Promise<boolean> {
  let head = Buffer.alloc(0);
  // Leaving the loop early destroys the stream, so only the first chunk is inflated.
  for await (const chunk of await member.open()) {
    head = Buffer.concat([head, chunk as Buffer]);
    if (head.length >= PYTHON_SHEBANG.length) break;
  }
  return head.subarray(0, PYTHON_SHEBANG.length).toString('latin1') === PYTHON_SHEBANG;
}

async function readRootScheme(source: WheelSource): Promise<Scheme> {
  const text = await source.readDistInfo('WHEEL');
  if (text === undefined) throw new InputError(`${source.name}: ${source.distInfoDir}/WHEEL is missing`);
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !fields.has(line.slice(0, colon).trim())) fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const version = fields.get('Wheel-Version') ?? '';
  if (!version.startsWith('1.')) throw new InputError(`${source.name}: Wheel-Version "${version}" is not supported (only 1.x)`);
  return fields.get('Root-Is-Purelib') === 'true' ? 'purelib' : 'platlib';
}

// A member under `{dist}-{version}.data/<scheme>/` goes to that scheme; everything else to the root scheme.
function placeMember(path: string, source: WheelSource, rootScheme: Scheme): [Scheme, string] {
  const prefix = `${source.dataDir}/`;
  if (!path.startsWith(prefix)) return [rootScheme, path];
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  const scheme = rest.slice(0, slash) as Scheme;
  if (slash < 0 || !SCHEMES.includes(scheme)) throw new InputError(`${source.name}: "${path}" is not inside a valid .data subdirectory`);
  return [scheme, rest.slice(slash + 1)];
}
