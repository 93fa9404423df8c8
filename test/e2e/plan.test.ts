// Resolve, then apply: `kiln plan --json` for the example model servers pins every Debian and Python package,
// `kiln build --plan` of that file gives the digest `kiln build` gives, and a plan whose local input changed,
// a missing lock entry under --locked, or a registry base whose tag moved is refused in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { runKiln, type CliResult } from '../../src/testing/cli.js';
import { tempDir, tempStore } from '../../src/testing/images.js';
import { copyModelServers } from '../../src/testing/model-servers.js';
import { busyboxImage } from '../../src/testing/registry-images.js';
import { pushImage } from '../../src/registry/index.js';
import type { BuildPlan } from '../../src/plan/types.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

const ENTRY = 'numpy-server/cpu';

function refused(result: CliResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, result.stdout);
  const lines = result.stderr.trim().split('\n').filter((line) => line.startsWith('kiln: ') || (!line.startsWith('  ') && !/^\S+: (resolving|base|fetching|extracting|compressing|assembling|writing|installing|failed|Python|\d+ pinned)/.test(line)));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, pattern);
}

test('kiln plan --json pins the model server\'s packages; kiln build --plan builds exactly it and refuses changed inputs', { timeout: 1_200_000 }, async () => {
  const work = await tempDir('kiln-plan-e2e-');
  try {
    const dir = await copyModelServers(join(work, 'example'));
    await mkdir(join(dir, 'models/numpy'), { recursive: true });
    await writeFile(join(dir, 'models/numpy/weights.json'), '{"w": [1, 2, 3]}\n');
    // The shared cache: model-servers, cuda and inspect fetch the same bookworm .debs.
    const env = { KILN_CACHE_DIR: sharedCacheDir(), SOURCE_DATE_EPOCH: '1700000000' };

    // --locked: no kiln.lock entry, so no resolving.
    refused(await runKiln(['plan', dir, '--only', ENTRY, '--locked'], { env }), /^kiln: kiln\.lock has no entry for base "numpy-server\/cpu" \(debian bookworm\) and --locked forbids resolving it; run kiln lock$/);

    const planned = await runKiln(['plan', dir, '--only', ENTRY, '-o', `oci:${work}/from-plan`, '--json'], { env });
    assert.equal(planned.code, 0, planned.stderr);
    const plan = JSON.parse(planned.stdout) as BuildPlan;
    assert.equal(plan.format, 2);
    assert.deepEqual(plan.images.map((image) => image.name), [ENTRY]);
    const pins = plan.images[0]!.pinned!;
    assert.equal(pins.base.kind, 'distro');
    if (pins.base.kind !== 'distro') return;
    assert.ok(pins.base.packages.length > 20, `${pins.base.packages.length} Debian packages`);
    for (const pkg of pins.base.packages) {
      assert.match(pkg.version, /\d/, pkg.name);
      assert.match(pkg.sha256, /^[0-9a-f]{64}$/, pkg.name);
    }
    assert.ok(pins.base.packages.some((pkg) => pkg.name === 'python3-numpy'));
    assert.equal(pins.python!.target.from, 'packages', 'the Python target comes from the package list, no base layer');
    assert.deepEqual(pins.python!.packages.map((pkg) => [pkg.name, pkg.version, pkg.kind, pkg.layer]), [
      ['model-common', '0.1.0', 'path', 'python path dependencies'],
      ['numpy-server', '0.1.0', 'project', 'python project'],
    ]);
    for (const pkg of pins.python!.packages) {
      assert.match(pkg.sha256!, /^[0-9a-f]{64}$/, pkg.name);
      assert.match(pkg.source!.digest, /^sha256:[0-9a-f]{64}$/, pkg.name);
    }
    assert.match(pins.app!.digest, /^sha256:[0-9a-f]{64}$/);
    const planFile = join(work, 'plan.json');
    await writeFile(planFile, planned.stdout);

    // The human form lists packages like apt-get -s and poetry install --dry-run.
    const human = await runKiln(['plan', dir, '--only', ENTRY], { env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /\n {4}Inst python3-numpy \(\S+ amd64\) \[new\]\n/);
    assert.match(human.stdout, /\n {4}- Installing model-common \(0\.1\.0\) model_common-0\.1\.0-py3-none-any\.whl from \S+\/common {2}\[python path dependencies\]\n/);

    const fromPlan = await runKiln(['build', '--plan', planFile, '--json'], { env });
    assert.equal(fromPlan.code, 0, fromPlan.stderr);
    const direct = await runKiln(['build', dir, '--only', ENTRY, '-o', `oci:${work}/direct`, '--json'], { env });
    assert.equal(direct.code, 0, direct.stderr);
    const digest = (result: CliResult): string => (JSON.parse(result.stdout) as { images: Array<{ digest: string }> }).images[0]!.digest;
    assert.equal(digest(fromPlan), digest(direct), 'kiln build --plan builds what kiln build builds');
    // kiln build recorded the base in kiln.lock: --locked plans now.
    assert.equal((await runKiln(['plan', dir, '--only', ENTRY, '--locked'], { env })).code, 0);

    // An app file edited after planning.
    const weights = join(dir, 'models/numpy/weights.json');
    await writeFile(weights, '{"w": [1, 2, 4]}\n');
    refused(await runKiln(['build', '--plan', planFile], { env }), /^kiln: numpy-server\/cpu: app folder \S+\/models\/numpy changed since it was planned: sha256:[0-9a-f]{64}, the plan pins sha256:[0-9a-f]{64}$/);
    await writeFile(weights, '{"w": [1, 2, 3]}\n');
    // A path dependency edited after planning.
    const common = join(dir, 'common/model_common/__init__.py');
    await writeFile(common, `${await readFile(common, 'utf8')}\n# edited\n`);
    refused(await runKiln(['build', '--plan', planFile], { env }), /^kiln: numpy-server\/cpu: path dependency model-common \(\S+\/common\) changed since it was planned: /);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('a registry base is pinned in kiln.lock; a moved tag is refused until kiln lock --update', { timeout: 300_000 }, async () => {
  const work = await tempDir('kiln-plan-registry-');
  try {
    const store = await tempStore();
    const repository = `127.0.0.1:5000/kiln-plan-${randomBytes(4).toString('hex')}`;
    const first = await busyboxImage(store, 'one');
    const second = await busyboxImage(store, 'two');
    await pushImage(first, [`${repository}:1`], { store });
    await writeFile(join(work, 'kiln.yaml'), `images:\n  app:\n    base: docker://${repository}:1\n    cmd: [echo, hi]\n    outputs: ["oci:out"]\n`);
    const env = { KILN_CACHE_DIR: join(work, 'cache') };

    refused(await runKiln(['plan', work, '--locked'], { env }), new RegExp(`^kiln: kiln\\.lock has no digest for base ${repository}:1 and --locked forbids resolving it; run kiln lock$`));
    const locked = await runKiln(['lock', work], { env });
    assert.equal(locked.code, 0, locked.stderr);
    const digest1 = await first.digest();
    assert.match(await readFile(join(work, 'kiln.lock'), 'utf8'), new RegExp(`\\[registry\\."${repository.replace(/\./g, '\\.')}:1"\\]\\ndigest = "${digest1}"`));
    const planned = JSON.parse((await runKiln(['plan', work, '--locked', '--json'], { env })).stdout) as BuildPlan;
    assert.deepEqual(planned.images[0]!.pinned!.base, { kind: 'registry', reference: `docker://${repository}:1@${digest1}`, digest: digest1 });

    await pushImage(second, [`${repository}:1`], { store });
    const digest2 = await second.digest();
    refused(await runKiln(['plan', work], { env }), new RegExp(`^kiln: base ${repository}:1 moved: kiln\\.lock pins ${digest1}, the registry now has ${digest2}; run kiln lock --update to follow it$`));
    refused(await runKiln(['build', work], { env }), /moved: kiln\.lock pins/);
    assert.equal((await runKiln(['lock', work, '--update'], { env })).code, 0);
    const updated = JSON.parse((await runKiln(['plan', work, '--json'], { env })).stdout) as BuildPlan;
    assert.equal(updated.images[0]!.pinned!.base.kind === 'registry' && updated.images[0]!.pinned!.base.digest, digest2);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('a kiln.lock kiln cannot read makes kiln plan fail in one line naming it', async () => {
  const work = await tempDir('kiln-plan-lock-');
  try {
    await writeFile(join(work, 'kiln.yaml'), 'images:\n  app:\n    base: scratch\n    cmd: [hi]\n');
    await writeFile(join(work, 'kiln.lock'), 'version = 1\n[bases.app\n');
    refused(await runKiln(['plan', work], { env: { KILN_CACHE_DIR: join(work, 'cache') } }), /^kiln: \S+\/kiln\.lock:2(:\d+)?: not valid TOML/);
    await writeFile(join(work, 'kiln.lock'), 'version = 7\n');
    refused(await runKiln(['plan', work, '--json'], { env: { KILN_CACHE_DIR: join(work, 'cache') } }), /^kiln: \S+\/kiln\.lock: version: /);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
