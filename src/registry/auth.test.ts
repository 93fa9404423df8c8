import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobStore } from '../cache/blob-store.js';
import { InputError } from '../errors.js';
import { startRegistry, type TestRegistry } from '../testing/registry.js';
import { busyboxImage } from '../testing/registry-images.js';
import { parseChallenges } from './auth.js';
import { dockerConfigCredentials } from './docker-config.js';
import { RegistryError } from './errors.js';
import { pullImage } from './pull.js';
import { pushImage } from './push.js';
import { staticCredentials } from './credentials.js';

let basic: TestRegistry;
let token: TestRegistry;
let work: string;
let store: BlobStore;

before(async () => {
  [basic, token] = await Promise.all([startRegistry({ auth: 'htpasswd' }), startRegistry({ auth: 'token' })]);
  work = await mkdtemp(join(tmpdir(), 'kiln-auth-'));
  store = new BlobStore(join(work, 'cache'));
});
after(async () => {
  await Promise.all([basic?.stop(), token?.stop()]);
  await rm(work, { recursive: true, force: true });
});

async function dockerConfig(name: string, config: unknown): Promise<NodeJS.ProcessEnv> {
  const dir = join(work, name);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  return { DOCKER_CONFIG: dir, PATH: `${join(work, 'bin')}:${process.env.PATH}` };
}

async function helperScript(name: string, user: string, secret: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(work, 'bin'), { recursive: true });
  const path = join(work, 'bin', `docker-credential-${name}`);
  await writeFile(path, `#!/bin/sh\nread server\nprintf '{"ServerURL":"%s","Username":"${user}","Secret":"${secret}"}' "$server"\n`);
  await chmod(path, 0o755);
}

test('parseChallenges reads Bearer and Basic challenges with quoted values', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="kiln test", Bearer realm=x'), [
    { scheme: 'basic', params: { realm: 'kiln test' } },
    { scheme: 'bearer', params: { realm: 'x' } },
  ]);
});

test('Basic auth with credentials from config.json `auths` pushes and pulls', async () => {
  const env = await dockerConfig('auths', { auths: { [`http://${basic.host}`]: { auth: Buffer.from(`${basic.user}:${basic.password}`).toString('base64') } } });
  const image = await busyboxImage(store);
  const [result] = await pushImage(image, [`${basic.host}/kiln/basic:1`], { credentials: dockerConfigCredentials(env) });
  assert.equal(result!.uploaded, 2);
  const pulled = await pullImage(`${basic.host}/kiln/basic:1`, { store: new BlobStore(join(work, 'pull-basic')), credentials: dockerConfigCredentials(env) });
  assert.equal(pulled.digest, await image.digest());
});

test('credHelpers runs docker-credential-<name>; a missing helper is a one-line error', async () => {
  await helperScript('kilntest', basic.user, basic.password);
  const env = await dockerConfig('helpers', { credHelpers: { [basic.host]: 'kilntest' } });
  const image = await busyboxImage(store, 'helper');
  const [result] = await pushImage(image, [`${basic.host}/kiln/helper:1`], { credentials: dockerConfigCredentials(env) });
  assert.equal(result!.references.length, 1);

  const missing = await dockerConfig('missing-helper', { credsStore: 'nosuchhelper' });
  await assert.rejects(pushImage(image, [`${basic.host}/kiln/helper:2`], { credentials: dockerConfigCredentials(missing) }), (error: Error) => {
    assert.match(error.message, /credential helper docker-credential-nosuchhelper for 127\.0\.0\.1:\d+ is not installed \(not found on PATH\)$/);
    return true;
  });
});

test('a wrong password fails with a one-line 401 naming the registry, and never shows the password', async () => {
  const secret = 'hunter2-very-secret-password';
  const image = await busyboxImage(store);
  await assert.rejects(pushImage(image, [`${basic.host}/kiln/wrong:1`], { credentials: staticCredentials({ [basic.host]: { username: 'kiln', password: secret } }) }), (error: Error) => {
    assert.match(error.message, new RegExp(`${basic.host}/kiln/wrong.*HTTP 401`));
    assert.ok(!error.message.includes(secret) && !error.message.includes(Buffer.from(`kiln:${secret}`).toString('base64')));
    assert.ok(!JSON.stringify(error, Object.getOwnPropertyNames(error)).includes(secret));
    assert.ok(!error.message.includes('\n'));
    return true;
  });
  await assert.rejects(pullImage(`${basic.host}/kiln/basic:1`, { store }), (error: Error) =>
    error instanceof RegistryError && error.status === 401 && error.message.includes(`${basic.host}/kiln/basic:1`));
});

test('token auth: password grant once, then refresh tokens for other scopes, including a cross-repository mount', async () => {
  const env = await dockerConfig('token', { auths: { [token.host]: { username: token.user, password: token.password } } });
  const credentials = dockerConfigCredentials(env);
  const image = await busyboxImage(store, 'token');
  const [first] = await pushImage(image, [`${token.host}/kiln/one:1`], { store, credentials });
  assert.equal(first!.uploaded, 2);
  // A second repository: the same push session is new, so it logs in again, and mounts from kiln/one.
  const { withAppLayer } = await import('../testing/registry-images.js');
  const app = await withAppLayer(store, image, { 'app.py': 'x' });
  const [second] = await pushImage(app, [`${token.host}/kiln/two:1`], { store, credentials });
  assert.equal(second!.mounted, 1);
  const grants = token.tokenRequests.map((r) => r.grant);
  assert.ok(grants.includes('password') && grants.includes('refresh_token'), grants.join(','));
  assert.ok(token.tokenRequests.some((r) => r.scopes.includes('repository:kiln/one:pull') && r.scopes.includes('repository:kiln/two:pull,push')));

  const pulled = await pullImage(`${token.host}/kiln/two:1`, { store: new BlobStore(join(work, 'pull-token')), credentials });
  assert.equal(pulled.digest, await app.digest());
  await assert.rejects(pullImage(`${token.host}/kiln/two:1`, { store, credentials: staticCredentials({ [token.host]: { username: 'kiln', password: 'nope-wrong-secret' } }) }),
    (error: Error) => /authenticating to 127\.0\.0\.1:\d+: credentials rejected by the token server \(HTTP 401\)/.test(error.message) && !error.message.includes('nope-wrong-secret'));
});

test('a malformed config.json is a one-line input error naming the file', async () => {
  const env = await dockerConfig('bad', {});
  await writeFile(join(env.DOCKER_CONFIG!, 'config.json'), '{not json');
  await assert.rejects(dockerConfigCredentials(env)('example.com'), (error: Error) => error instanceof InputError && /config\.json: not valid JSON$/.test(error.message));
});

test('a destination whose credential variables are unset is skipped with a notice, not an error', async () => {
  const image = await busyboxImage(store);
  const notices: string[] = [];
  const results = await pushImage(image, [
    { reference: `${basic.host}/kiln/env:1`, env: { username: 'KILN_T_USER', password: 'KILN_T_PASS' } },
  ], { env: {}, onNotice: (m) => notices.push(m) });
  assert.deepEqual(notices, [`skipping ${basic.host}/kiln/env: no credentials: $KILN_T_USER or $KILN_T_PASS is not set`]);
  assert.equal(results[0]!.references.length, 0);
  const [pushed] = await pushImage(image, [{ reference: `${basic.host}/kiln/env:1`, env: { username: 'KILN_T_USER', password: 'KILN_T_PASS' } }],
    { env: { KILN_T_USER: basic.user, KILN_T_PASS: basic.password } });
  assert.equal(pushed!.references.length, 1);
});
