// A reader for a whole tar archive held in memory (ustar, GNU long names, PAX), giving views, not copies.
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

/** readTar parses every member of an uncompressed tar in one linear pass; `what` names it in errors. */
export function readTar(archive: Buffer, what: string): RawTarEntry[] {
  const entries: RawTarEntry[] = [];
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Map<string, string> | undefined;
  let global = new Map<string, string>();
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    if (!checksumOk(block, what)) throw new InputError(`${what}: tar header checksum mismatch at byte ${offset}`);
    const flag = String.fromCharCode(block[156]!);
    const paxSize = pax?.get('size');
    const size = paxSize !== undefined ? Number(paxSize) : number(block, 124, 12, what);
    const dataStart = offset + BLOCK;
    if (dataStart + size > archive.length) throw new InputError(`${what}: tar member at byte ${offset} is truncated`);
    const data = archive.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'L') { longName = cString(data, 0, data.length); continue; }
    if (flag === 'K') { longLink = cString(data, 0, data.length); continue; }
    if (flag === 'x') { pax = parsePax(data, what); continue; }
    if (flag === 'g') { global = new Map([...global, ...parsePax(data, what)]); continue; }
    const type = TYPES[flag];
    if (!type) throw new InputError(`${what}: unsupported tar member type "${flag}" at byte ${offset}`);
    const ustar = block.toString('latin1', 257, 263) === 'ustar\0';
    const prefix = ustar ? cString(block, 345, 155) : '';
    const headerName = prefix ? `${prefix}/${cString(block, 0, 100)}` : cString(block, 0, 100);
    const records = new Map([...global, ...(pax ?? [])]);
    const paxNumber = (key: string): number | undefined => (records.has(key) ? Math.floor(Number(records.get(key))) : undefined);
    entries.push({
      name: records.get('path') ?? longName ?? headerName,
      type,
      mode: number(block, 100, 8, what) & 0o7777,
      uid: paxNumber('uid') ?? number(block, 108, 8, what),
      gid: paxNumber('gid') ?? number(block, 116, 8, what),
      mtime: paxNumber('mtime') ?? number(block, 136, 12, what),
      linkname: records.get('linkpath') ?? longLink ?? cString(block, 157, 100),
      data: type === 'file' ? data : Buffer.alloc(0),
    });
    longName = longLink = pax = undefined;
  }
  return entries;
}
