// Streaming a zip's entries one at a time with their CRC-32 checked: yauzl reads the central directory and
// inflates, but leaves the CRC to its caller, and a flipped bit in an advisory must not read as a clean record.
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { IntegrityError, InputError, errorMessage } from '../../errors.js';

/** ZipEntry is one file of a zip, read whole (OSV records are a few kilobytes each). */
export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** ENTRY_LIMIT bounds one entry's size: no OSV record comes near it, and a bogus size must not exhaust memory. */
const ENTRY_LIMIT = 64 << 20;

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * zipEntries yields the files of the zip at `path` in central-directory order, each checked against its CRC-32
 * and size. A truncated or corrupt zip fails with one IntegrityError naming it (and the entry to blame) rather
 * than ending early: a reader that stops quietly would report "no vulnerabilities". `name` is how errors call
 * the zip (a download in a temp file is better named by its URL).
 */
export async function* zipEntries(path: string, name = path): AsyncGenerator<ZipEntry> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new InputError(`${name}: ${errorMessage(error)}`, { cause: error });
    throw new IntegrityError(`${name}: not a readable zip (corrupt or truncated): ${errorMessage(error)}`, { cause: error });
  }
  try {
    let entries: AsyncIterableIterator<yauzl.Entry>;
    try {
      entries = zip.eachEntry();
    } catch (error) {
      throw new IntegrityError(`${name}: not a readable zip (corrupt or truncated): ${errorMessage(error)}`, { cause: error });
    }
    while (true) {
      let next: IteratorResult<yauzl.Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        throw new IntegrityError(`${name}: corrupt zip directory: ${errorMessage(error)}`, { cause: error });
      }
      if (next.done) break;
      const entry = next.value;
      if (entry.fileName.endsWith('/')) continue;
      if (entry.uncompressedSize > ENTRY_LIMIT) throw new IntegrityError(`${name}: ${entry.fileName}: ${entry.uncompressedSize} bytes is not an OSV record`);
      let data: Buffer;
      try {
        data = await readAll(await zip.openReadStreamPromise(entry));
      } catch (error) {
        throw new IntegrityError(`${name}: ${entry.fileName}: corrupt or truncated: ${errorMessage(error)}`, { cause: error });
      }
      if (crc32(data) !== entry.crc32) throw new IntegrityError(`${name}: ${entry.fileName}: CRC-32 mismatch (the zip is corrupt)`);
      yield { name: entry.fileName, data };
    }
  } finally {
    zip.close();
  }
}
