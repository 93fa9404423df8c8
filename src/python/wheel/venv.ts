// The skeleton of a virtual environment as `python -m venv --without-pip` lays it out on POSIX:
// pyvenv.cfg, interpreter links into the base image, an empty site-packages.
import { posix } from 'node:path';
import type { TarEntry } from '../../tar/entry.js';
import { DEFAULT_PREFIX } from './install.js';

/** VenvOptions describe the base image's interpreter the venv points at. */
export interface VenvOptions {
  prefix?: string;
  /** pythonFullVersion of the base interpreter, e.g. '3.11.2' (pyvenv.cfg `version`). */
  pythonFullVersion: string;
  /** baseInterpreter is the command venv was run with, e.g. /usr/bin/python3 (bin/python3 links to it). */
  baseInterpreter: string;
  /** baseExecutable is its resolved path, e.g. /usr/bin/python3.11; default `<dir of base>/pythonX.Y`. */
  baseExecutable?: string;
  includeSystemSitePackages?: boolean;
}

/** venvEntries lists the directories, links and pyvenv.cfg of a venv, as layer entries (no activate scripts). */
export function venvEntries(options: VenvOptions): TarEntry[] {
  const prefix = (options.prefix ?? DEFAULT_PREFIX).replace(/^\/+/, '');
  const [major, minor] = options.pythonFullVersion.split('.');
  const short = `${major}.${minor}`;
  const home = posix.dirname(options.baseInterpreter);
  const executable = options.baseExecutable ?? posix.join(home, `python${short}`);
  const cfg = [
    `home = ${home}`,
    `include-system-site-packages = ${options.includeSystemSitePackages ? 'true' : 'false'}`,
    `version = ${options.pythonFullVersion}`,
    `executable = ${executable}`,
    `command = ${options.baseInterpreter} -m venv --without-pip /${prefix}`,
    '',
  ].join('\n');
  const dir = (path: string): TarEntry => ({ path: posix.join(prefix, path), type: 'directory', mode: 0o755 });
  const link = (path: string, target: string): TarEntry => ({ path: posix.join(prefix, path), type: 'symlink', mode: 0o777, linkTarget: target });
  return [
    { path: prefix, type: 'directory', mode: 0o755 },
    { path: posix.join(prefix, 'pyvenv.cfg'), type: 'file', mode: 0o644, content: { kind: 'buffer', data: Buffer.from(cfg) } },
    dir('bin'),
    link('bin/python3', options.baseInterpreter),
    link('bin/python', 'python3'),
    link(`bin/python${short}`, 'python3'),
    dir('include'),
    dir(`include/python${short}`),
    dir('lib'),
    dir(`lib/python${short}`),
    dir(`lib/python${short}/site-packages`),
    // venv adds lib64 -> lib on 64-bit POSIX so either libdir finds site-packages.
    link('lib64', 'lib'),
  ];
}
