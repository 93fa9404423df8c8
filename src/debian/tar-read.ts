// A reader for tar archives (ustar, GNU long names, PAX): whole in memory (views, not copies) or streamed in chunks.
import { InputError } from '../errors.js';

/** RawTarEntry is one member as the archive states it, before any path policy applies. */
export interface RawTarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  /** data is a view into the archive buffer (empty for everything but files). */
  data: Buffer;
}

const BLOCK = 512;

function cString(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end < 0 || end > start + length ? start + length : end);
}

function number(block: Buffer, start: number, length: number, what: string): number {
  const first = block[start]!;
  if (first & 0x80) {
    // GNU base-256 for values octal cannot hold (files over 8 GiB, negative times).
    let value = first & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = cString(block, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new InputError(`${what}: bad number "${text}" in tar header`);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer, what: string): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === number(block, 148, 8, what);
}

function parsePax(data: Buffer, what: string): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = Number(data.toString('latin1', offset, space));
    if (space < 0 || !Number.isInteger(length) || length <= 0 || offset + length > data.length) {
      throw new InputError(`${what}: malformed PAX header`);
    }
    const record = data.toString('utf8', space + 1, offset + length - 1);
    const equals = record.indexOf('=');
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

const TYPES: Record<string, RawTarEntry['type']> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'directory', '6': 'fifo',
};

/** TarMember is one member's header and where its data lies in the uncompressed archive. */
export interface TarMember extends Omit<RawTarEntry, 'data'> {
  /** offset is the byte position of the data in the archive; size its length (0 for all but files). */
  offset: number;
  size: number;
}

/**
 * TarScanner reads tar headers from the archive's bytes as they arrive, in chunks of any size, keeping only the
 * header and long-name/PAX blocks it is reading: file data is counted past, never held. `what` names it in errors.
 */
export class TarScanner {
  readonly members: TarMember[] = [];
  private readonly what: string;
  /** position is the archive offset of the next byte pushed. */
  private position = 0;
  /** wanted is how many bytes the current header or metadata block needs; skip, how many file bytes to pass. */
  private wanted = BLOCK;
  private skip = 0;
  /** padding is the part of skip after the member's data, which a last member may lack. */
  private padding = 0;
  private parts: Buffer[] = [];
  private held = 0;
  /** header is the ustar block whose long name or PAX data is being read (flag L, K, x or g). */
  private header: { block: Buffer; offset: number; size: number } | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax: Map<string, string> | undefined;
  private global = new Map<string, string>();
  private done = false;

  constructor(what: string) {
    this.what = what;
  }

  /** push takes the next bytes of the archive. */
  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.done) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        this.position += n;
        continue;
      }
      const n = Math.min(this.wanted - this.held, chunk.length - at);
      this.parts.push(Buffer.from(chunk.buffer, chunk.byteOffset + at, n));
      this.held += n;
      at += n;
      this.position += n;
      if (this.held < this.wanted) continue;
      // Copied: the caller may reuse its chunk's memory once push returns.
      const bytes = Buffer.concat(this.parts, this.held);
      this.parts = [];
      this.held = 0;
      if (this.header) this.metadata(bytes);
      else this.block(bytes, this.position - BLOCK);
    }
  }

  /** end checks that the archive did not stop inside a member's data and returns the members. */
  end(): TarMember[] {
    if (!this.done && (this.skip > this.padding || this.header)) {
      throw new InputError(`${this.what}: tar member at byte ${this.header?.offset ?? (this.members.at(-1)?.offset ?? BLOCK) - BLOCK} is truncated`);
    }
    this.done = true;
    return this.members;
  }

  private block(block: Buffer, offset: number): void {
    const what = this.what;
    if (block.every((byte) => byte === 0)) { this.done = true; return; }
    if (!checksumOk(block, what)) throw new InputError(`${what}: tar header checksum mismatch at byte ${offset}`);
    const flag = String.fromCharCode(block[156]!);
    const paxSize = this.pax?.get('size');
    const size = paxSize !== undefined ? Number(paxSize) : number(block, 124, 12, what);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if ('LKxg'.includes(flag)) {
      this.header = { block, offset, size };
      this.wanted = padded;
      if (padded === 0) this.metadata(Buffer.alloc(0));
      return;
    }
    const type = TYPES[flag];
    if (!type) throw new InputError(`${what}: unsupported tar member type "${flag}" at byte ${offset + BLOCK + padded}`);
    const ustar = block.toString('latin1', 257, 263) === 'ustar\0';
    const prefix = ustar ? cString(block, 345, 155) : '';
    const headerName = prefix ? `${prefix}/${cString(block, 0, 100)}` : cString(block, 0, 100);
    const records = new Map([...this.global, ...(this.pax ?? [])]);
    const paxNumber = (key: string): number | undefined => (records.has(key) ? Math.floor(Number(records.get(key))) : undefined);
    this.members.push({
      name: records.get('path') ?? this.longName ?? headerName,
      type,
      mode: number(block, 100, 8, what) & 0o7777,
      uid: paxNumber('uid') ?? number(block, 108, 8, what),
      gid: paxNumber('gid') ?? number(block, 116, 8, what),
      mtime: paxNumber('mtime') ?? number(block, 136, 12, what),
      linkname: records.get('linkpath') ?? this.longLink ?? cString(block, 157, 100),
      offset: offset + BLOCK,
      size: type === 'file' ? size : 0,
    });
    this.longName = this.longLink = this.pax = undefined;
    this.skip = padded;
    this.padding = padded - size;
  }

  private metadata(bytes: Buffer): void {
    const { block, size } = this.header!;
    const data = bytes.subarray(0, size);
    const flag = String.fromCharCode(block[156]!);
    if (flag === 'L') this.longName = cString(data, 0, data.length);
    else if (flag === 'K') this.longLink = cString(data, 0, data.length);
    else if (flag === 'x') this.pax = parsePax(data, this.what);
    else this.global = new Map([...this.global, ...parsePax(data, this.what)]);
    this.header = undefined;
    this.wanted = BLOCK;
  }
}

/** readTar parses every member of an uncompressed tar in one linear pass; `what` names it in errors. */
export function readTar(archive: Buffer, what: string): RawTarEntry[] {
  const scanner = new TarScanner(what);
  scanner.push(archive);
  return scanner.end().map(({ offset, size, ...member }) => ({ ...member, data: archive.subarray(offset, offset + size) }));
}
