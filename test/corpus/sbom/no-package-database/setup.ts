// An image holding an app and an os-release, but no package database: a dist-info without RECORD is not one either.
import { join } from 'node:path';
import type { CaseContext } from '../../case.js';
import { writeFilesImage } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeFilesImage(join(dir, 'image'), 'app', {
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    'app/server.py': 'print("hello")\n',
    'opt/venv/lib/python3.11/site-packages/demo-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n',
  });
}
