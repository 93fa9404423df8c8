// DirectoryDestination writes an install under a staging root on disk (like installer's --destdir).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OutputError } from '../../errors.js';
import { normalizeEntryPath } from '../../tar/entry.js';
import { EXECUTABLE_MODE, FILE_MODE, type InstallContent, type WheelDestination, type WrittenFile } from './destination.js';

/** DirectoryDestination puts `/opt/venv/x` at `<root>/opt/venv/x`; `what` names the install in errors. */
export class DirectoryDestination implements WheelDestination {
  private readonly written: string[] = [];

  constructor(readonly root: string, private readonly what = 'install') {}

  async writeFile(path: string, content: InstallContent, executable: boolean): Promise<WrittenFile> {
    const target = join(this.root, normalizeEntryPath(path, this.what));
    if (await lstat(target).then(() => true, () => false)) throw new OutputError(`${this.what}: "${path}" already exists`);
    await mkdir(dirname(target), { recursive: true });
    this.written.push(target);
    const mode = executable ? EXECUTABLE_MODE : FILE_MODE;
    let written: WrittenFile;
    if (content.kind === 'buffer') {
      await writeFile(target, content.data, { mode, flag: 'wx' });
      written = { hash: `sha256=${createHash('sha256').update(content.data).digest('base64url')}`, size: content.data.length };
    } else {
      const hash = createHash('sha256');
      let size = 0;
      const count = new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      const open = content.kind === 'member' ? () => content.member.open() : content.open;
      await pipeline(await open(), count, createWriteStream(target, { mode, flags: 'wx' }));
      written = { hash: `sha256=${hash.digest('base64url')}`, size };
    }
    await chmod(target, mode);
    return written;
  }

  async rollback(): Promise<void> {
    for (const path of this.written.splice(0).reverse()) await rm(path, { force: true });
  }
}
