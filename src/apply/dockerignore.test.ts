// kiln's app layer against docker build itself: for each .dockerignore, the files and folders `COPY . /ctx/` puts in
// an image (FROM scratch, listed with docker create + docker export) are exactly the ones kiln's app layer holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { extract } from 'tar-stream';
import { tempDir } from '../testing/images.js';
import { requireTool } from '../testing/docker.js';
import { appEntries } from './app-layer.js';
import { parseDockerignore } from './dockerignore.js';

const run = promisify(execFile);
const DOCKER = process.env.KILN_DOCKER || 'docker';

const FILES = [
  'a.txt', 'b.log', 'Foo.txt', 'foo.txt', 'trailing.txt', '.hidden', '#hash.txt', 'space name.txt',
  'sub/c.log', 'sub/keep.txt', 'sub/deep/keep.txt', 'sub/deep/d.txt',
  'docs/x.md', 'docs/y.md', 'docs/nested/z.md',
  'build/out.bin', 'build/keep/k.txt',
  'node_modules/pkg/index.js', 'node_modules/pkg/README.md',
];

const CASES: Array<[string, string]> = [
  ['comments, and an exception to *.log', '*.log\n!sub/c.log\n# a comment\n#hash.txt\n'],
  ['an exception inside an excluded folder', 'sub\n!sub/keep.txt\n'],
  ['an exception by ** does not reach into an excluded folder', 'sub\n!**/keep.txt\n'],
  ['** at the start, exceptions after', '**/keep.txt\n**/*.md\n!docs/nested/*.md\n'],
  ['leading /, a folder brought back', '/build\n!/build/keep\n'],
  ['trailing and leading spaces', '*.log   \n  ! sub/c.log  \ntrailing.txt   \n\n   \n'],
  ['everything but some files, the .dockerignore too', '*\n!sub/deep/*.txt\n!.dockerignore\n'],
  ['case-sensitive names, cleaned paths', 'node_modules\n!node_modules/pkg/index.js\nFoo.txt\n./docs/../a.txt\n'],
  ['** alone with a folder exception', '**\n!a.txt\n!sub/deep\n'],
  ['** in the middle, an escaped #', 'sub/**/keep.txt\n.hidden\n\\#hash.txt\nspace?name.txt\n'],
  ['a folder and its exception\'s exception', 'docs\n!docs/nested\ndocs/nested/z.md\n'],
];

// What docker build copied: the paths under /ctx of the image, listed from `docker export`.
async function dockerContext(context: string, dockerfile: string): Promise<string[]> {
  const { stdout: id } = await run(DOCKER, ['build', '-q', '-f', dockerfile, context], { env: { ...process.env, DOCKER_BUILDKIT: process.env.DOCKER_BUILDKIT ?? '0' } });
  const image = id.trim();
  const { stdout: container } = await run(DOCKER, ['create', image, 'none']);
  try {
    const child = spawn(DOCKER, ['export', container.trim()], { stdio: ['ignore', 'pipe', 'inherit'] });
    const reader = extract();
    child.stdout.pipe(reader);
    const paths: string[] = [];
    for await (const entry of reader) {
      const name = entry.header.name.replace(/\/$/, '');
      if (name.startsWith('ctx/')) paths.push(name.slice('ctx/'.length));
      entry.resume();
    }
    return paths.sort();
  } finally {
    await run(DOCKER, ['rm', container.trim()]);
    await run(DOCKER, ['rmi', image]).catch(() => undefined);
  }
}

test('the app layer holds what docker build copies, for every .dockerignore case', { timeout: 300_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  const work = await tempDir('kiln-dockerignore-');
  try {
    const context = join(work, 'ctx');
    for (const file of FILES) {
      await mkdir(dirname(join(context, file)), { recursive: true });
      await writeFile(join(context, file), `${file}\n`);
    }
    const dockerfile = join(work, 'Dockerfile');
    await writeFile(dockerfile, 'FROM scratch\nCOPY . /ctx/\n');
    for (const [what, text] of CASES) {
      await writeFile(join(context, '.dockerignore'), text);
      const docker = await dockerContext(context, dockerfile);
      const kiln = (await appEntries({ dir: context, dest: '/' })).map((entry) => entry.path).sort();
      assert.deepEqual(kiln, docker, `${what}: ${JSON.stringify(text)}`);
      t.diagnostic(`${what}: ${docker.length} paths agree`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('parseDockerignore: descends only for exceptions under the folder; a BOM is not part of the first pattern', () => {
  const ignore = parseDockerignore('\uFEFFsub\n!sub/deep/keep.txt\n!**/x\n# !docs/a\n');
  assert.equal(ignore.excludes('sub'), true);
  assert.equal(ignore.excludes('sub/deep/keep.txt'), false);
  assert.deepEqual(['sub', 'sub/deep', 'docs', 'su'].map((dir) => ignore.descends(dir)), [true, true, false, false]);
  assert.equal(parseDockerignore('a\n# !a/b\n').hasExceptions, false);
});
