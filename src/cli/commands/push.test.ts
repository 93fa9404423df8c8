import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { BlobStore } from '../../cache/blob-store.js';
import { sha256 } from '../../oci/digest.js';
import { writeImage } from '../../places/index.js';
import { busyboxImage } from '../../testing/registry-images.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import type { CommandContext } from '../context.js';
import { main } from '../main.js';

const run = promisify(execFile);
let registry: TestRegistry;
let work: string;

before(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kiln-cli-push-'));
});
after(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

function capture(): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk, _e, cb) { text += String(chunk); cb(); } });
  return { stream, text: () => text };
}

function context(store: BlobStore): { ctx: CommandContext; out: () => string; err: () => string } {
  const out = capture();
  const err = capture();
  return {
    ctx: { stdout: out.stream, stderr: err.stream, env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') }, cwd: work, version: 'test', cache: () => store },
    out: out.text,
    err: err.text,
  };
}

test('kiln push copies an oci layout to two tags and prints JSON results; a copy to a sibling repository mounts every blob', async () => {
  const store = new BlobStore(join(work, 'cache'));
  const image = await busyboxImage(store, 'from the cli');
  await writeImage(`oci:${join(work, 'layout')}:v1`, image, { store });
  const dest = `${registry.host}/kiln/cli`;
  const first = context(store);
  const code = await main(['push', `oci:${join(work, 'layout')}:v1`, `docker://${dest}:1`, `docker://${dest}:2`, '--json'], first.ctx);
  assert.equal(code, 0, first.err());
  const digest = await image.digest();
  const results = JSON.parse(first.out()) as Array<{ references: string[]; uploaded: number; skipped: number }>;
  assert.deepEqual(results.map((r) => [r.references, r.uploaded, r.skipped]), [[[`${dest}:1@${digest}`, `${dest}:2@${digest}`], 2, 0]]);
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${dest}:2`]);
  assert.equal(sha256(Buffer.from(stdout)), digest);

  // From the registry to another repository: docker:// as a source, all blobs already known or mountable.
  const again = context(store);
  assert.equal(await main(['push', `docker://${dest}:1`, `docker://${dest}-copy:1`], again.ctx), 0, again.err());
  assert.equal(again.out().trim(), `${dest}-copy:1@${digest}`);
  assert.match(again.err(), /kiln\/cli-copy: 0 uploaded, 2 mounted, 0 already there, 0 B sent/);
});

test('kiln push: bad input gives one line on stderr and a non-zero exit', async () => {
  const store = new BlobStore(join(work, 'cache-bad'));
  const cases: Array<[string[], number, RegExp]> = [
    [['push', 'docker://UPPER/Case:1', `docker://${registry.host}/x:1`], 1, /^kiln: invalid image reference "UPPER\/Case:1": "UPPER" must be lower case\n$/],
    [['push', `docker://${registry.host}/kiln/none:nope`, `docker://${registry.host}/x:1`], 1, new RegExp(`^kiln: fetching manifest ${registry.host}/kiln/none:nope: HTTP 404 not found.*\\n$`)],
    [['push', `docker://${registry.host}/kiln/cli:1`, `oci:${work}/out`], 2, /^kiln: push destination ".*" must be docker:\/\/REF\n$/],
    [['push', `docker://${registry.host}/kiln/cli:1`], 2, /^kiln: push needs a source and at least one docker:\/\/REF destination\n$/],
  ];
  for (const [args, exit, message] of cases) {
    const c = context(store);
    assert.equal(await main(args, c.ctx), exit, args.join(' '));
    assert.match(c.err(), message);
  }
});

test('kiln push DIR publishes the image the last build recorded, never a rebuild; without a build it says so in one line', async () => {
  const store = new BlobStore(join(work, 'cache-dir'));
  const dir = join(work, 'project');
  await mkdir(join(dir, 'app'), { recursive: true });
  await writeFile(join(dir, 'app/hello.txt'), 'one\n');
  await writeFile(join(dir, 'kiln.yaml'), [
    'registries:',
    `  local: { repository: "${registry.host}/dirpush", insecure: true }`,
    'images:',
    '  hello:',
    '    base: scratch',
    '    app: { src: app }',
    '',
  ].join('\n'));
  const none = context(store);
  assert.equal(await main(['push', dir], none.ctx), 2);
  assert.equal(none.err(), 'kiln: push: no build recorded for hello: run kiln build\n');

  const built = context(store);
  assert.equal(await main(['build', dir, '-q', '--json', '-o', `oci:${join(dir, 'out')}`], built.ctx), 0, built.err());
  const digest = (JSON.parse(built.out()) as { images: Array<{ digest: string }> }).images[0]!.digest;
  // An edit after the build is not published by push: it sends what was built.
  await writeFile(join(dir, 'app/hello.txt'), 'two\n');
  const pushed = context(store);
  assert.equal(await main(['push', dir, '-q', '--json'], pushed.ctx), 0, pushed.err());
  const published = (JSON.parse(pushed.out()) as { published: Array<{ status: string; references: string[] }> }).published;
  assert.deepEqual(published.map((p) => [p.status, p.references]), [['pushed', [`${registry.host}/dirpush/hello:latest@${digest}`]]]);
  const { stdout } = await run('skopeo', ['inspect', '--tls-verify=false', '--raw', `docker://${registry.host}/dirpush/hello:latest`]);
  assert.equal(sha256(Buffer.from(stdout)), digest);
});
