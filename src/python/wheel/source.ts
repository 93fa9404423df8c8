// WheelSource: one wheel file opened for installing; every member it hands out is checked against
// the wheel's own RECORD, so a RECORD that lies about a file is caught before or while it is written.
import { createHash } from 'node:crypto';
import { basename, posix } from 'node:path';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { InputError, IntegrityError, UnsafePathError } from '../../errors.js';
import { normalizeName, parseWheelFilename } from './filename.js';
import { parseRecord, recordHash, type RecordRow } from './record.js';
import { isExecutableEntry, ZipReader, type ZipEntry } from './zip-read.js';

/** WheelMember is one file inside a wheel, with the RECORD row that vouches for it. */
export interface WheelMember {
  /** path inside the wheel, e.g. `pkg/__init__.py` or `pkg-1.0.data/scripts/tool`. */
  path: string;
  size: number;
  /** hash from the wheel's RECORD (`sha256=...`), absent for RECORD itself and signatures. */
  hash?: string;
  executable: boolean;
  /** read returns the member's bytes after checking them against RECORD; only for metadata (refused over METADATA_LIMIT). */
  read(): Promise<Buffer>;
  /** open streams the member; the stream fails at its end if the bytes do not match RECORD. */
  open(): Promise<Readable>;
}

/** METADATA_LIMIT bounds the dist-info files (RECORD, WHEEL, entry points) read whole into memory. */
export const METADATA_LIMIT = 64 * 1024 * 1024;

/** WheelSource reads a wheel the way pypa/installer's WheelFile does. */
export class WheelSource {
  private constructor(
    private readonly zip: ZipReader,
    /** name is how errors refer to this wheel: its file name. */
    readonly name: string,
    readonly distribution: string,
    readonly version: string,
    readonly distInfoDir: string,
    readonly members: WheelMember[],
  ) {}

  /** dataDir is `{distribution}-{version}.data`, named after the file name as installer does. */
  get dataDir(): string {
    return `${this.distribution}-${this.version}.data`;
  }

  /** open reads a wheel's directory and RECORD; a malformed wheel throws naming the file. */
  static async open(path: string): Promise<WheelSource> {
    const name = basename(path);
    const parsed = parseWheelFilename(name);
    const zip = await ZipReader.open(path, name);
    try {
      const files = zip.entries.filter((entry) => !entry.name.endsWith('/'));
      for (const entry of files) checkMemberPath(entry.name, name);
      const distInfos = [...new Set(files.map((entry) => entry.name.split('/')[0]!).filter((top) => top.endsWith('.dist-info')))];
      if (distInfos.length !== 1) throw new InputError(`${name}: expected exactly one .dist-info directory, found ${distInfos.length}`);
      const distInfoDir = distInfos[0]!;
      // `name-version.dist-info`: the name is what precedes the second-to-last '-', as installer reads it.
      if (normalizeName(distInfoDir.split('-').slice(0, -2).join('-')) !== normalizeName(parsed.distribution)) {
        throw new InputError(`${name}: .dist-info directory "${distInfoDir}" does not match the file name`);
      }
      const recordEntry = files.find((entry) => entry.name === `${distInfoDir}/RECORD`);
      if (!recordEntry) throw new InputError(`${name}: ${distInfoDir}/RECORD is missing`);
      const rows = new Map<string, RecordRow>();
      checkMetadataSize(recordEntry, name);
      for (const row of parseRecord((await zip.read(recordEntry)).toString('utf8'), name)) rows.set(row.path, row);
      const members = files.map((entry) => {
        const row = rows.get(entry.name);
        if (!row) throw new InputError(`${name}: "${entry.name}" is not listed in RECORD`);
        return member(zip, name, entry, row);
      });
      return new WheelSource(zip, name, parsed.distribution, parsed.version, distInfoDir, members);
    } catch (error) {
      await zip.close();
      throw error;
    }
  }

  /** readDistInfo returns a dist-info file as text, or undefined when the wheel has none. */
  async readDistInfo(file: string): Promise<string | undefined> {
    const found = this.members.find((m) => m.path === `${this.distInfoDir}/${file}`);
    return found ? (await found.read()).toString('utf8') : undefined;
  }

  async close(): Promise<void> {
    await this.zip.close();
  }
}

function checkMemberPath(path: string, wheel: string): void {
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path) || path.split('/').includes('..') || path.includes('\0')) {
    throw new UnsafePathError(`${wheel}: member "${path}" would escape the install prefix`);
  }
  if (posix.normalize(path) !== path) throw new UnsafePathError(`${wheel}: member path "${path}" is not normalised`);
}

function checkMetadataSize(entry: ZipEntry, wheel: string): void {
  if (entry.size > METADATA_LIMIT) {
    throw new InputError(`${wheel}: "${entry.name}" is ${entry.size} bytes; kiln reads wheel metadata of at most ${METADATA_LIMIT} bytes`);
  }
}

function member(zip: ZipReader, wheel: string, entry: ZipEntry, row: RecordRow): WheelMember {
  const check = (hash: string | undefined, size: number): void => {
    if (row.size !== undefined && row.size !== size) {
      throw new IntegrityError(`${wheel}: "${entry.name}" is ${size} bytes but RECORD says ${row.size}`);
    }
    if (row.hash && hash !== row.hash) throw new IntegrityError(`${wheel}: "${entry.name}" does not match its RECORD hash`);
  };
  const algorithm = row.hash?.slice(0, row.hash.indexOf('='));
  return {
    path: entry.name,
    size: entry.size,
    ...(row.hash ? { hash: row.hash } : {}),
    executable: isExecutableEntry(entry),
    async read() {
      checkMetadataSize(entry, wheel);
      const data = await zip.read(entry);
      check(algorithm ? recordHash(data, algorithm) : undefined, data.length);
      return data;
    },
    async open() {
      const stream = await zip.stream(entry);
      const hash = algorithm ? createHash(algorithm) : undefined;
      let size = 0;
      const verify = new Transform({
        transform(chunk: Buffer, _encoding, callback: TransformCallback) {
          hash?.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
        flush(callback: TransformCallback) {
          try {
            check(hash ? `${algorithm}=${hash.digest('base64url')}` : undefined, size);
            callback();
          } catch (error) {
            callback(error as Error);
          }
        },
      });
      // pipeline, so that a reader that stops early also closes the member's file and inflater.
      return pipeline(stream, verify, () => {});
    },
  };
}
