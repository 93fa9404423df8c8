// Parity: the tree kiln installs equals the tree `python -m installer` (Debian's python3-installer)
// installs into the same venv prefix: same paths, bytes and modes, byte-identical RECORD.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeWheel } from '../../testing/wheels.js';
import { DirectoryDestination } from './directory-destination.js';
import { installWheel } from './install.js';
import { WheelSource } from './source.js';
import { TarDestination } from './tar-destination.js';

const SYSTEM_PYTHON = '/usr/bin/python3';
const DEBIAN_WHEELS = '/usr/share/python-wheels';
const PREFIX = '/opt/venv';
const haveInstaller = existsSync('/usr/lib/python3/dist-packages/installer/__main__.py');
const skip = haveInstaller ? false : 'python3-installer is not installed (scripts/test-services.sh install)';

let work: string;
let driver: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-parity-'));
  // Debian's sysconfig puts a bare interpreter's installs under prefix/local; inside a venv it uses the
  // `venv` scheme, the layout kiln targets, so installer runs from a throwaway venv that sees the system's
  // installer module.
  if (haveInstaller) execFileSync(SYSTEM_PYTHON, ['-m', 'venv', '--without-pip', '--system-site-packages', join(work, 'driver')]);
  driver = join(work, 'driver', 'bin', 'python');
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Node {
  type: string;
  mode: number;
  content?: string;
}

async function snapshot(root: string): Promise<Map<string, Node>> {
  const out = new Map<string, Node>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const key = rel ? `${rel}/${name}` : name;
      const info = await lstat(path);
      if (info.isDirectory()) {
        out.set(key, { type: 'dir', mode: info.mode & 0o7777 });
        await walk(path, key);
      } else if (info.isSymbolicLink()) out.set(key, { type: 'link', mode: 0, content: await readlink(path) });
      else out.set(key, { type: 'file', mode: info.mode & 0o7777, content: (await readFile(path)).toString('base64') });
    }
  };
  await walk(root, '');
  return out;
}

async function compare(wheel: string, label: string): Promise<void> {
  const theirs = join(work, `${label}-installer`);
  const ours = join(work, `${label}-kiln`);
  execFileSync('/bin/sh', ['-c', 'umask 022 && exec "$@"', 'sh', driver, '-m', 'installer', '--destdir', theirs, '--prefix', PREFIX, '--no-compile-bytecode', wheel]);
  const source = await WheelSource.open(wheel);
  try {
    await installWheel(source, new DirectoryDestination(ours), { pythonVersion: '3.11', prefix: PREFIX, interpreter: driver, installer: null });
  } finally {
    await source.close();
  }
  const expected = await snapshot(theirs);
  const actual = await snapshot(ours);
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${label}: same paths`);
  for (const [path, node] of expected) {
    const mine = actual.get(path)!;
    // Directory modes depend on the process umask and kiln leaves directories to the layer writer.
    if (node.type === 'dir') continue;
    assert.deepEqual(mine, node, `${label}: ${path}`);
  }
}

for (const name of existsSync(DEBIAN_WHEELS) ? readdirSync(DEBIAN_WHEELS).filter((f) => /^(pip|setuptools|wheel)-.*\.whl$/.test(f)) : []) {
  test(`parity with python -m installer: ${name}`, { skip }, async () => {
    await compare(join(DEBIAN_WHEELS, name), name.split('-')[0]!);
  });
}

test('parity with python -m installer: a wheel with .data scripts, headers, data and entry points', { skip }, async () => {
  const wheel = await writeWheel(work, {
    name: 'demo-pkg',
    version: '1.2.0',
    files: { 'demo_pkg/__init__.py': 'def main():\n    return 0\n', 'demo_pkg/tool.sh': { data: '#!/bin/sh\necho hi\n', mode: 0o755 } },
    data: {
      scripts: {
        'demo-script': { data: '#!python\nimport demo_pkg\n', mode: 0o755 },
        'demo-python-w': { data: '#!pythonw -u\r\nprint(1)\n', mode: 0o755 },
        'plain-sh': { data: '#!/bin/sh\necho plain\n', mode: 0o644 },
      },
      headers: { 'demo.h': '#define DEMO 1\n' },
      data: { 'share/demo/model.json': '{"a": 1}\n', 'etc/demo.conf': 'x=1\n' },
      platlib: { 'demo_pkg/_native.py': 'NATIVE = True\n' },
    },
    consoleScripts: { 'demo-cli': 'demo_pkg:main', 'Demo-Upper': 'demo_pkg.sub:obj.method [extra]' },
    guiScripts: { 'demo-gui': 'demo_pkg:main' },
  });
  await compare(wheel, 'demo');
});

test('parity with python -m installer: a platlib-rooted wheel', { skip }, async () => {
  const wheel = await writeWheel(work, {
    name: 'native_thing',
    version: '0.1',
    tag: 'cp311-cp311-manylinux_2_17_x86_64',
    rootIsPurelib: false,
    files: { 'native_thing/__init__.py': '', 'native_thing/lib.so': { data: Buffer.from([0x7f, 0x45, 0x4c, 0x46]), mode: 0o755 } },
    data: { purelib: { 'native_thing_pure.py': 'x = 1\n' }, scripts: { run: { data: '#!python\n', mode: 0o755 } } },
  });
  await compare(wheel, 'native');
});

test('TarDestination yields the same files, bytes and modes as DirectoryDestination', async () => {
  const wheel = join(DEBIAN_WHEELS, readdirSync(DEBIAN_WHEELS).find((f) => f.startsWith('wheel-'))!);
  const dir = join(work, 'tar-vs-dir');
  const tar = new TarDestination();
  for (const destination of [new DirectoryDestination(dir), tar]) {
    const source = await WheelSource.open(wheel);
    await installWheel(source, destination, { pythonVersion: '3.11' });
    await source.close();
  }
  const onDisk = await snapshot(dir);
  const files = [...onDisk].filter(([, node]) => node.type === 'file');
  assert.equal(tar.entries.length, files.length);
  for (const entry of tar.entries) {
    const node = onDisk.get(entry.path)!;
    assert.equal(entry.mode, node.mode, entry.path);
    const content = entry.content!;
    let data: Buffer;
    if (content.kind === 'buffer') data = content.data;
    else if (content.kind === 'stream') {
      const chunks: Buffer[] = [];
      for await (const chunk of await content.open()) chunks.push(chunk as Buffer);
      data = Buffer.concat(chunks);
    } else throw new Error('unexpected host-file content');
    assert.equal(data.toString('base64'), node.content, entry.path);
  }
});
