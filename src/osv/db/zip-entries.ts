// Streaming a zip's entries one at a time with their CRC-32 checked: yauzl reads the central directory and
// inflates, but leaves the CRC to its caller, and a flipped bit in an advisory must not read as a clean record.
import { open, type FileHandle } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { IntegrityError, InputError, errorMessage } from '../../errors.js';

/** ZipEntry is one file of a zip, read whole (OSV records are a few kilobytes each). */
export interface ZipEntry {
  name: string;
  data: Buffer;
}

/** ENTRY_LIMIT bounds one entry's size: no OSV record comes near it, and a bogus size must not exhaust memory. */
const ENTRY_LIMIT = 64 << 20;

const WINDOW = 1 << 20;

/**
 * WindowedReader serves yauzl's many small reads (a central-directory record, a local header, a kilobyte of data:
 * several per record, 100k+ records) from two 1 MiB windows, one following the central directory at the end of
 * the file and one the entries' data at the front, so the export is read in large sequential chunks and memory
 * stays at two windows whatever the size of the database.
 */
class WindowedReader extends yauzl.RandomAccessReader {
  private windows: { start: number; data: Buffer }[] = [];

  constructor(private readonly file: FileHandle) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const stream = new PassThrough();
    this.bytes(start, end).then((data) => stream.end(data), (error: unknown) => stream.destroy(error as Error));
    return stream;
  }

  private async bytes(start: number, end: number): Promise<Buffer> {
    const hit = this.windows.find((window) => start >= window.start && end <= window.start + window.data.length);
    if (hit) {
      // The window used last goes to the back, so the other one is the one replaced next.
      this.windows = [...this.windows.filter((window) => window !== hit), hit];
      return hit.data.subarray(start - hit.start, end - hit.start);
    }
    const size = Math.max(WINDOW, end - start);
    const data = Buffer.allocUnsafe(size);
    const { bytesRead } = await this.file.read(data, 0, size, start);
    const window = { start, data: data.subarray(0, bytesRead) };
    this.windows = [...this.windows.slice(-1), window];
    // A short read (the file ended early) hands yauzl fewer bytes than it asked for, which it reports as truncation.
    return window.data.subarray(0, Math.min(end - start, bytesRead));
  }

  override close(callback: (error: Error | null) => void): void {
    this.file.close().then(() => callback(null), (error: unknown) => callback(error as Error));
  }
}

async function openZip(path: string): Promise<yauzl.ZipFile> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    return await yauzl.fromRandomAccessReaderPromise(new WindowedReader(file), size, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (error) {
    await file.close();
    throw error;
  }
}

/**
 * entryData reads an entry's stored bytes and inflates them in one call: records are a few kilobytes, and a
 * zlib stream per record costs more than the inflating (a full export has 100k+ of them).
 */
async function entryData(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw new Error(`compression method ${entry.compressionMethod} is not deflate`);
  const raw = await readAll(await zip.openReadStreamPromise(entry, { decodeFileData: false }));
  const data = entry.compressionMethod === 8 ? inflateRawSync(raw, { maxOutputLength: ENTRY_LIMIT }) : raw;
  if (data.length !== entry.uncompressedSize) throw new Error(`${data.length} bytes where the directory says ${entry.uncompressedSize}`);
  return data;
}

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
    zip = await openZip(path);
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
        data = await entryData(zip, entry);
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
