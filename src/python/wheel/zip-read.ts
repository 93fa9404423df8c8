// A small random-access ZIP reader: wheels can be gigabytes, so entries are inflated one at a time
// (or streamed) instead of loading the whole archive the way fflate's unzip does.
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline, Readable, Transform, type TransformCallback } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { InputError, IntegrityError } from '../../errors.js';

/** ZipEntry is one member of an archive as its central directory describes it. */
export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** externalAttr holds Unix mode bits in its high 16 bits when the archive was made on Unix. */
  externalAttr: number;
  localHeaderOffset: number;
}

/** isExecutableEntry mirrors pip and pypa/installer: a regular file with any execute bit set. */
export function isExecutableEntry(entry: ZipEntry): boolean {
  const mode = entry.externalAttr >>> 16;
  return mode !== 0 && (mode & 0o170000) === 0o100000 && (mode & 0o111) !== 0;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** ZipReader reads members of one archive on demand; `what` names the archive in errors. */
export class ZipReader {
  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    readonly entries: ZipEntry[],
    private readonly what: string,
  ) {}

  /** open reads the central directory of the archive at `path`. */
  static async open(path: string, what = path): Promise<ZipReader> {
    const handle = await open(path, 'r').catch((error: unknown) => {
      throw new InputError(`${what}: cannot open: ${(error as Error).message}`, { cause: error });
    });
    try {
      const entries = await readCentralDirectory(handle, what);
      return new ZipReader(handle, path, entries, what);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async dataOffset(entry: ZipEntry, handle: FileHandle = this.handle): Promise<number> {
    const head = await readAt(handle, entry.localHeaderOffset, 30);
    if (head.readUInt32LE(0) !== LOCAL) throw new InputError(`${this.what}: bad local header for "${entry.name}"`);
    return entry.localHeaderOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  }

  /**
   * read returns a member's bytes, checked against its recorded size and CRC-32. Only for small
   * members (metadata): the whole member is held in memory, up to the size the directory declares.
   */
  async read(entry: ZipEntry): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.stream(entry)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * stream opens a member for streaming (for large files that should not sit in memory). It does not
   * use the reader's handle, so layers built later can stream members after the reader is closed.
   * The stream fails if the member inflates to more or fewer bytes than the central directory
   * declares, or to bytes whose CRC-32 differs; output beyond the declared size is never passed on.
   */
  async stream(entry: ZipEntry): Promise<Readable> {
    if (entry.method !== 0 && entry.method !== 8) {
      throw new InputError(`${this.what}: "${entry.name}" uses unsupported compression method ${entry.method}`);
    }
    if (entry.method === 0 && entry.compressedSize !== entry.size) {
      throw new IntegrityError(`${this.what}: "${entry.name}" is stored uncompressed, but its zip directory declares ${entry.compressedSize} bytes stored and ${entry.size} bytes of content`);
    }
    const check = new DeclaredSizeCheck(entry, this.what);
    if (entry.compressedSize === 0) return Readable.from([]).pipe(check);
    const handle = await open(this.path, 'r');
    const start = await this.dataOffset(entry, handle).finally(() => handle.close());
    const raw = createReadStream(this.path, { start, end: start + entry.compressedSize - 1 });
    const streams: Array<Readable | Transform> = entry.method === 0 ? [raw] : [raw, createInflateRaw()];
    // Registered before pipeline's own handlers, so the error that reaches the reader names wheel and member.
    for (const stream of streams) {
      stream.on('error', (error) => check.destroy(new IntegrityError(`${this.what}: "${entry.name}" cannot be read: ${error.message}`, { cause: error })));
    }
    // pipeline (not pipe) so that a reader that stops early also closes the file and the inflater.
    return pipeline([...streams, check], () => {}) as Transform;
  }
}

// Passes a member's bytes through while counting them: a zip bomb declares a small size and inflates to
// far more, so output is cut off as soon as it passes the declared size, before anything downstream sees it.
class DeclaredSizeCheck extends Transform {
  private seen = 0;
  private crc = 0;

  constructor(private readonly entry: ZipEntry, private readonly what: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.entry.size) {
      callback(new IntegrityError(`${this.what}: "${this.entry.name}" inflates to more than the ${this.entry.size} bytes its zip directory declares`));
      return;
    }
    this.crc = crc32(chunk, this.crc);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.seen !== this.entry.size) {
      callback(new IntegrityError(`${this.what}: "${this.entry.name}" inflates to ${this.seen} bytes, but its zip directory declares ${this.entry.size}`));
    } else if (this.crc !== this.entry.crc) {
      callback(new IntegrityError(`${this.what}: "${this.entry.name}" is corrupt (CRC-32 mismatch)`));
    } else callback();
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

async function readCentralDirectory(handle: FileHandle, what: string): Promise<ZipEntry[]> {
  const { size } = await handle.stat();
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(handle, size - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new InputError(`${what}: not a zip archive (no end of central directory)`);
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  if (at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
    const eocd64 = await readAt(handle, Number(tail.readBigUInt64LE(at - 12)), 56);
    if (eocd64.readUInt32LE(0) !== ZIP64_EOCD) throw new InputError(`${what}: bad zip64 end of central directory`);
    count = Number(eocd64.readBigUInt64LE(32));
    cdSize = Number(eocd64.readBigUInt64LE(40));
    cdOffset = Number(eocd64.readBigUInt64LE(48));
  }
  const cd = await readAt(handle, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new InputError(`${what}: corrupt central directory`);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLength),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      externalAttr: cd.readUInt32LE(p + 38),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    applyZip64(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

// Zip64 stores the real values of fields that overflowed (0xFFFFFFFF) in extra field 0x0001, in a fixed order.
function applyZip64(entry: ZipEntry, extra: Buffer): void {
  let p = 0;
  while (p + 4 <= extra.length) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    if (id === 0x0001) {
      let q = p + 4;
      const next = (): number => {
        const value = Number(extra.readBigUInt64LE(q));
        q += 8;
        return value;
      };
      if (entry.size === 0xffffffff) entry.size = next();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
      return;
    }
    p += 4 + length;
  }
}
