// TarDestination collects an install as TarEntry values for buildLayer. Members stay in the wheel and
// are streamed (and checked against RECORD) when the layer is written; nothing is held whole in memory.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { normalizeEntryPath, type TarEntry } from '../../tar/entry.js';
import { OutputError } from '../../errors.js';
import { recordHash } from './record.js';
import { EXECUTABLE_MODE, FILE_MODE, type InstallContent, type WheelDestination, type WrittenFile } from './destination.js';

/** TarDestination accumulates entries; read them from `entries` after installing. */
export class TarDestination implements WheelDestination {
  readonly entries: TarEntry[] = [];
  private readonly paths = new Set<string>();

  constructor(private readonly what = 'install') {}

  async writeFile(path: string, content: InstallContent, executable: boolean): Promise<WrittenFile> {
    const entryPath = normalizeEntryPath(path, this.what);
    if (this.paths.has(entryPath)) throw new OutputError(`${this.what}: "${path}" already exists`);
    this.paths.add(entryPath);
    const mode = executable ? EXECUTABLE_MODE : FILE_MODE;
    if (content.kind === 'member' && content.member.hash?.startsWith('sha256=')) {
      // The wheel's RECORD hash is trusted now and enforced by the member stream when the layer is written.
      const { member } = content;
      this.entries.push({ path: entryPath, type: 'file', mode, size: member.size, content: { kind: 'stream', open: () => member.open() } });
      return { hash: member.hash!, size: member.size };
    }
    if (content.kind === 'buffer') {
      this.entries.push({ path: entryPath, type: 'file', mode, content: { kind: 'buffer', data: content.data } });
      return { hash: recordHash(content.data), size: content.data.length };
    }
    // No sha256 to trust (a rewritten script, or a RECORD using another algorithm): one streaming pass
    // now for RECORD's hash and the tar header's size, a second when the layer is written.
    const open = content.kind === 'member' ? () => content.member.open() : content.open;
    const written = await hashStream(await open());
    this.entries.push({ path: entryPath, type: 'file', mode, size: written.size, content: { kind: 'stream', open } });
    return written;
  }

  async rollback(): Promise<void> {
    this.entries.length = 0;
    this.paths.clear();
  }
}

async function hashStream(stream: Readable): Promise<WrittenFile> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { hash: `sha256=${hash.digest('base64url')}`, size };
}
