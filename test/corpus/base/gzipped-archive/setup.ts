// The shared docker-archive, gzipped (what `docker save | gzip` gives).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CaseContext } from '../../case.js';

export default async function setup({ dir, shared }: CaseContext): Promise<void> {
  await writeFile(join(dir, 'base.tar.gz'), gzipSync(await readFile(join(shared, 'python-base.tar'))));
}
