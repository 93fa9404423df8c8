// End to end against Debian's docker-registry (no referrers API): kiln build --push attaches the SBOM through the
// referrers tag fallback and in the oci: output; kiln sbom --from-registry reads back the exact bytes kiln sbom writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { BlobStore } from '../../cache/blob-store.js';
import { sha256, type Digest } from '../../oci/digest.js';
import { MediaType } from '../../oci/media-types.js';
import type { Index, Manifest } from '../../oci/spec.js';
import { referrersTag } from '../../registry/referrers.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import type { CommandContext } from '../context.js';
import { main } from '../main.js';

const run = promisify(execFile);
const CYCLONEDX = 'application/vnd.cyclonedx+json';
let registry: TestRegistry;
let work: string;

before(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kiln-sbom-attach-'));
});
after(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Run { code: number; out: string; err: string }

async function kiln(args: string[], store: BlobStore): Promise<Run> {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void): Writable => new Writable({ write(chunk, _e, cb) { append(String(chunk)); cb(); } });
  const context: CommandContext = {
    stdout: sink((text) => { out += text; }),
    stderr: sink((text) => { err += text; }),
    env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config'), SOURCE_DATE_EPOCH: '1700000000' },
    cwd: work,
    version: 'test',
    cache: () => store,
  };
  const code = await main(args, context);
  return { code, out, err };
}

async function skopeoRaw(reference: string): Promise<Buffer> {
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', reference], { encoding: 'buffer' });
  return stdout;
}

async function project(name: string, extra: string[] = []): Promise<string> {
  const dir = join(work, name);
  await mkdir(join(dir, 'app'), { recursive: true });
  await writeFile(join(dir, 'app/hello.txt'), `${name}\n`);
  await writeFile(join(dir, 'kiln.yaml'), [
    'registries:',
    `  local: { repository: "${registry.host}/${name}", insecure: true }`,
    'images:',
    '  hello:',
    '    base: scratch',
    '    app: { src: app }',
    ...extra.map((line) => `    ${line}`),
    '',
  ].join('\n'));
  return dir;
}

