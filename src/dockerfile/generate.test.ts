import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImagePlan } from '../plan/index.js';
import { ConfigError, UsageError } from '../errors.js';
import { generateDockerfile, HEADER, type PythonContext } from './generate.js';

/** plan is an ImagePlan like planBuild makes for a bookworm distro base with an app and a python section. */
function plan(overrides: Partial<ImagePlan> = {}): ImagePlan {
  return {
    name: 'demo',
    base: { kind: 'distro', spec: { distro: 'debian', release: 'bookworm', packages: ['python3', 'ca-certificates'], exclude: [], variant: 'distroless', recommends: false, layering: 'grouped' } },
    platform: { os: 'linux', architecture: 'amd64' },
    app: { dir: '/src/app', dest: '/app' },
    python: { project: '/src/proj', groups: ['main'], extras: [], prefix: '/opt/venv', extraIndexUrls: [], findLinks: [], split: [], allowUnhashed: false, installProject: true },
    runtime: {
      User: '65532',
      ExposedPorts: { '8080/tcp': {} },
      Env: ['PORT=8080', 'GREETING=say "hi" for $5'],
      Entrypoint: ['demo-server', '--port', '8080'],
      Cmd: ['--verbose'],
      WorkingDir: '/app',
      Labels: { team: 'ml' },
    },
    annotations: { 'org.opencontainers.image.title': 'demo', 'org.opencontainers.image.version': '0.3.0' },
    created: '1980-01-01T00:00:00Z',
    epoch: 315532800,
    outputs: [],
    ...overrides,
  } as ImagePlan;
}

const python: PythonContext = {
  prefix: '/opt/venv',
  interpreter: '/usr/bin/python3',
  systemSitePackages: false,
  deps: { indexUrl: 'https://pypi.example/simple', extraIndexUrls: [], findLinks: [], contextFindLinks: [] },
  local: true,
  files: ['python/deps/requirements.txt', 'python/local/requirements.txt', 'python/local/wheels/demo_server-0.3.0-py3-none-any.whl'],
  lock: 'poetry.lock',
};

/** stages splits a Dockerfile into its stages: [FROM line, ...instructions]. */
function stages(text: string): string[][] {
  const out: string[][] = [];
  // Continuation lines join their instruction; comments and blank lines drop out.
  const instructions = text.replace(/ \\\n\s+/g, ' ').split('\n').filter((line) => line && !line.startsWith('#'));
  for (const line of instructions) {
    if (line.startsWith('FROM ')) out.push([line]);
    else out.at(-1)!.push(line);
  }
  return out;
}

