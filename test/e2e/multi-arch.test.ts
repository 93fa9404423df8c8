// Issue 16, multi-arch: `platform: [linux/amd64, linux/arm64]` on Debian packages builds one image per platform
// under an OCI image index. The index is pushed to a real registry (children by digest, then the index, then the
// tag), read back by skopeo and docker, pulled per platform, and the arm64 image answers under qemu emulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { runKiln, repoRoot } from '../../src/testing/cli.js';
import { freePort, httpGetWithRetry, requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { sharedCacheDir } from '../../src/testing/shared-cache.js';

interface ChildReport { platform: string; digest: string; layers: Array<{ digest: string; holds: string }> }
interface BuildJson {
  images: Array<{ digest: string; platforms?: ChildReport[]; outputs: string[] }>;
  entries: Array<{ digest: string; platforms?: Array<{ platform: string; digest: string }> }>;
}

const PLATFORMS = ['linux/amd64', 'linux/arm64'];

test('two platforms from Debian packages: one index, app layer shared, pushed and run per platform (arm64 under qemu)', { timeout: 900_000 }, async (t) => {
  const work = await tempDir();
  const registry = process.env.KILN_TEST_REGISTRY;
  const repository = registry ? `${registry}/kiln-e2e/multi-arch-${randomBytes(4).toString('hex')}` : undefined;
  try {
    const project = join(work, 'project');
    await mkdir(join(project, 'app'), { recursive: true });
    await copyFile(join(repoRoot, 'examples/hello-python/server.py'), join(project, 'app/server.py'));
    await writeFile(join(project, 'kiln.yaml'), [
      'images:',
      '  hello:',
      '    base: { distro: debian, release: bookworm, packages: [python3] }',
      `    platform: [${PLATFORMS.join(', ')}]`,
      '    app: { src: app, dest: /app }',
      '    entrypoint: [python3, /app/server.py]',
      '    env: { PORT: "8080" }',
      '    ports: [8080]',
      '',
    ].join('\n'));
    // The shared cache: bookworm's amd64 python3 .debs are other e2e files' too.
    const env = { KILN_CACHE_DIR: sharedCacheDir(), ...(registry ? { KILN_INSECURE_REGISTRIES: registry } : {}) };
    const outputs = [`oci:${work}/layout:hello`, `docker-archive:${work}/hello-arm64.tar:kiln-e2e/hello-arm64:latest`, ...(repository ? [`docker://${repository}:v1`] : [])];
    const built = await runKiln(['build', project, ...outputs.flatMap((o) => ['-o', o]), '--platform', 'linux/arm64', '--json'], { env });
    assert.equal(built.code, 0, built.stderr);
    const report = JSON.parse(built.stdout) as BuildJson;
    const image = report.images[0]!;
    const children = image.platforms!;
    assert.deepEqual(children.map((c) => c.platform), PLATFORMS);
    assert.deepEqual(report.entries[0]!.platforms!.map((c) => c.digest), children.map((c) => c.digest), '--json names each child');
    assert.notEqual(children[0]!.digest, children[1]!.digest);
    // The app layer (the last) is the same bytes on both platforms; the Debian layers are not.
    const app = children.map((c) => c.layers.at(-1)!);
    assert.equal(app[0]!.holds, 'app');
    assert.equal(app[0]!.digest, app[1]!.digest, 'the app layer is shared across platforms');
    assert.notEqual(children[0]!.layers[0]!.digest, children[1]!.layers[0]!.digest, 'the Debian layers are per architecture');
    assert.ok(image.outputs.some((o) => o.endsWith('(linux/arm64)')), `the docker-archive says which platform it holds: ${image.outputs.join(', ')}`);
    assert.match(built.stderr, /hello-arm64\.tar.* holds linux\/arm64 only/);

    // kiln.lock pins one Debian base per architecture; the plan pins each platform's packages.
    const lock = await readFile(join(project, 'kiln.lock'), 'utf8');
    assert.match(lock, /\[bases\."hello@amd64"\]/);
    assert.match(lock, /\[bases\."hello@arm64"\]/);
    const plan = await runKiln(['plan', project, '--json'], { env });
    assert.equal(plan.code, 0, plan.stderr);
    const planned = JSON.parse(plan.stdout) as { images: Array<{ pinned?: unknown; platforms: Array<{ platform: { architecture: string }; pinned: { base: { packages: Array<{ name: string; architecture: string }> } } }> }> };
    assert.equal(planned.images[0]!.pinned, undefined);
    for (const { platform, pinned } of planned.images[0]!.platforms) {
      const libc = pinned.base.packages.find((p) => p.name === 'libc6')!;
      assert.equal(libc.architecture, platform.architecture);
    }

    // The oci: layout's tag names the index; kiln validate and skopeo read each platform from it.
    const layoutIndex = JSON.parse(await readFile(join(work, 'layout/index.json'), 'utf8')) as { manifests: Array<{ mediaType: string; digest: string; annotations?: Record<string, string> }> };
    const tagged = layoutIndex.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'hello')!;
    assert.equal(tagged.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.equal(tagged.digest, image.digest);
    const validated = await runKiln(['validate', `oci:${work}/layout:hello`], { env });
    assert.equal(validated.code, 0, validated.stderr);
    assert.match(validated.stdout, new RegExp(`: ok ${image.digest} \\(index of 2 platforms, `), 'every platform is checked, not the host\'s alone');
    if (await requireTool(t, 'skopeo')) {
      const raw = JSON.parse(await sh('skopeo', ['inspect', '--raw', `oci:${work}/layout:hello`])) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
      assert.deepEqual(raw.manifests.map((m) => [m.platform.architecture, m.digest]), children.map((c) => [c.platform.split('/')[1], c.digest]));
      // skopeo's Digest is the index's here; the layers tell which child it chose.
      const arm = JSON.parse(await sh('skopeo', ['--override-arch', 'arm64', 'inspect', `oci:${work}/layout:hello`])) as { Layers: string[]; Architecture: string };
      assert.equal(arm.Architecture, 'arm64');
      assert.deepEqual(arm.Layers, children[1]!.layers.map((l) => l.digest));
    }

    if (!repository) {
      t.diagnostic('KILN_TEST_REGISTRY unset: the registry half is skipped');
      return;
    }
    // kiln push of the layout copies the whole index, as skopeo copy --all does: same index digest in the registry.
    const copied = await runKiln(['push', `oci:${work}/layout:hello`, `docker://${repository}:copied`, '--json', '-q'], { env });
    assert.equal(copied.code, 0, copied.stderr);
    const copiedIndex = await fetch(`http://${registry}/v2/${repository.slice(registry!.length + 1)}/manifests/copied`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(`sha256:${createHash('sha256').update(Buffer.from(await copiedIndex.arrayBuffer())).digest('hex')}`, image.digest);
    if (await requireTool(t, 'skopeo')) {
      const raw = JSON.parse(await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${repository}:v1`])) as { mediaType: string; manifests: Array<{ digest: string; platform: { os: string; architecture: string } }> };
      assert.equal(raw.mediaType, 'application/vnd.oci.image.index.v1+json');
      assert.deepEqual(raw.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`), PLATFORMS);
      // Each platform pulls back to the child kiln built.
      for (const [i, arch] of ['amd64', 'arm64'].entries()) {
        await sh('skopeo', ['--override-arch', arch, 'copy', '--src-tls-verify=false', `docker://${repository}:v1`, `oci:${work}/pulled-${arch}:x`]);
        const config = JSON.parse(await sh('skopeo', ['inspect', '--config', '--raw', `oci:${work}/pulled-${arch}:x`])) as { architecture: string };
        assert.equal(config.architecture, arch);
        const pulled = JSON.parse(await sh('skopeo', ['inspect', '--raw', `oci:${work}/pulled-${arch}:x`])) as { layers: Array<{ digest: string }> };
        assert.deepEqual(pulled.layers.map((l) => l.digest), children[i]!.layers.map((l) => l.digest));
      }
    }
    if (await requireTool(t, 'docker')) {
      const listed = JSON.parse(await sh('docker', ['manifest', 'inspect', '--insecure', `${repository}:v1`])) as { manifests: Array<{ digest: string; platform: { architecture: string } }> };
      assert.deepEqual(listed.manifests.map((m) => m.digest), children.map((c) => c.digest));
      if (!existsSync('/proc/sys/fs/binfmt_misc/qemu-aarch64')) {
        if (process.env.KILN_TEST_SERVICES === '1') throw new Error('qemu-aarch64 is not registered with binfmt_misc although the test services were started');
        t.diagnostic('no qemu-aarch64 binfmt handler: the arm64 run is skipped');
        return;
      }
      const ref = `${repository}:v1`;
      await sh('docker', ['pull', '-q', '--platform', 'linux/arm64', ref]);
      const port = await freePort();
      let id = '';
      try {
        // The distroless image has no uname binary: Python asks the same system call.
        const machine = (await sh('docker', ['run', '--rm', '--platform', 'linux/arm64', '--entrypoint', 'python3', ref, '-c', 'import os; print(os.uname().machine)'])).trim();
        assert.equal(machine, 'aarch64');
        id = (await sh('docker', ['run', '-d', '--rm', '--platform', 'linux/arm64', '-p', `127.0.0.1:${port}:8080`, ref])).trim();
        const response = await httpGetWithRetry(`http://127.0.0.1:${port}/`, 120);
        assert.equal(response.status, 200);
        assert.equal((JSON.parse(response.body) as { message: string }).message, 'hello from kiln');
      } finally {
        if (id) await sh('docker', ['rm', '-f', id]).catch(() => undefined);
        await sh('docker', ['rmi', ref]).catch(() => undefined);
      }
      // The docker-archive holds the arm64 child only, loadable as such.
      const loaded = await sh('docker', ['load', '-i', join(work, 'hello-arm64.tar')]);
      assert.match(loaded, /kiln-e2e\/hello-arm64:latest/);
      try {
        assert.equal((await sh('docker', ['image', 'inspect', '--format', '{{.Architecture}}', 'kiln-e2e/hello-arm64:latest'])).trim(), 'arm64');
      } finally {
        await sh('docker', ['rmi', 'kiln-e2e/hello-arm64:latest']).catch(() => undefined);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('--push of a multi-platform entry: children and index by digest, then the tag; each child gets its SBOM; kiln push republishes the index', { timeout: 300_000 }, async (t) => {
  const registry = process.env.KILN_TEST_REGISTRY;
  if (!registry) {
    t.skip('KILN_TEST_REGISTRY unset');
    return;
  }
  const work = await tempDir();
  const namespace = `kiln-e2e/push-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(join(work, 'site'), { recursive: true });
    await writeFile(join(work, 'site/index.txt'), 'served by kiln\n');
    await writeFile(join(work, 'kiln.yaml'), [
      'registries:',
      `  local: { repository: ${registry}/${namespace}, insecure: true }`,
      'images:',
      '  web:',
      '    base: scratch',
      '    platform: [linux/amd64, linux/arm64]',
      '    app: { src: site, dest: /srv }',
      '    tags: [v1]',
      '',
    ].join('\n'));
    const env = { KILN_CACHE_DIR: join(work, 'cache') };
    const built = await runKiln(['build', work, '--push', '--json', '-q'], { env });
    assert.equal(built.code, 0, built.stderr);
    const report = JSON.parse(built.stdout) as BuildJson & { published: Array<{ status: string; references: string[]; referrers: string[] }> };
    const entry = report.entries[0]!;
    assert.deepEqual(report.published.map((p) => [p.status, p.references]), [['pushed', [`${registry}/${namespace}/web:v1@${entry.digest}`]]]);
    assert.equal(report.published[0]!.referrers.length, 2, 'one SBOM per platform');
    if (await requireTool(t, 'skopeo')) {
      const tags = (JSON.parse(await sh('skopeo', ['list-tags', '--tls-verify=false', `docker://${registry}/${namespace}/web`])) as { Tags: string[] }).Tags;
      // The registry has no referrers API: each child's SBOM is listed under that child's referrers tag.
      assert.deepEqual(tags.sort(), ['v1', ...entry.platforms!.map((p) => p.digest.replace(':', '-'))].sort());
      for (const child of entry.platforms!) {
        const referrers = JSON.parse(await sh('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry}/${namespace}/web:${child.digest.replace(':', '-')}`])) as { manifests: Array<{ artifactType: string }> };
        assert.deepEqual(referrers.manifests.map((m) => m.artifactType), ['application/vnd.cyclonedx+json']);
      }
    }
    const pushed = await runKiln(['push', work, '--json', '-q'], { env });
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.equal((JSON.parse(pushed.stdout) as BuildJson).entries[0]!.digest, entry.digest, 'kiln push publishes the recorded index');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
