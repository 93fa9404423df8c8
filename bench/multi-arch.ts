// bench/multi-arch.ts: wall time of `kiln build` for the hello-python example with one platform (linux/amd64) and
// with two (linux/amd64 + linux/arm64, an OCI image index): cold (empty kiln cache: Debian indexes and .debs
// fetched, kiln.lock written) and warm (the same cache, after a one-line app change). Prints figures; asserts nothing.
//   node --import tsx bench/multi-arch.ts [runs]
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.argv[2] ?? 1);

function timeBuild(project: string, cache: string, out: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'build', project, '-q', '-o', `oci:${out}:hello`], {
      cwd: root, env: { ...process.env, KILN_CACHE_DIR: cache, SOURCE_DATE_EPOCH: '0' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - started) / 1e9) : reject(new Error(`kiln build failed: ${stderr}`))));
  });
}

async function project(work: string, platforms: string[]): Promise<string> {
  const dir = join(work, platforms.length === 1 ? 'one' : 'two');
  await mkdir(join(dir, 'app'), { recursive: true });
  await copyFile(join(root, 'examples/hello-python/server.py'), join(dir, 'app/server.py'));
  await writeFile(join(dir, 'kiln.yaml'), [
    'images:',
    '  hello:',
    '    base: { distro: debian, release: bookworm, packages: [python3, ca-certificates] }',
    `    platform: [${platforms.join(', ')}]`,
    '    app: { src: app, dest: /app }',
    '    entrypoint: [python3, /app/server.py]',
    '',
  ].join('\n'));
  return dir;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const work = await mkdtemp(join(tmpdir(), 'kiln-bench-multi-arch-'));
try {
  const rows: Array<[string, number, number]> = [];
  for (const platforms of [['linux/amd64'], ['linux/amd64', 'linux/arm64']]) {
    const cold: number[] = [];
    const warm: number[] = [];
    for (let run = 0; run < runs; run++) {
      const dir = await project(join(work, `run${run}`), platforms);
      const cache = join(work, `cache-${run}-${platforms.length}`);
      cold.push(await timeBuild(dir, cache, join(dir, 'out')));
      await appendFile(join(dir, 'app/server.py'), `# edit ${run}\n`);
      warm.push(await timeBuild(dir, cache, join(dir, 'out')));
      await rm(cache, { recursive: true, force: true });
    }
    rows.push([platforms.join(' + '), median(cold), median(warm)]);
  }
  console.log(`kiln build, hello-python on Debian bookworm, ${runs} run(s), median seconds`);
  console.log('platforms                  cold     warm (app edited)');
  for (const [name, cold, warm] of rows) console.log(`${name.padEnd(25)} ${cold.toFixed(1).padStart(6)}  ${warm.toFixed(1).padStart(7)}`);
  const [one, two] = rows;
  console.log(`two vs one: cold x${(two![1] / one![1]).toFixed(2)}, warm x${(two![2] / one![2]).toFixed(2)}`);
} finally {
  await rm(work, { recursive: true, force: true });
}
