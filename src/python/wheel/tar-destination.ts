// TarDestination collects an install as TarEntry values for buildLayer. Large members stay in the
// wheel and are streamed (and checked against RECORD) when the layer is written.
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
    const data = content.kind === 'buffer' ? content.data : await content.member.read();
    this.entries.push({ path: entryPath, type: 'file', mode, content: { kind: 'buffer', data } });
    return { hash: recordHash(data), size: data.length };
  }

  async rollback(): Promise<void> {
    this.entries.length = 0;
    this.paths.clear();
  }
}
