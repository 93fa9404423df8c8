import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import { detectLock, lockReaders, readLock } from './index.js';

const here = new URL('./', import.meta.url).pathname;
// One real fixture per format: every registry entry must read its own and report its own format.
const fixtureOf: Record<string, string> = {
  poetry: join(here, 'poetry/fixtures/server-v2.0/poetry.lock'),
  uv: join(here, 'uv/fixtures/server/uv.lock'),
  requirements: join(here, 'requirements/fixtures/app/requirements.txt'),
  pylock: join(here, 'pylock/fixtures/pylock.toml'),
};

test('every registered reader reads its fixture, matches its own file names, and detection finds it', async () => {
  assert.deepEqual(Object.keys(lockReaders).sort(), Object.keys(fixtureOf).sort());
  for (const [format, reader] of Object.entries(lockReaders)) {
    assert.equal(reader.format, format);
    const lock = await reader.read(fixtureOf[format]!);
    assert.equal(lock.format, format);
    assert.ok(lock.packages.length > 0, `${format} read no packages`);
    assert.ok(lock.groups.includes('main'));
    for (const name of reader.fileNames) assert.ok(reader.matches(name), `${format} matches ${name}`);
    const byName = await readLock(fixtureOf[format]!);
    assert.equal(byName.format, format);
    const detected = await detectLock(join(fixtureOf[format]!, '..'));
    assert.equal(detected.reader, reader);
  }
});

test('detectLock refuses an empty folder and an ambiguous one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-detect-'));
  await assert.rejects(detectLock(dir), (error: unknown) => error instanceof InputError && /no Python lock in/.test(error.message));
  copyFileSync(fixtureOf.uv!, join(dir, 'uv.lock'));
  writeFileSync(join(dir, 'requirements.txt'), 'idna==3.6\n');
  await assert.rejects(detectLock(dir), (error: unknown) => error instanceof UsageError && /several Python locks \(uv\.lock, requirements\.txt\)/.test(error.message));
  await assert.rejects(readLock(join(dir, 'Pipfile.lock')), UsageError);
});
