// The fixture poetry project (test/fixtures/python-project): demo-server depends on colorlite from an index
// and on demo-common by path. Its third-party wheels are written from these specs; the zip writer is
// deterministic, so their hashes match the committed poetry.lock (regenerate-lock.ts there remakes it).
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from './cli.js';
import { writeWheel, type WheelSpec } from './wheels.js';

/** PYTHON_PROJECT is the fixture's folder in the checkout. */
export const PYTHON_PROJECT = join(repoRoot, 'test/fixtures/python-project');

/** thirdPartyWheels are the locked index packages of demo-server. */
export const thirdPartyWheels: WheelSpec[] = [
  {
    name: 'tinyformat',
    version: '1.2.0',
    files: { 'tinyformat/__init__.py': 'def shout(text):\n    return text.upper() + "!"\n' },
  },
  {
    name: 'colorlite',
    version: '2.1.0',
    requires: ['tinyformat>=1.0'],
    files: { 'colorlite/__init__.py': 'from tinyformat import shout\n\n\ndef paint(text):\n    return "[" + text + "]"\n' },
  },
];

/** copyPythonProject copies the fixture's projects (and app folder) to `dir` and writes the wheels to dir/wheels. */
export async function copyPythonProject(dir: string): Promise<{ dir: string; wheels: string }> {
  const wheels = join(dir, 'wheels');
  await mkdir(wheels, { recursive: true });
  for (const name of ['demo-server', 'demo-common', 'app']) await cp(join(PYTHON_PROJECT, name), join(dir, name), { recursive: true });
  for (const spec of thirdPartyWheels) await writeWheel(wheels, spec);
  return { dir, wheels };
}

/** SLIM_PIP_MANIFEST is a kiln.yaml for the copied fixture: the demo server on a slim bookworm base that has Debian's pip. */
export const SLIM_PIP_MANIFEST = [
  'images:',
  '  demo:',
  '    base: {distro: debian, release: bookworm, packages: [python3, python3-pip], variant: slim}',
  '    app: {src: app, dest: /app}',
  '    entrypoint: [demo-server]',
  '    python: {project: demo-server, find_links: [wheels]}',
  '',
].join('\n');
