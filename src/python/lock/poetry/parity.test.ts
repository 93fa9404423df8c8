// Parity with Poetry itself: Debian's poetry (1.3) runs `install --dry-run --no-root` offline from each
// fixture lock in a venv of the machine's Python, and kiln's selection for that Python must list the same
// packages and versions. Poetry 1.3 cannot read lock-version 2.1, so the 2.1 twin is held to 2.0's answer; the
// 1.0 twin (no lock-version) is read by both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { targetEnvironment } from '../../target.js';
import type { SelectOptions, TargetEnvironment } from '../../types.js';
import { selectPackages } from '../select.js';
import { poetry } from './index.js';

const fixtures = new URL('fixtures/', import.meta.url).pathname;
const hasPoetry = spawnSync('poetry', ['--version']).status === 0;

const scenarios: Array<{ name: string; args: string[]; options: SelectOptions }> = [
  { name: 'main group', args: ['--without', 'dev'], options: {} },
  { name: 'main and dev groups', args: ['--with', 'dev'], options: { groups: ['main', 'dev'] } },
  { name: 'extra gpu', args: ['--without', 'dev', '-E', 'gpu'], options: { extras: ['gpu'] } },
  { name: 'only dev', args: ['--only', 'dev'], options: { groups: ['dev'] } },
];

/** poetryDryRun copies a fixture (and its path dependency) away and lists what Poetry would install. */
function poetryDryRun(fixture: string, args: string[]): { installs: string[]; target: TargetEnvironment } {
  const work = mkdtempSync(join(tmpdir(), 'kiln-poetry-'));
  try {
    cpSync(join(fixtures, fixture), join(work, fixture), { recursive: true });
    cpSync(join(fixtures, 'shared'), join(work, 'shared'), { recursive: true });
    const env = {
      ...process.env,
      POETRY_CACHE_DIR: join(work, 'cache'),
      POETRY_VIRTUALENVS_PATH: join(work, 'venvs'),
      POETRY_VIRTUALENVS_IN_PROJECT: 'false',
      POETRY_NO_INTERACTION: '1',
    };
    const cwd = join(work, fixture);
    const output = execFileSync('poetry', ['install', '--dry-run', '--no-root', '--no-ansi', ...args], { cwd, env, encoding: 'utf8' });
    const installs = [...output.matchAll(/• Installing (\S+) \(([^\s)]+)[^)]*\)(: Skipped)?/g)]
      .filter((match) => !match[3])
      .map((match) => `${match[1]} ${match[2]}`)
      .sort();
    const venv = execFileSync('poetry', ['env', 'info', '--path'], { cwd, env, encoding: 'utf8' }).trim();
    const [version, machine] = execFileSync(join(venv, 'bin', 'python'), ['-c', 'import platform; print(platform.python_version()); print(platform.machine())'], { encoding: 'utf8' }).trim().split('\n');
    const architecture = machine === 'aarch64' ? 'arm64' : 'amd64';
    return { installs, target: targetEnvironment({ architecture, pythonFullVersion: version! }) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function kilnSelects(fixture: string, target: TargetEnvironment, options: SelectOptions): Promise<string[]> {
  const lock = await poetry.read(join(fixtures, fixture, 'poetry.lock'));
  return selectPackages(lock, target, options).map((pkg) => `${pkg.name} ${pkg.version}`).sort();
}

for (const scenario of scenarios) {
  test(`kiln selects what poetry installs: ${scenario.name}`, { skip: !hasPoetry && 'poetry is not installed' }, async () => {
    const { installs, target } = poetryDryRun('server-v2.0', scenario.args);
    assert.ok(installs.length > 0, 'poetry listed no installs');
    assert.deepEqual(await kilnSelects('server-v2.0', target, scenario.options), installs, 'lock-version 2.0');
    assert.deepEqual(await kilnSelects('server-v2.1', target, scenario.options), installs, 'lock-version 2.1 twin');
    assert.deepEqual(poetryDryRun('server-v1.1', scenario.args).installs, installs, 'poetry reads the 1.1 twin alike');
    assert.deepEqual(await kilnSelects('server-v1.1', target, scenario.options), installs, 'lock-version 1.1');
    // Poetry 1.0's shape: no lock-version, a dev-dependencies table, a package-level marker.
    assert.deepEqual(poetryDryRun('server-v1.0', scenario.args).installs, installs, 'poetry reads the 1.0 twin alike');
    assert.deepEqual(await kilnSelects('server-v1.0', target, scenario.options), installs, 'no lock-version (1.0)');
  });
}
