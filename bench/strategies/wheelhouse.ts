// The bench's wheelhouse: deterministic pure-Python wheels standing in for a server's third-party
// dependencies (a web stack's worth of source), served as a PEP 503 index on loopback for poetry and pip.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { wheelFilename, writeWheel, type WheelSpec } from '../../src/testing/wheels.js';

/** source writes `kib` KiB of varied, compressible Python (about 4:1 under gzip, like real packages). */
function source(seed: string, kib: number): string {
  const lines: string[] = [];
  let size = 0;
  let state = createHash('sha256').update(seed).digest();
  for (let i = 0; size < kib * 1024; i++) {
    state = createHash('sha256').update(state).digest();
    const word = state.toString('hex').slice(0, 12);
    const line = `def handler_${i}_${word}(request, *, limit=${state[0]}):\n    """Handles ${word} for ${seed}."""\n    return {"id": ${state.readUInt16BE(2)}, "name": "${word}", "limit": limit}\n\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('');
}

function pkg(name: string, modules: number, kib: number, requires: string[] = []): WheelSpec {
  const module = name.replace(/-/g, '_');
  const files: Record<string, string> = { [`${module}/__init__.py`]: `"""${name}: bench dependency."""\n__version__ = "1.0.0"\n` };
  for (let i = 0; i < modules; i++) files[`${module}/part_${i}.py`] = source(`${name}-${i}`, kib);
  return { name, version: '1.0.0', files, requires };
}

/** DEPENDENCIES are the app's locked third-party packages (about 10 MB installed). */
export const DEPENDENCIES: WheelSpec[] = [
  pkg('bench-http', 8, 256, ['bench-codec>=1.0']),
  pkg('bench-codec', 6, 256),
  pkg('bench-schema', 8, 256, ['bench-codec>=1.0']),
  pkg('bench-metrics', 4, 256),
  pkg('bench-logging', 4, 256),
];

/** ADDED is the dependency the "add a dependency" step puts in pyproject.toml. */
export const ADDED: WheelSpec = pkg('bench-retry', 2, 256);

/** Wheelhouse is the folder of wheels and the index serving it. */
export interface Wheelhouse {
  dir: string;
  indexUrl: string;
  close(): Promise<void>;
}

/** startWheelhouse writes every wheel to `dir` and serves the folder's wheels as a simple index on 127.0.0.1. */
export async function startWheelhouse(dir: string): Promise<Wheelhouse> {
  await mkdir(dir, { recursive: true });
  const files = new Map<string, Buffer>();
  for (const spec of [...DEPENDENCIES, ADDED]) files.set(wheelFilename(spec), await readFile(await writeWheel(dir, spec)));
  // Wheels dropped in later (the app's shared package) are served too.
  const refresh = async (): Promise<void> => {
    for (const name of await readdir(dir)) if (name.endsWith('.whl') && !files.has(name)) files.set(name, await readFile(`${dir}/${name}`));
  };
  const server: Server = createServer(async (req, res) => {
    await refresh();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const page = /^\/simple\/([^/]+)\/?$/.exec(path);
    if (page) {
      const wanted = page[1]!.toLowerCase().replace(/[-_.]+/g, '_');
      const links = [...files.entries()]
        .filter(([name]) => name.toLowerCase().startsWith(`${wanted}-`))
        .map(([name, data]) => `<a href="/files/${name}#sha256=${createHash('sha256').update(data).digest('hex')}">${name}</a>`);
      res.writeHead(links.length ? 200 : 404, { 'content-type': 'text/html' }).end(`<html><body>${links.join('\n')}</body></html>`);
      return;
    }
    const file = files.get(path.replace(/^\/files\//, ''));
    if (file) res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.length }).end(file);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { dir, indexUrl: `http://127.0.0.1:${port}/simple/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
