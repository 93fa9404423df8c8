import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BlobStore } from '../../cache/blob-store.js';
import { Registries } from '../../registry/registries.js';
import { startRegistry, type TestRegistry } from '../../testing/registry.js';
import type { CommandContext } from '../context.js';
import { main } from '../main.js';

let registry: TestRegistry;
let work: string;

before(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'kiln-cli-tag-'));
});
after(async () => {
  await registry?.stop();
  await rm(work, { recursive: true, force: true });
});

function run(args: string[], store: BlobStore): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stream = (append: (text: string) => void) => new Writable({ write(chunk, _e, cb) { append(String(chunk)); cb(); } });
  const ctx: CommandContext = {
    stdout: stream((text) => (out += text)), stderr: stream((text) => (err += text)),
    env: { ...process.env, DOCKER_CONFIG: join(work, 'no-docker-config') }, cwd: work, version: 'test', cache: () => store,
  };
  return main(args, ctx).then((code) => ({ code, out, err }));
}

test('build --push-by-digest prints NAME@DIGEST per entry and tags nothing; kiln tag --built writes the tags of all, or of none', async () => {
  const store = new BlobStore(join(work, 'cache'));
  const dir = join(work, 'project');
  await mkdir(join(dir, 'app'), { recursive: true });
  await writeFile(join(dir, 'app/hello.txt'), 'hello\n');
  await writeFile(join(dir, 'kiln.yaml'), [
    'registries:',
    `  local: { repository: "${registry.host}/bydigest", insecure: true }`,
    'images:',
    '  hello:',
    '    base: scratch',
    '    app: { src: app }',
    '    matrix: { variant: [a, b] }',
    '    tags: ["{variant}"]',
    '    sbom: false',
    '',
  ].join('\n'));
  const client = new Registries({ insecure: [registry.host] }).client(registry.host);

  const a = await run(['build', dir, '-q', '--push-by-digest', '--only', 'hello/a'], store);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /^hello\/a@sha256:[0-9a-f]{64}\n$/);
  assert.match(a.err, /hello\/a\s+built/, 'the summary goes to stderr');
  assert.equal(await client.headManifest('bydigest/hello', 'a'), undefined);

  const early = await run(['tag', dir, '--built', a.out], store);
  assert.equal(early.code, 2);
  assert.equal(early.err, 'kiln: no digest for hello/b: every entry must be built and pushed by digest before any tag is written\n');
  assert.equal((await run(['tag', dir], store)).code, 2, 'no --built at all');

  const b = await run(['build', dir, '-q', '--push-by-digest', '--only', 'hello/b'], store);
  assert.equal(b.code, 0, b.err);
  const tagged = await run(['tag', dir, '--built', a.out, '--built', b.out], store);
  assert.equal(tagged.code, 0, tagged.err);
  assert.deepEqual(tagged.out.trim().split('\n'), [`${registry.host}/bydigest/hello:a`, `${registry.host}/bydigest/hello:b`]);
  assert.equal(await client.headManifest('bydigest/hello', 'a'), a.out.trim().split('@')[1]);
  assert.equal(await client.headManifest('bydigest/hello', 'b'), b.out.trim().split('@')[1]);
});
