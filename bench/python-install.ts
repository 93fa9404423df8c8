// Benchmark of issue 5's Python layers:
//  1. install time of >= 100 MB of wheels: kiln's pythonLayers (lock -> hash-checked fetch from a find-links
//     folder -> install -> gzip layer in the cache), cold and warm, against `pip install --no-deps` of the same
//     wheels into a venv (ratio);
//  2. `kiln build` of the fixture poetry project on a Debian bookworm base, then again after one app file
//     changed (needs a Debian mirror; KILN_BENCH_SKIP_BUILD=1 skips it).
// Run: node --import tsx bench/python-install.ts
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { BlobStore } from '../src/cache/blob-store.js';
import type { ImagePlan } from '../src/plan/index.js';
import { pythonLayers } from '../src/python/image-layers.js';
import { probeBasePython } from '../src/python/base-python.js';
import { pinPython } from '../src/python/pin.js';
import { testImagePlan } from '../src/testing/plans.js';
import { runKiln } from '../src/testing/cli.js';
import { imageWithLayers } from '../src/testing/images.js';
import { copyPythonProject } from '../src/testing/python-project.js';
import { makeBenchWheels } from './make-bench-wheels.js';

const work = process.env.KILN_BENCH_DIR ?? (await mkdtemp(join(tmpdir(), 'kiln-bench-python-')));
const { wheels, bytes } = await makeBenchWheels(join(work, 'wheels'));
console.log(`${wheels.length} wheels, ${(bytes / 1048576).toFixed(1)} MB of content`);

async function time(label: string, fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${label.padEnd(52)} ${seconds.toFixed(2)} s`);
  return seconds;
}

// A hash-pinned requirements.txt over the wheels, found through the find-links folder.
const project = join(work, 'project');
await mkdir(project, { recursive: true });
await writeFile(join(project, 'requirements.txt'), wheels.map((wheel) => {
  const [name, version] = basename(wheel).split('-');
  return `${name}==${version} --hash=sha256:${createHash('sha256').update(readFileSync(wheel)).digest('hex')}\n`;
}).join(''));

const store = new BlobStore(join(work, 'cache'));
const base = await imageWithLayers(store, {
  'usr/bin/python3.11': 'ELF',
  'usr/bin/python3': 'ELF',
  'var/lib/dpkg/status': 'Package: libc6\nVersion: 2.36-9\n\nPackage: libpython3.11-minimal\nVersion: 3.11.2-6\n',
});
const plan: ImagePlan = testImagePlan({
  name: 'bench',
  python: {
    project, groups: ['main'], extras: [], prefix: '/opt/venv', extraIndexUrls: [], findLinks: [join(work, 'wheels')],
    split: [], allowUnhashed: false, installProject: false,
  },
});
const context = { store, env: process.env, log: (line: string) => { if (process.env.KILN_BENCH_VERBOSE) console.log(line); } };
// Resolve (probe the base, pin the lock's wheels), then apply.
const probed = await probeBasePython(base, { store, what: plan.name });
const pinned: ImagePlan = { ...plan, pinned: { base: { kind: 'scratch' }, python: await pinPython(plan.python!, { ...probed, from: 'layers' }, plan.platform, { store, env: process.env, epoch: 0 }) } };
const kilnCold = await time('kiln pythonLayers, cold (fetch+install+gzip layer)', () => pythonLayers(pinned, context));
await time('kiln pythonLayers, warm (layer cache hit)', () => pythonLayers(pinned, context));

execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', join(work, 'venv')]);
const pip = join('/usr/share/python-wheels', execFileSync('ls', ['/usr/share/python-wheels'], { encoding: 'utf8' }).split('\n').find((f) => f.startsWith('pip-'))!, 'pip');
const pipArgs = ['install', '--quiet', '--no-deps', '--no-index', '--disable-pip-version-check', '--prefix', join(work, 'venv')];
const pipTime = await time('pip install --no-deps (compiles .pyc, as by default)', () => execFileSync(join(work, 'venv/bin/python'), [pip, ...pipArgs, ...wheels]));
await rm(join(work, 'venv'), { recursive: true });
execFileSync('/usr/bin/python3', ['-m', 'venv', '--without-pip', join(work, 'venv')]);
const pipNoCompile = await time('pip install --no-deps --no-compile', () => execFileSync(join(work, 'venv/bin/python'), [pip, ...pipArgs, '--no-compile', ...wheels]));
// A Dockerfile `RUN pip install` also pays for turning the venv into a gzip layer; kiln's figure includes that.
const layered = await time('  + tar | gzip -6 of that venv (a Docker layer)', () => execFileSync('sh', ['-c', `tar -C ${work} -cf - venv | gzip -6 > ${work}/venv.tar.gz`]));
console.log(`ratio kiln cold / pip install --no-deps:                ${(kilnCold / pipTime).toFixed(2)}`);
console.log(`ratio kiln cold / pip install --no-deps --no-compile:   ${(kilnCold / pipNoCompile).toFixed(2)}`);
console.log(`ratio kiln cold / (pip --no-compile + tar | gzip):      ${(kilnCold / (pipNoCompile + layered)).toFixed(2)}`);

if (process.env.KILN_BENCH_SKIP_BUILD !== '1') {
  const { dir } = await copyPythonProject(join(work, 'demo'));
  await writeFile(join(dir, 'kiln.yaml'), [
    'images:',
    '  demo:',
    '    base: {distro: debian, release: bookworm, packages: [python3], variant: slim}',
    '    app: {src: app, dest: /app}',
    '    entrypoint: [demo-server]',
    '    python: {project: demo-server, find_links: [wheels]}',
    '',
  ].join('\n'));
  const env = { KILN_CACHE_DIR: join(work, 'build-cache') };
  const build = async (): Promise<void> => {
    const result = await runKiln(['build', dir, '-o', `oci:${work}/layout:demo`, '--quiet'], { env });
    if (result.code !== 0) throw new Error(result.stderr);
  };
  await time('kiln build, cold cache (resolve, fetch .debs, layers)', build);
  await time('kiln build, no change', build);
  await writeFile(join(dir, 'app/message.txt'), 'changed\n');
  await time('kiln build after changing one app file', build);
}
if (!process.env.KILN_BENCH_DIR) await rm(work, { recursive: true, force: true });