test('a stock distro base says, in the Dockerfile and in notes, what apt-get installs that kiln\'s own base leaves out', () => {
  const pinnedBase = {
    kind: 'distro' as const, lockName: 'demo', codename: 'bookworm', packages: [],
    slim: { rules: ['docs', 'man'], keep: [], drop: [] },
    omitted: [{ name: 'gcc-12', chain: ['python3-sklearn', 'python3-scipy', 'python3-pythran', 'gcc-12'] }, { name: 'cpp-12', chain: ['gcc-12', 'cpp-12'] }],
  };
  const note = 'demo: FROM debian:bookworm-slim with apt-get installs the 2 packages the runtime closure leaves out '
    + '(python3-sklearn -> python3-scipy -> python3-pythran -> gcc-12, ...) and the files the slim rules drop (docs, man); '
    + 'kiln\'s own base leaves them out (kiln build, natively or with --backend docker)';
  const stock = generateDockerfile(plan({ pinned: { base: pinnedBase } }), { appFiles: ['server.py'], python });
  assert.deepEqual(stock.notes, [note]);
  assert.ok(stock.dockerfile.includes(`${HEADER}\n# image demo`), 'the header stays first');
  assert.ok(stock.dockerfile.includes(`\n# note: ${note}\n\nFROM debian:bookworm-slim AS base\n`), stock.dockerfile);
  // Nothing left out natively: nothing to say. kiln's own base (--backend docker): nothing either.
  const full = generateDockerfile(plan({ pinned: { base: { ...pinnedBase, slim: { rules: [], keep: [], drop: [] }, omitted: [] } } }), { appFiles: ['server.py'], python });
  assert.deepEqual(full.notes, []);
  assert.doesNotMatch(full.dockerfile, /# note:/);
  const kilnBase = generateDockerfile(plan({ pinned: { base: pinnedBase } }), { appFiles: ['server.py'], python, baseImage: 'kiln-base/demo:1', baseHasPackages: true });
  assert.deepEqual(kilnBase.notes, []);
});

test('a stock distro base: builder venv with cache mounts, final stage copies it, then the app, runs as 65532', () => {
  const { dockerfile, contextFiles } = generateDockerfile(plan(), { appFiles: ['server.py', 'models/a.bin'], python, aptPins: { python3: '3.11.2-1+b1' } });
  const lines = dockerfile.split('\n');
  assert.equal(lines[0], '# syntax=docker/dockerfile:1');
  assert.equal(lines[1], HEADER);
  const [base, builder, final] = stages(dockerfile);
  assert.equal(stages(dockerfile).length, 3);
  assert.deepEqual(base, [
    'FROM debian:bookworm-slim AS base',
    'RUN apt-get update && apt-get install -y --no-install-recommends python3=3.11.2-1+b1 ca-certificates && rm -rf /var/lib/apt/lists/*',
    'RUN groupadd --gid 65532 nonroot && useradd --uid 65532 --gid 65532 --home-dir /home/nonroot --create-home --shell /sbin/nologin nonroot',
  ]);
  assert.equal(builder![0], 'FROM base AS builder');
  assert.match(builder![1]!, /^RUN apt-get update && apt-get install -y --no-install-recommends python3-pip && rm -rf \/var\/lib\/apt\/lists\/\*$/);
  assert.match(builder![2]!, /^RUN \/usr\/bin\/python3 -m venv --without-pip \/opt\/venv && rm -f /);
  const pipRuns = builder!.filter((line) => line.includes('pip --python'));
  assert.equal(pipRuns.length, 2, 'dependencies and local wheels are separate steps');
  for (const run of pipRuns) {
    assert.match(run, /^RUN --mount=type=cache,target=\/root\/\.cache\/pip --mount=type=bind,source=python\/(deps|local),target=/);
    assert.match(run, /--no-deps --require-hashes/);
  }
  assert.match(pipRuns[0]!, /source=python\/deps.*--index-url https:\/\/pypi\.example\/simple -r \/kiln\/deps\/requirements\.txt/);
  assert.match(pipRuns[1]!, /source=python\/local.*--no-index --find-links \/kiln\/local\/wheels -r \/kiln\/local\/requirements\.txt/);
  assert.deepEqual(final, [
    'FROM base',
    'COPY --from=builder /opt/venv /opt/venv',
    'COPY app/ /app/',
    'ENV VIRTUAL_ENV="/opt/venv" PATH="/opt/venv/bin:$PATH"',
    'ENV PORT="8080" GREETING="say \\"hi\\" for \\$5"',
    'WORKDIR /app',
    'EXPOSE 8080/tcp',
    'LABEL "org.opencontainers.image.title"="demo" "org.opencontainers.image.version"="0.3.0" "team"="ml"',
    'USER 65532',
    'ENTRYPOINT ["demo-server","--port","8080"]',
    'CMD ["--verbose"]',
  ]);
  // No RUN in the final stage: nothing there can leave a pip, apt or poetry cache behind.
  assert.ok(!final!.some((line) => line.startsWith('RUN') || line.includes('.cache')));
  assert.deepEqual(contextFiles, ['Dockerfile', 'app/models/a.bin', 'app/server.py', ...python.files]);
});

test('a kiln-assembled base: no apt-get, no useradd, builder from the given image; syntax line optional', () => {
  const { dockerfile } = generateDockerfile(plan(), { baseImage: 'kiln-base/demo:abc', baseHasPackages: true, builderImage: 'kiln-base/demo.builder:def', syntax: null, appFiles: ['server.py'], python });
  assert.equal(dockerfile.split('\n')[0], HEADER);
  assert.doesNotMatch(dockerfile, /apt-get|useradd|# syntax/);
  const [base, builder] = stages(dockerfile);
  assert.deepEqual(base, ['FROM kiln-base/demo:abc AS base']);
  assert.equal(builder![0], 'FROM kiln-base/demo.builder:def AS builder');
});

test('bases: registry place, scratch, no python; a local place needs a loaded reference', () => {
  const registry = generateDockerfile(plan({ base: { kind: 'place', place: 'docker://registry.example/py:3.11' } }), { appFiles: ['a'], python });
  assert.deepEqual(stages(registry.dockerfile).map((stage) => stage[0]), ['FROM registry.example/py:3.11 AS base', 'FROM base AS builder', 'FROM base']);
  assert.match(registry.dockerfile, /FROM base AS builder\nUSER root\n/, 'the builder runs as root whatever the base says');
  const { python: _python, ...withoutPython } = plan();
  const plain = generateDockerfile({ ...withoutPython, base: { kind: 'scratch' } } as ImagePlan, { appFiles: ['a'] });
  assert.deepEqual(stages(plain.dockerfile).map((stage) => stage[0]), ['FROM scratch AS base', 'FROM base']);
  assert.doesNotMatch(plain.dockerfile, /builder|VIRTUAL_ENV/);
  assert.throws(() => generateDockerfile(plan({ base: { kind: 'place', place: 'oci:/tmp/layout:base' } }), { python }), (error) => error instanceof UsageError && /oci:\/tmp\/layout:base is not in a registry/.test(error.message));
  assert.throws(() => generateDockerfile(plan({ base: { kind: 'scratch' } }), { python }), UsageError);
  assert.throws(() => generateDockerfile(plan(), {}), /python section needs its context/);
});

test('a value with a line break is refused, naming the variable', () => {
  const bad = plan();
  bad.runtime = { ...bad.runtime, Env: ['MOTD=a\nb'] };
  assert.throws(() => generateDockerfile(bad, { python }), (error) => error instanceof ConfigError && /demo: env MOTD/.test(error.message));
});
