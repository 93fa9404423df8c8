// The Dockerfile `kiln dockerfile` writes for a stock distro base, built for real: Docker Engine's BuildKit runs its
// apt-get (kiln.lock's pinned versions, from bookworm, -updates and -security), its nonroot user and its app layer.
// debian:bookworm-slim is on Docker Hub, out of reach here, so its stand-in is debootstrap's bookworm with the same
// three suites in its apt sources, given with --base-image (still a stock base: apt-get installs the packages).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'smol-toml';
import { runKiln } from '../../src/testing/cli.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { debootstrapBase } from '../../src/testing/debootstrap-base.js';
import { tempDir } from '../../src/testing/images.js';
import { buildkitClient } from '../../src/testing/model-servers.js';

const exec = promisify(execFile);
const STOCK = 'kiln-test/stock-bookworm:e2e';
const BUILT = 'kiln-test/stock-dockerfile:e2e';

async function dockerBuild(client: string, args: string[]): Promise<void> {
  await exec(client, ['build', '-q', ...args], { env: { ...process.env, DOCKER_BUILDKIT: '1' }, timeout: 600_000, maxBuffer: 16 << 20 });
}

test('kiln dockerfile on a stock base: the image docker builds runs the app on kiln.lock\'s python3 as user 65532', { timeout: 1_200_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const client = await buildkitClient();
  const work = await tempDir();
  await sh('docker', ['load', '-i', await debootstrapBase()], { timeout: 300_000 });
  const stock = join(work, 'stock');
  await mkdir(stock, { recursive: true });
  await writeFile(join(stock, 'Dockerfile'), [
    'FROM kiln-test/debootstrap-bookworm:latest',
    // As debian:bookworm-slim lists them: the release, -updates and -security.
    "RUN printf '%s\\n' 'deb http://deb.debian.org/debian bookworm main' 'deb http://deb.debian.org/debian bookworm-updates main' 'deb http://security.debian.org/debian-security bookworm-security main' > /etc/apt/sources.list",
    '',
  ].join('\n'));
  await dockerBuild(client, ['-t', STOCK, stock]);

  const project = join(work, 'project');
  await mkdir(join(project, 'app'), { recursive: true });
  await writeFile(join(project, 'app/main.py'), 'import os, ssl, sys\nprint("stock", "%d.%d" % sys.version_info[:2], ssl.OPENSSL_VERSION.split()[1], os.getuid())\n');
  await writeFile(join(project, 'kiln.yaml'), [
    'images:',
    '  stock:',
    '    base: {distro: debian, release: bookworm, packages: [python3]}',
    '    app: {src: app, dest: /app}',
    '    entrypoint: [python3, /app/main.py]',
    '',
  ].join('\n'));
  const env = { KILN_CACHE_DIR: join(work, 'cache') };
  const locked = await runKiln(['lock', project], { env });
  assert.equal(locked.code, 0, locked.stderr);
  const generated = await runKiln(['dockerfile', project, '--base-image', STOCK, '--no-syntax'], { env });
  assert.equal(generated.code, 0, generated.stderr);
  assert.match(generated.stderr, new RegExp(`^kiln: warning: stock: FROM ${STOCK} with apt-get installs the \\d+ packages the runtime closure leaves out \\(python3 -> [^)]*\\) and the files the slim rules drop \\(docs, `, 'm'));
  const dockerfile = await readFile(join(project, 'generated/stock/Dockerfile'), 'utf8');
  const lock = parse(await readFile(join(project, 'kiln.lock'), 'utf8')) as { bases: Record<string, { packages: Array<{ name: string; version: string }> }> };
  const pinned = (name: string): string => lock.bases.stock!.packages.find((p) => p.name === name)!.version;
  assert.ok(dockerfile.includes(`python3=${pinned('python3')}`), dockerfile);

  await dockerBuild(client, ['-t', BUILT, join(project, 'generated/stock')]);
  const out = (await sh('docker', ['run', '--rm', BUILT])).trim();
  assert.match(out, /^stock 3\.11 3\.0\.\d+ 65532$/);
  // apt-get took kiln.lock's versions for the whole closure, not only python3: the stand-in's debootstrap python3.11 and
  // libssl3 predate bookworm-security's, and are upgraded to the locked ones (a stock image older than a fix gets it).
  const installed = (await sh('docker', ['run', '--rm', '--entrypoint', 'dpkg-query', BUILT, '-W', '-f', '${Package}=${Version}\\n', 'python3', 'python3.11', 'libssl3'])).trim().split('\n').sort();
  assert.deepEqual(installed, ['libssl3', 'python3', 'python3.11'].map((name) => `${name}=${pinned(name)}`).sort());
});
