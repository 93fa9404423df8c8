// kiln build --backend docker's pass-through, against the real dockerd: the arguments kiln gives `docker build`
// (dockerBuildArgs) for build args, network and secrets do what docker says they do, on a small busybox context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerBuildArgs } from '../../src/backends/docker.js';
import { runTool, ToolError } from '../../src/backends/exec.js';
import { requireTool, sh } from '../../src/testing/docker.js';
import { tempDir } from '../../src/testing/images.js';
import { testImagePlan } from '../../src/testing/plans.js';
import { serveDir } from '../../src/testing/serve-dir.js';
import type { DockerPassThrough } from '../../src/plan/index.js';

const SECRET = 'kiln-e2e-secret-5f1c9a7e';
const TAG = 'kiln-test/pass-through:e2e';

test('docker build with kiln\'s arguments: a build arg lands in the image, a secret is read by RUN but in no layer, --network none cuts RUN off', { timeout: 300_000 }, async (t) => {
  if (!(await requireTool(t, 'docker'))) return;
  // docker 20.10 has BuildKit built in (DOCKER_BUILDKIT=1); a newer CLI without the buildx plugin does not.
  const client = process.env.KILN_DOCKER ?? '/usr/bin/docker';
  const work = await tempDir();
  const context = join(work, 'context');
  await mkdir(context);
  await copyFile('/bin/busybox', join(context, 'busybox'));
  await writeFile(join(context, 'Dockerfile'), [
    'FROM scratch',
    'COPY busybox /bin/busybox',
    'ARG GREETING',
    'RUN ["/bin/busybox", "sh", "-c", "echo $GREETING > /greeting"]',
    'RUN --mount=type=secret,id=token ["/bin/busybox", "sh", "-c", "/bin/busybox wc -c < /run/secrets/token > /secret-size"]',
    'ARG PORT',
    // busybox's static wget crashes in a scratch image (no NSS files); nc speaks enough HTTP. Its input stays open a
    // moment: a request half-closed at once is dropped by node's server before it answers.
    'RUN ["/bin/busybox", "sh", "-c", "(printf \'GET /hello.txt HTTP/1.0\\r\\n\\r\\n\'; /bin/busybox sleep 2) | /bin/busybox nc -w 5 127.0.0.1 $PORT | /bin/busybox tail -n 1 > /fetched && /bin/busybox test -s /fetched"]',
    '',
  ].join('\n'));
  const secretFile = join(work, 'token.txt');
  await writeFile(secretFile, SECRET);
  const served = join(work, 'served');
  await mkdir(served);
  await writeFile(join(served, 'hello.txt'), 'served by the host\n');
  const server = await serveDir(served);
  const port = new URL(server.url).port;
  const logged: string[] = [];
  const build = (docker: DockerPassThrough) => runTool(client, dockerBuildArgs(testImagePlan({ name: 'pass', docker }), context), {
    env: { ...process.env, DOCKER_BUILDKIT: '1' }, log: (line) => logged.push(line), what: 'pass',
  });
  try {
    await build({ buildArgs: { GREETING: 'hello-from-a-build-arg', PORT: port }, network: 'host', secrets: [{ id: 'token', src: secretFile }] });
    await sh('docker', ['tag', 'kiln/pass:latest', TAG]);
    const seen = await sh('docker', ['run', '--rm', '--entrypoint', '/bin/busybox', TAG, 'sh', '-c', 'cat /greeting /secret-size /fetched']);
    assert.equal(seen, `hello-from-a-build-arg\n${SECRET.length}\nserved by the host\n`);
    // Every layer, the config and the history, as docker saves them: the secret is in none of them.
    const archive = join(work, 'saved.tar');
    await sh('docker', ['save', '-o', archive, TAG]);
    assert.ok(!(await readFile(archive)).includes(SECRET), 'the secret is in the saved image');
    assert.ok((await readFile(archive)).includes('hello-from-a-build-arg'));
    assert.ok(!logged.some((line) => line.includes(SECRET)), 'the secret is in the build log');
    // Another build arg value re-runs the RUN steps below it (no cached result): without a network the fetch fails.
    await assert.rejects(
      build({ buildArgs: { GREETING: 'again', PORT: port }, network: 'none', secrets: [{ id: 'token', src: secretFile }] }),
      (e) => e instanceof ToolError && /pass: .*docker build exited with [1-9]: executor failed running .*GET \/hello\.txt/.test(e.message),
    );
  } finally {
    await server.close();
    await sh('docker', ['rmi', '-f', TAG, 'kiln/pass:latest']).catch(() => undefined);
  }
});
