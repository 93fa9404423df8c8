import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../errors.js';
import { formatReference, isLoopbackRegistry, parseReference } from './reference.js';
import { redact, rememberSecret } from '../http/redact.js';
import { Transport } from './transport.js';

const digest = `sha256:${'a'.repeat(64)}`;

test('parseReference normalises Docker Hub names and keeps registries, ports, tags and digests', () => {
  const cases: Array<[string, string]> = [
    ['python', 'docker.io/library/python:latest'],
    ['python:3.11-slim', 'docker.io/library/python:3.11-slim'],
    [`python:3.11-slim@${digest}`, `docker.io/library/python:3.11-slim@${digest}`],
    [`python@${digest}`, `docker.io/library/python@${digest}`],
    ['index.docker.io/acme/app:1', 'docker.io/acme/app:1'],
    ['acme/app', 'docker.io/acme/app:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['localhost/app:v2', 'localhost/app:v2'],
    ['ghcr.io/acme/ml/server:2024.01', 'ghcr.io/acme/ml/server:2024.01'],
    ['Registry.Example.com:443/a__b/c-d.e:T_1', 'registry.example.com:443/a__b/c-d.e:T_1'],
    ['[::1]:5000/app:1', '[::1]:5000/app:1'],
  ];
  for (const [input, expected] of cases) assert.equal(formatReference(parseReference(input)), expected, input);
});

test('parseReference refuses malformed references with one line saying what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['Python', /"Python" must be lower case/],
    ['acme/app:', /"" is not a valid tag/],
    ['acme/app:-bad', /"-bad" is not a valid tag/],
    ['acme//app', /empty path component/],
    ['acme/app@sha256:abc', /"sha256:abc" is not a sha256 or sha512 digest/],
    ['acme/-app', /"-app" is not a valid path component/],
    [`r.io/${'a'.repeat(260)}`, /longer than 255/],
  ];
  for (const [input, why] of cases) {
    assert.throws(() => parseReference(input), (error: Error) => error instanceof InputError && why.test(error.message) && !error.message.includes('\n'), input);
  }
});

test('plain HTTP only for loopback and registries marked insecure', () => {
  assert.ok(isLoopbackRegistry('127.0.0.1:5000') && isLoopbackRegistry('localhost') && isLoopbackRegistry('[::1]:5000'));
  assert.ok(!isLoopbackRegistry('registry.example.com') && !isLoopbackRegistry('128.0.0.1:5000'));
  const transport = new Transport({ insecure: ['mirror.internal:5000'] });
  assert.equal(transport.baseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
  assert.equal(transport.baseUrl('mirror.internal:5000'), 'http://mirror.internal:5000');
  assert.equal(transport.baseUrl('ghcr.io'), 'https://ghcr.io');
  assert.equal(transport.baseUrl('docker.io'), 'https://registry-1.docker.io');
});

test('backoff grows exponentially with jitter, is capped, and honours Retry-After', () => {
  const transport = new Transport({ backoffMs: 100, maxBackoffMs: 1000 });
  for (let attempt = 0; attempt < 8; attempt++) {
    const ceiling = Math.min(1000, 100 * 2 ** attempt);
    const delay = transport.backoff(attempt);
    assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay}`);
  }
  assert.equal(transport.backoff(0, '2'), 2000);
});

test('redact removes remembered secrets, their base64 form, and Authorization values', () => {
  rememberSecret('s3cr3t-password');
  const basic = Buffer.from('s3cr3t-password').toString('base64');
  assert.equal(redact('login with s3cr3t-password failed'), 'login with *** failed');
  assert.equal(redact(`echo ${basic}`), 'echo ***');
  assert.equal(redact('header Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig'), 'header Bearer ***');
});
