import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { IntegrityError, InputError, UnsafePathError } from '../../errors.js';
import { writeWheel, type WheelSpec } from '../../testing/wheels.js';
import { DirectoryDestination } from './directory-destination.js';
import { installWheel, type InstallOptions } from './install.js';
import { WheelSource } from './source.js';
import { TarDestination } from './tar-destination.js';
import { venvEntries } from './venv.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'kiln-install-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

let counter = 0;
async function installInto(spec: WheelSpec, options: Partial<InstallOptions> = {}): Promise<string> {
  const dir = join(work, `case-${counter++}`);
  const source = await WheelSource.open(await writeWheel(work, spec));
  try {
    await installWheel(source, new DirectoryDestination(dir), { pythonVersion: '3.11', ...options });
  } finally {
    await source.close();
  }
  return dir;
}

const site = 'opt/venv/lib/python3.11/site-packages';

test('console scripts get a #!/opt/venv/bin/python shebang by default and #!python scripts are rewritten', async () => {
  const dir = await installInto({
    name: 'shebang', version: '1.0',
    files: { 'shebang.py': 'def main(): pass\n' },
    consoleScripts: { 'shebang-cli': 'shebang:main' },
    data: { scripts: { raw: { data: '#!python\nprint(1)\n', mode: 0o755 } } },
  });
  const cli = await readFile(join(dir, 'opt/venv/bin/shebang-cli'), 'utf8');
  assert.equal(cli.split('\n')[0], '#!/opt/venv/bin/python');
  assert.match(cli, /from shebang import main\n/);
  assert.equal((await stat(join(dir, 'opt/venv/bin/shebang-cli'))).mode & 0o777, 0o755);
  assert.equal(await readFile(join(dir, 'opt/venv/bin/raw'), 'utf8'), '#!/opt/venv/bin/python\nprint(1)\n');
});

test('INSTALLER, REQUESTED and direct_url.json are written and recorded like pip writes them', async () => {
  const dir = await installInto({ name: 'local-app', version: '0.3', files: { 'local_app.py': '' } }, {
    requested: true,
    directUrl: { url: 'file:///src/app', dir_info: {} },
  });
  const distInfo = join(dir, site, 'local_app-0.3.dist-info');
  assert.equal(await readFile(join(distInfo, 'INSTALLER'), 'utf8'), 'kiln\n');
  assert.equal(await readFile(join(distInfo, 'REQUESTED'), 'utf8'), '');
  assert.equal(await readFile(join(distInfo, 'direct_url.json'), 'utf8'), '{"dir_info": {}, "url": "file:///src/app"}');
  const record = await readFile(join(distInfo, 'RECORD'), 'utf8');
  assert.match(record, /^local_app-0\.3\.dist-info\/INSTALLER,sha256=[\w-]+,5$/m);
  assert.match(record, /^local_app-0\.3\.dist-info\/direct_url\.json,sha256=/m);
  assert.match(record, /^local_app-0\.3\.dist-info\/RECORD,,$/m);
});

test('a RECORD that lies about a file is refused, naming the wheel, and nothing stays installed', async () => {
  const spec: WheelSpec = { name: 'liar', version: '1.0', files: { 'a.py': 'a = 1\n', 'liar/b.py': 'b = 2\n' }, tamper: ['liar/b.py'] };
  const dir = join(work, 'liar');
  const source = await WheelSource.open(await writeWheel(work, spec));
  await assert.rejects(
    installWheel(source, new DirectoryDestination(dir), { pythonVersion: '3.11' }),
    (error: Error) => error instanceof IntegrityError && /^liar-1\.0-py3-none-any\.whl: "liar\/b\.py" does not match its RECORD hash$/.test(error.message),
  );
  await source.close();
  const left = existsSync(dir) ? await readdir(join(dir, site), { recursive: true }) : [];
  assert.deepEqual(left.filter((p) => !p.endsWith('liar') && p !== 'liar-1.0.dist-info'), []);
});

test('a lying RECORD fails the layer stream when installing into a TarDestination', async () => {
  const source = await WheelSource.open(await writeWheel(work, { name: 'tarliar', version: '1.0', files: { 'big.py': 'x' }, tamper: ['big.py'] }));
  const tar = new TarDestination();
  await installWheel(source, tar, { pythonVersion: '3.11' });
  const entry = tar.entries.find((e) => e.path.endsWith('/big.py'))!;
  assert.equal(entry.content?.kind, 'stream');
  const stream = await (entry.content as { open: () => Promise<NodeJS.ReadableStream> }).open();
  await assert.rejects(async () => {
    for await (const _ of stream) void _;
  }, IntegrityError);
  await source.close();
});

test('members escaping the prefix are refused naming the wheel', async () => {
  for (const path of ['../evil.py', '/etc/passwd', 'pkg/../../x']) {
    await assert.rejects(
      WheelSource.open(await writeWheel(work, { name: 'escape', version: '1.0', listed: { [path]: 'x' } })),
      (error: Error) => error instanceof UnsafePathError && error.message.startsWith('escape-1.0-py3-none-any.whl: '),
      path,
    );
  }
});

test('a member missing from RECORD and an unknown .data scheme are refused', async () => {
  await assert.rejects(
    WheelSource.open(await writeWheel(work, { name: 'unlisted', version: '1.0', unlisted: { 'sneaky.py': 'x' } })),
    /unlisted-1\.0-py3-none-any\.whl: "sneaky\.py" is not listed in RECORD/,
  );
  await assert.rejects(
    installInto({ name: 'baddata', version: '1.0', listed: { 'baddata-1.0.data/lib/x.py': 'x' } }),
    (error: Error) => error instanceof InputError && /not inside a valid \.data subdirectory/.test(error.message),
  );
});

test('installer name can be left out, and headers can follow pip\'s venv layout', async () => {
  const dir = await installInto({ name: 'hdr', version: '1.0', data: { headers: { 'hdr.h': '' } } }, { installer: null, headers: 'pip' });
  assert.ok(!existsSync(join(dir, site, 'hdr-1.0.dist-info/INSTALLER')));
  assert.ok(existsSync(join(dir, 'opt/venv/include/site/python3.11/hdr/hdr.h')));
});

test('venvEntries lays out a venv like python -m venv --without-pip', () => {
  const entries = venvEntries({ pythonFullVersion: '3.11.2', baseInterpreter: '/usr/bin/python3', includeSystemSitePackages: true });
  const byPath = new Map(entries.map((e) => [e.path, e]));
  assert.equal(byPath.get('opt/venv/bin/python3')?.linkTarget, '/usr/bin/python3');
  assert.equal(byPath.get('opt/venv/bin/python')?.linkTarget, 'python3');
  assert.equal(byPath.get('opt/venv/bin/python3.11')?.linkTarget, 'python3');
  assert.equal(byPath.get('opt/venv/lib64')?.linkTarget, 'lib');
  assert.equal(byPath.get('opt/venv/lib/python3.11/site-packages')?.type, 'directory');
  const cfg = byPath.get('opt/venv/pyvenv.cfg')!.content;
  assert.equal(cfg?.kind === 'buffer' && cfg.data.toString(), [
    'home = /usr/bin',
    'include-system-site-packages = true',
    'version = 3.11.2',
    'executable = /usr/bin/python3.11',
    'command = /usr/bin/python3 -m venv --without-pip /opt/venv',
    '',
  ].join('\n'));
});
