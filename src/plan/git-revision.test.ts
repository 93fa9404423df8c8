import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitRevision } from './git-revision.js';
import { tempDir } from '../testing/images.js';

const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, ...args], {
  encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'k', GIT_AUTHOR_EMAIL: 'k@example.com', GIT_COMMITTER_NAME: 'k', GIT_COMMITTER_EMAIL: 'k@example.com' },
}).trim();

test('gitRevision agrees with git rev-parse: branch, packed refs, detached HEAD, linked worktree, subfolder; none outside git', async () => {
  const dir = await tempDir();
  const repo = join(dir, 'repo');
  await mkdir(join(repo, 'sub'), { recursive: true });
  assert.equal(gitRevision(repo), undefined, 'not a repository');
  git(repo, 'init', '-q', '-b', 'main');
  assert.equal(gitRevision(repo), undefined, 'no commit yet');
  await writeFile(join(repo, 'sub', 'kiln.yaml'), 'images: {}\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'one');
  const first = git(repo, 'rev-parse', 'HEAD');
  assert.equal(gitRevision(join(repo, 'sub')), first);
  git(repo, 'pack-refs', '--all');
  assert.equal(gitRevision(repo), first, 'packed refs');
  git(repo, 'commit', '-q', '--allow-empty', '-m', 'two');
  const second = git(repo, 'rev-parse', 'HEAD');
  assert.equal(gitRevision(repo), second, 'a loose ref newer than packed-refs');
  git(repo, 'checkout', '-q', '--detach', first);
  assert.equal(gitRevision(repo), first, 'detached HEAD');
  git(repo, 'worktree', 'add', '-q', join(dir, 'linked'), 'main');
  assert.equal(gitRevision(join(dir, 'linked', 'sub')), second, 'linked worktree');
});
