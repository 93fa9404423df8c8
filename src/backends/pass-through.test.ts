import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { planBuild } from '../plan/index.js';
import { generateDockerfile } from '../dockerfile/generate.js';
import { runKiln } from '../testing/cli.js';
import { tempDir } from '../testing/images.js';
import { testImagePlan } from '../testing/plans.js';
import { buildahBudArgs, checkBuildahNetwork } from './buildah.js';
import { dockerBuildArgs } from './docker.js';
import { checkSecrets, mergePassThrough, parseBuildArg, parseSecret } from './pass-through.js';

test('flags read as docker build reads them; a bad one is a usage error naming it', () => {
  assert.deepEqual(parseBuildArg('HTTP_PROXY=http://proxy:3128'), ['HTTP_PROXY', 'http://proxy:3128']);
  assert.deepEqual(parseBuildArg('EMPTY='), ['EMPTY', '']);
  assert.deepEqual(parseSecret('id=netrc,src=conf/netrc,target=/root/.netrc', '/work'), { id: 'netrc', src: '/work/conf/netrc', target: '/root/.netrc' });
  assert.deepEqual(parseSecret('id=token,env=INDEX_TOKEN', '/work'), { id: 'token', env: 'INDEX_TOKEN' });
  assert.throws(() => parseBuildArg('NOVALUE'), (e) => e instanceof UsageError && e.message === '--build-arg "NOVALUE" is not NAME=VALUE');
  assert.throws(() => parseSecret('id=x', '/'), (e) => e instanceof UsageError && e.message === '--secret "id=x": give one of src=FILE or env=VARIABLE');
  assert.throws(() => parseSecret('id=x,src=a,env=B', '/'), /give one of src=FILE or env=VARIABLE/);
  assert.throws(() => parseSecret('id=x,type=file', '/'), /expected id=ID,src=FILE or id=ID,env=VARIABLE/);
});

test('flags win over kiln.yaml per build arg and secret id; the builders get the same arguments', () => {
  const merged = mergePassThrough(
    { buildArgs: { A: 'yaml', B: 'yaml' }, network: 'host', secrets: [{ id: 'netrc', src: '/yaml/netrc' }, { id: 'keep', env: 'KEEP' }] },
    { buildArgs: { B: 'flag' }, secrets: [{ id: 'netrc', src: '/flag/netrc' }] },
  );
  assert.deepEqual(merged, { buildArgs: { A: 'yaml', B: 'flag' }, network: 'host', secrets: [{ id: 'netrc', src: '/flag/netrc' }, { id: 'keep', env: 'KEEP' }] });
  const plan = testImagePlan({ docker: merged });
  const pass = ['--build-arg', 'A=yaml', '--build-arg', 'B=flag', '--network', 'host', '--secret', 'id=netrc,src=/flag/netrc', '--secret', 'id=keep,env=KEEP'];
  assert.deepEqual(dockerBuildArgs(plan, '/g/demo'), ['build', '-t', 'kiln/demo:latest', ...pass, '--platform', 'linux/amd64', '-f', '/g/demo/Dockerfile', '/g/demo']);
  checkBuildahNetwork(plan);
  assert.throws(() => checkBuildahNetwork(testImagePlan({ docker: { ...merged, network: 'none' } })), (e) => e instanceof UsageError
    && e.message === 'demo: --network none cannot apply with buildah: its chroot isolation runs RUN steps in the host\'s network (use --backend docker, or network host)');
  assert.deepEqual(buildahBudArgs(plan, '/g/demo'), ['bud', '--isolation', 'chroot', '--layers', '-t', 'kiln/demo:latest', ...pass, '--platform', 'linux/amd64', '-f', '/g/demo/Dockerfile', '/g/demo']);
});

test('the generated Dockerfile declares the build args in every stage and mounts the secrets into every RUN', () => {
  const plan = testImagePlan({
    base: { kind: 'distro', spec: { distro: 'debian', release: 'bookworm', packages: ['curl'], exclude: [], variant: 'slim', recommends: false, layering: 'grouped', closure: 'runtime', slim: true } },
    docker: { buildArgs: { HTTP_PROXY: 'http://proxy:3128' }, secrets: [{ id: 'auth', src: '/s/auth.conf', target: '/etc/apt/auth.conf' }, { id: 'token', env: 'TOKEN' }] },
  });
  const lines = generateDockerfile(plan, { syntax: null }).dockerfile.split('\n');
  const froms = lines.flatMap((line, i) => (line.startsWith('FROM ') ? [i] : []));
  assert.equal(froms.length, 2);
  for (const at of froms) assert.equal(lines[at + 1], 'ARG HTTP_PROXY');
  const runs = lines.filter((line) => line.startsWith('RUN '));
  assert.ok(runs.length > 0);
  for (const run of runs) assert.match(run, /^RUN --mount=type=secret,id=auth,target=\/etc\/apt\/auth\.conf --mount=type=secret,id=token /);
  // Names only: neither the build arg's value nor a secret's file is written into the Dockerfile.
  assert.ok(!lines.some((line) => line.includes('proxy:3128') || line.includes('/s/auth.conf')));
});

test('kiln.yaml docker: settings reach the plan by name (files made absolute), never by content', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'netrc'), 'machine pypi.example login u password SECRET-IN-FILE\n');
  await writeFile(join(dir, 'kiln.yaml'), [
    'defaults:',
    '  docker: { network: host, build_args: { PIP_TIMEOUT: 60 } }',
    'images:',
    '  demo:',
    '    base: scratch',
    '    docker:',
    '      build_args: { EXTRA: "1" }',
    '      secrets: [{ id: netrc, src: netrc, target: /root/.netrc }, { id: token, env: INDEX_TOKEN }]',
    '',
  ].join('\n'));
  const plan = await planBuild({ manifestFile: join(dir, 'kiln.yaml'), cwd: dir, env: {} });
  assert.deepEqual(plan.images[0]!.docker, {
    buildArgs: { PIP_TIMEOUT: '60', EXTRA: '1' }, network: 'host',
    secrets: [{ id: 'netrc', src: join(dir, 'netrc'), target: '/root/.netrc' }, { id: 'token', env: 'INDEX_TOKEN' }],
  });
  assert.ok(!JSON.stringify(plan).includes('SECRET-IN-FILE'));
  await assert.rejects(checkSecrets(plan.images[0]!, {}), (e) => e instanceof InputError && e.message === 'demo: secret "token": $INDEX_TOKEN is not set');
  await checkSecrets(plan.images[0]!, { INDEX_TOKEN: 'x' });
});

test('with the native backend the pass-through flags fail in one line instead of being ignored', async () => {
  const dir = await tempDir();
  await mkdir(join(dir, 'app'));
  await writeFile(join(dir, 'kiln.yaml'), 'images:\n  demo:\n    base: scratch\n    app: { src: app }\n    outputs: ["oci:out"]\n');
  for (const flags of [['--build-arg', 'A=1'], ['--network', 'none'], ['--secret', 'id=x,env=HOME'], ['--backend', 'kaniko', '--network', 'host']]) {
    const result = await runKiln(['build', dir, ...flags]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^kiln: --build-arg, --network and --secret go to docker build: give --backend docker or buildah \(the (native|kaniko) backend runs no docker build\)\n$/);
  }
});
