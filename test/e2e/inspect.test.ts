// Issue 17: `kiln inspect`, `kiln why` and `kiln diff` run as a user would, on two entries shaped like the example
// model servers' bases (distroless bookworm with python3-sklearn, and with python3-numpy), built by kiln first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot, runKiln } from '../../src/testing/cli.js';
import { tempDir } from '../../src/testing/images.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

const MANIFEST = `version: 1
defaults:
  platform: linux/amd64
  user: "65532"
presets:
  cpu-base:
    base: {distro: debian, release: bookworm, variant: distroless, packages: [python3]}
images:
  sklearn-server:
    extends: cpu-base
    base: {packages: [python3, python3-sklearn]}
    entrypoint: [python3]
  numpy-server:
    extends: cpu-base
    base: {packages: [python3, python3-numpy]}
    entrypoint: [python3]
    env: {PORT: "8080"}
`;

// `kiln ARGS | head -1` in a shell: what the reader got and how kiln exited.
function headOne(args: string[], env: NodeJS.ProcessEnv): { line: string; code: string; stderr: string } {
  const command = `node --import tsx src/cli/main.ts ${args.map((arg) => `'${arg}'`).join(' ')} | head -1; echo "exit=\${PIPESTATUS[0]}"`;
  const result = spawnSync('bash', ['-c', command], { cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8' });
  const [line, code] = result.stdout.trimEnd().split('\n');
  return { line: line!, code: code!, stderr: result.stderr };
}

test('kiln inspect, why and diff on kiln-built entries: why python3-numpy goes through python3-sklearn', { timeout: 1_200_000 }, async () => {
  const work = await tempDir('kiln-e2e-inspect-');
  const dir = join(work, 'servers');
  await mkdir(dir);
  await writeFile(join(dir, 'kiln.yaml'), MANIFEST);
  // The shared cache: the model servers' bases come from the same .debs, so only the first file to build them downloads them.
  const env = { KILN_CACHE_DIR: sharedCacheDir() };
  const built = await runKiln(['build', dir, '-q', '--jobs', '1', '-o', `oci:${work}/out`], { env });
  assert.equal(built.code, 0, built.stderr);

  const numpy = await runKiln(['why', 'python3-numpy', `${dir}/sklearn-server`], { env });
  assert.equal(numpy.code, 0, numpy.stderr);
  assert.match(numpy.stdout, /^python3-numpy 1:1\.24\.\S+ \(debian, [\d.]+ MB installed\)$/m);
  assert.match(numpy.stdout, /^ {2}python3-sklearn -> python3-numpy$/m);
  // The runtime closure leaves compilers out, so scipy is the big package sklearn brings in.
  const whyJson = JSON.parse((await runKiln(['why', 'python3-scipy', `${dir}/sklearn-server`, '--json'], { env })).stdout) as Array<{ chains: Array<Array<{ name: string }>>; saves: number; exclusive: unknown[] }>;
  assert.equal(whyJson[0]!.chains[0]![0]!.name, 'python3-sklearn', 'scipy comes in through the request');
  assert.ok(whyJson[0]!.saves > 10e6 && whyJson[0]!.exclusive.length >= 1, `removing python3-scipy saves ${whyJson[0]!.saves} bytes`);

  const inspected = await runKiln(['inspect', `${dir}/sklearn-server`, '--json'], { env });
  assert.equal(inspected.code, 0, inspected.stderr);
  const summary = JSON.parse(inspected.stdout) as { entry: { requested: { debian: string[] } }; config: { user: string; entrypoint: string[] }; layers: Array<{ debs: string[]; size: number; uncompressedSize: number }>; debs: Array<{ name: string; layer: number; installedSize: number }> };
  assert.deepEqual(summary.entry.requested.debian, ['python3', 'python3-sklearn']);
  assert.deepEqual([summary.config.user, summary.config.entrypoint], ['65532', ['python3']]);
  const sklearn = summary.debs.find((deb) => deb.name === 'python3-sklearn')!;
  assert.ok(summary.layers[sklearn.layer]!.debs.includes('python3-sklearn'));

  const diff = await runKiln(['diff', `${dir}/numpy-server`, `${dir}/sklearn-server`, '--json'], { env });
  assert.equal(diff.code, 0, diff.stderr);
  const changes = JSON.parse(diff.stdout) as { debs: { added: Array<{ name: string }>; removed: unknown[] }; config: Array<{ field: string }>; files: { added: { count: number; bytes: number } }; layers: { shared: unknown[] } };
  assert.ok(changes.debs.added.some((deb) => deb.name === 'python3-sklearn'));
  assert.ok(changes.debs.added.some((deb) => deb.name === 'python3-scipy'));
  assert.ok(!changes.debs.added.some((deb) => deb.name === 'gcc-12'), 'the runtime closure leaves the compiler out');
  assert.deepEqual(changes.debs.removed, []);
  assert.ok(changes.config.some((change) => change.field === 'env PORT'));
  assert.ok(changes.files.added.count > 1000 && changes.files.added.bytes > 40e6);

  const unknown = await runKiln(['why', 'numpi', `${dir}/sklearn-server`], { env });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^kiln: sklearn-server: no package "numpi" is installed \(did you mean [^)]*python3-numpy[^)]*\?\)\n$/);

  // A reader that stops early is no error: kiln ends quietly with 0.
  for (const args of [['inspect', `${dir}/sklearn-server`], ['plan', dir, '--no-resolve']]) {
    const head = headOne(args, env);
    assert.deepEqual([head.code, head.stderr], ['exit=0', ''], `kiln ${args[0]} | head -1`);
    assert.ok(head.line.length > 0);
  }
});
