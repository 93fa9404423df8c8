import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { main } from './main.js';
import { BlobStore } from '../cache/blob-store.js';

function capture() {
  let text = '';
  const stream = new Writable({ write(chunk, _encoding, callback) { text += chunk; callback(); } });
  return { stream, text: () => text };
}

async function kiln(args: string[]) {
  const stdout = capture();
  const stderr = capture();
  const code = await main(args, { stdout: stdout.stream, stderr: stderr.stream, env: {}, cwd: '/', version: '9.9.9', cache: () => new BlobStore('/nonexistent') });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

test('usage errors exit 2 with one line; --version and --help exit 0', async () => {
  const unknown = await kiln(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'kiln: unknown command "frobnicate" (try kiln --help)\n');
  const badFlag = await kiln(['build', '--bogus']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /^kiln: .*--bogus.*\n$/);
  assert.equal((await kiln(['--version'])).stdout, '9.9.9\n');
  const help = await kiln(['--help']);
  assert.equal(help.code, 0);
  for (const name of ['plan', 'build', 'push', 'tag', 'workflow', 'lock', 'validate', 'dockerfile']) assert.match(help.stdout, new RegExp(`^  ${name} `, 'm'));
});

test('every command module loads and has a usage line', async () => {
  for (const name of ['plan', 'build', 'push', 'tag', 'workflow', 'lock', 'validate', 'dockerfile', 'report']) {
    const result = await kiln([name, '--help']);
    assert.equal(result.code, 0, `${name}: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^usage: kiln ${name}`));
  }
});

test('a failing command prints one line without a stack unless --debug', async () => {
  const plain = await kiln(['validate', 'oci:/nonexistent/layout']);
  assert.equal(plain.code, 1);
  assert.equal(plain.stderr.trim().split('\n').length, 1);
  const debug = await kiln(['validate', 'oci:/nonexistent/layout', '--debug']);
  assert.match(debug.stderr, /\n\s+at /);
});

test('unknown options, missing values, extra arguments and bad choices read like other CLIs: one line, exit 2', async () => {
  const cases: Array<[string[], string]> = [
    [['plan', '--jsn'], "kiln: error: unknown option '--jsn' (did you mean --json?)\n"],
    [['plan', '--only'], "kiln: error: option '--only <NAME|GLOB>' argument missing\n"],
    [['plan', 'a', 'b'], "kiln: error: too many arguments for 'plan'. Expected 1 argument but got 2.\n"],
    [['why'], "kiln: error: missing required argument 'PACKAGE'\n"],
    [['build', '--backend', 'podman'], "kiln: error: option '--backend <VALUE>' argument 'podman' is invalid. expected one of native, docker, buildah, kaniko\n"],
    [['source', 'frob'], "kiln: error: command-argument value 'frob' is invalid for argument 'ACTION'. Allowed choices are sync, bump, checkout, refresh.\n"],
    [['buld'], 'kiln: unknown command "buld" (did you mean build? try kiln --help)\n'],
    [['--json'], "kiln: error: unknown option '--json' (options follow the command: kiln <command> --json; try kiln --help)\n"],
  ];
  for (const [args, stderr] of cases) {
    const result = await kiln(args);
    assert.deepEqual([result.code, result.stderr, result.stdout], [2, stderr, ''], args.join(' '));
  }
});

test('kiln CMD --help and kiln help CMD print the command\'s arguments and options; kiln --help lists every command', async () => {
  const help = await kiln(['plan', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: kiln plan \[DIR\|FILE\]/);
  assert.match(help.stdout, /^ {2}--set <PATH=VALUE> +override a kiln\.yaml value/m);
  assert.match(help.stdout, /^ {2}--no-resolve +print the expanded manifest only/m);
  assert.equal((await kiln(['help', 'plan'])).stdout, help.stdout);
  const { COMMANDS } = await import('./registry.js');
  const top = await kiln(['--help']);
  for (const name of [...Object.keys(COMMANDS), 'completion']) assert.match(top.stdout, new RegExp(`^  ${name} `, 'm'));
});

test('every registered command declares described options and arguments (the contract help and completion rely on)', async () => {
  const { COMMANDS } = await import('./registry.js');
  const loaders = [...Object.entries(COMMANDS).map(([name, entry]) => [name, entry.load] as const), ['completion', () => import('./commands/completion.js')] as const];
  for (const [name, load] of loaders) {
    const { command } = await load();
    assert.ok(command.summary.length > 20, name);
    for (const [key, spec] of Object.entries(command.options)) {
      assert.match(key, /^[a-z][a-z0-9-]*$/, `${name} --${key}`);
      assert.ok(spec.description.length > 0, `${name} --${key} has no description`);
      if (spec.default !== undefined && spec.type === 'boolean') assert.equal(spec.default, false, `${name} --${key}`);
    }
    const variadic = (command.arguments ?? []).findIndex((argument) => argument.variadic);
    assert.ok(variadic === -1 || variadic === command.arguments!.length - 1, `${name}: only the last argument may be variadic`);
    const result = await kiln([name, '--help']);
    assert.equal(result.code, 0, `${name}: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`^usage: kiln ${name}`));
  }
});

test('--set overrides kiln.yaml for a command that reads it; a bad one names the --set', async () => {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = await mkdtemp(join(tmpdir(), 'kiln-set-'));
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  hello:\n    base: oci:base\n    tags: [latest]\n');
  const stdout = capture();
  const stderr = capture();
  const run = (args: string[]) => main(args, { stdout: stdout.stream, stderr: stderr.stream, env: { KILN_CACHE_DIR: join(dir, 'cache') }, cwd: dir, version: '9.9.9', cache: () => new BlobStore(join(dir, 'cache')) });
  assert.equal(await run(['plan', '--no-resolve', '--json', '--set', 'images.hello.tags=[a, b]', '--set=images.hello.env.MODE=fast']), 0, stderr.text());
  const plan = JSON.parse(stdout.text()) as { images: Array<{ tags: string[]; runtime: { Env?: string[] } }> };
  assert.deepEqual(plan.images[0]!.tags, ['a', 'b']);
  assert.ok(plan.images[0]!.runtime.Env?.includes('MODE=fast'), JSON.stringify(plan.images[0]!.runtime));
  assert.equal(await run(['plan', '--no-resolve', '--set', 'images.helo.tags=[a]']), 1);
  assert.equal(stderr.text(), 'kiln: --set images.helo.tags: kiln.yaml has no image "helo" (did you mean "hello"?)\n');
});