test('build --push attaches the SBOM under sha256-<hex> and in the oci: layout; --from-registry returns kiln sbom\'s bytes; a second push adds nothing', async () => {
  const store = new BlobStore(join(work, 'cache'));
  const dir = await project('attached');
  const layout = join(work, 'attached-layout');
  const built = await kiln(['build', dir, '--push', '-q', '--json', '-o', `oci:${layout}:v1`], store);
  assert.equal(built.code, 0, built.err);
  const report = JSON.parse(built.out) as { images: Array<{ digest: Digest }>; published: Array<{ status: string; referrers: string[] }> };
  const digest = report.images[0]!.digest;
  const repository = `${registry.host}/attached/hello`;

  const fromPlan = await kiln(['sbom', dir], store);
  assert.equal(fromPlan.code, 0, fromPlan.err);
  assert.ok(fromPlan.out.includes('"bomFormat": "CycloneDX"'));

  // The registry: the fallback tag is an index naming the artifact, whose subject is the image.
  const index = JSON.parse((await skopeoRaw(`docker://${repository}:${referrersTag(digest)}`)).toString('utf8')) as Index;
  assert.equal(index.mediaType, MediaType.ociIndex);
  assert.equal(index.manifests.length, 1);
  const [descriptor] = index.manifests;
  assert.equal(descriptor!.artifactType, CYCLONEDX);
  assert.deepEqual(report.published.map((p) => [p.status, p.referrers]), [['pushed', [`${repository}@${descriptor!.digest}`]]]);
  const artifact = JSON.parse((await skopeoRaw(`docker://${repository}@${descriptor!.digest}`)).toString('utf8')) as Manifest;
  assert.equal(artifact.subject?.digest, digest);
  assert.equal(artifact.layers[0]!.digest, sha256(fromPlan.out), 'the attached blob is the SBOM kiln sbom writes');
  assert.equal(artifact.annotations?.['org.opencontainers.image.created'], '2023-11-14T22:13:20Z');

  const readBack = await kiln(['sbom', '--from-registry', `${repository}:latest`], store);
  assert.equal(readBack.code, 0, readBack.err);
  assert.equal(readBack.out, fromPlan.out, 'byte for byte');
  const byDigest = await kiln(['sbom', '--from-registry', `docker://${repository}@${digest}`, '--format', 'cyclonedx', '-o', join(work, 'sbom.json')], store);
  assert.equal(byDigest.code, 0, byDigest.err);
  assert.equal(await readFile(join(work, 'sbom.json'), 'utf8'), fromPlan.out);

  // The layout: the tag still names the image; the artifact sits untagged beside it; skopeo and umoci accept it.
  const layoutIndex = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as Index;
  assert.deepEqual(layoutIndex.manifests.map((m) => [m.digest, m.annotations?.['org.opencontainers.image.ref.name'], m.artifactType]), [
    [digest, 'v1', undefined],
    [descriptor!.digest, undefined, CYCLONEDX],
  ]);
  assert.equal(sha256(await skopeoRaw(`oci:${layout}:v1`)), digest);
  const { stdout: tags } = await run('umoci', ['ls', '--layout', layout]);
  assert.equal(tags.trim(), 'v1');
  const fromLayout = await kiln(['sbom', '--from-registry', `oci:${layout}:v1`], store);
  assert.equal(fromLayout.code, 0, fromLayout.err);
  assert.equal(fromLayout.out, fromPlan.out);

  // Publishing the same build again (kiln push DIR, from the build record) leaves one descriptor.
  const again = await kiln(['push', dir, '-q', '--json'], store);
  assert.equal(again.code, 0, again.err);
  const indexAgain = JSON.parse((await skopeoRaw(`docker://${repository}:${referrersTag(digest)}`)).toString('utf8')) as Index;
  assert.deepEqual(indexAgain, index);
  const rebuilt = await kiln(['build', dir, '--push', '-q', '-o', `oci:${layout}:v1`], store);
  assert.equal(rebuilt.code, 0, rebuilt.err);
  assert.deepEqual(JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')), layoutIndex, 'the layout too keeps one entry');

  // kiln push SRC DEST copies the image and, from a layout, the SBOM beside it: the same artifact, as a referrer.
  const copied = `${registry.host}/attached/pushed`;
  const pushedCopy = await kiln(['push', `oci:${layout}:v1`, `docker://${copied}:v1`, '-q', '--insecure', registry.host], store);
  assert.equal(pushedCopy.code, 0, pushedCopy.err);
  const copiedReferrers = JSON.parse((await skopeoRaw(`docker://${copied}:${referrersTag(digest)}`)).toString('utf8')) as Index;
  assert.deepEqual(copiedReferrers.manifests.map((m) => [m.digest, m.artifactType]), [[descriptor!.digest, CYCLONEDX]]);
  const copiedSbom = await kiln(['sbom', '--from-registry', `${copied}:v1`], store);
  assert.equal(copiedSbom.out, fromPlan.out, 'the copied SBOM reads back byte for byte');

  // A layout named without a tag gets the image alone, tagged latest: `skopeo copy oci:DIR` still finds exactly one
  // image in it, and tools that open a layout by tag only (umoci) find latest.
  const untagged = join(work, 'attached-untagged');
  const plain = await kiln(['build', dir, '-q', '-o', `oci:${untagged}`], store);
  assert.equal(plain.code, 0, plain.err);
  const untaggedIndex = JSON.parse(await readFile(join(untagged, 'index.json'), 'utf8')) as Index;
  assert.deepEqual(untaggedIndex.manifests.map((m) => [m.digest, m.annotations?.['org.opencontainers.image.ref.name']]), [[digest, 'latest']]);
  assert.equal(sha256(await skopeoRaw(`oci:${untagged}`)), digest);
  assert.equal(sha256(await skopeoRaw(`oci:${untagged}:latest`)), digest);

  // Copying the image elsewhere does not change it.
  await run('skopeo', ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${repository}:latest`, `docker://${registry.host}/attached/copy:latest`]);
  assert.equal(sha256(await skopeoRaw(`docker://${registry.host}/attached/copy:latest`)), digest);
});

test('sbom: false attaches nothing; --from-registry on an image without an SBOM is one line, exit 1', async () => {
  const store = new BlobStore(join(work, 'cache-off'));
  const dir = await project('plain', ['sbom: false']);
  const layout = join(work, 'plain-layout');
  const built = await kiln(['build', dir, '--push', '-q', '--json', '-o', `oci:${layout}:v1`], store);
  assert.equal(built.code, 0, built.err);
  const digest = (JSON.parse(built.out) as { images: Array<{ digest: Digest }> }).images[0]!.digest;
  const layoutIndex = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as Index;
  assert.deepEqual(layoutIndex.manifests.map((m) => m.digest), [digest]);
  await assert.rejects(skopeoRaw(`docker://${registry.host}/plain/hello:${referrersTag(digest)}`), /manifest unknown/i);

  const none = await kiln(['sbom', '--from-registry', `${registry.host}/plain/hello:latest`], store);
  assert.deepEqual([none.code, none.err], [1, `kiln: ${registry.host}/plain/hello:latest has no SBOM attached\n`]);
  const noneInLayout = await kiln(['sbom', '--from-registry', `oci:${layout}:v1`], store);
  assert.deepEqual([noneInLayout.code, noneInLayout.err], [1, `kiln: oci:${layout}:v1 has no SBOM attached\n`]);
  const spdx = await kiln(['sbom', '--from-registry', `oci:${layout}:v1`, '--format', 'yaml'], store);
  assert.deepEqual([spdx.code, spdx.err], [2, "kiln: error: option '--format <FORMAT>' argument 'yaml' is invalid. expected one of cyclonedx, spdx\n"]);
  const mixed = await kiln(['sbom', dir, '--from-registry', `oci:${layout}:v1`], store);
  assert.equal(mixed.code, 2);
  assert.match(mixed.err, /^kiln: --from-registry reads the SBOM attached to an image: give no directory/);
});
