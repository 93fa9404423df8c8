// A deterministic ZIP writer for wheels: same members in, same bytes out (fixed timestamps, Unix
// modes, deflate at one level, members in the order given). Deflate is kiln's embedded libdeflate, as for layers: node:zlib's bytes
// depend on how Node was built, and an archive that lands in an image must not.
import { crc32 } from 'node:zlib';
import { deflateRaw } from '../../layer/libdeflate/index.js';
import { InputError } from '../../errors.js';

/** ZipMember is one file to store: its path in the archive, bytes and Unix permission bits. */
export interface ZipMember {
  name: string;
  data: Buffer;
  /** mode: permission bits, 0o644 by default; 0o755 marks an executable. */
  mode?: number;
}

/** ZIP_MIN_EPOCH is 1980-01-01T00:00:00Z, the earliest time a ZIP header can hold. */
export const ZIP_MIN_EPOCH = 315532800;

function dosDateTime(epoch: number): { date: number; time: number } {
  const at = new Date(Math.max(epoch, ZIP_MIN_EPOCH) * 1000);
  const date = ((at.getUTCFullYear() - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate();
  const time = (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2);
  return { date, time };
}

/** EntryFields are what a local header and its central directory record both carry. */
interface EntryFields {
  method: number;
  time: number;
  date: number;
  crc: number;
  compressedSize: number;
  size: number;
  nameLength: number;
}

// The local header and the central record hold the same run of fields (version needed .. name length),
// at offset 4 and 6 respectively; one writer keeps the two from drifting apart.
function writeEntryFields(header: Buffer, at: number, fields: EntryFields): void {
  header.writeUInt16LE(20, at); // version needed: 2.0
  header.writeUInt16LE(0x0800, at + 2); // UTF-8 names
  header.writeUInt16LE(fields.method, at + 4);
  header.writeUInt16LE(fields.time, at + 6);
  header.writeUInt16LE(fields.date, at + 8);
  header.writeUInt32LE(fields.crc, at + 10);
  header.writeUInt32LE(fields.compressedSize, at + 14);
  header.writeUInt32LE(fields.size, at + 18);
  header.writeUInt16LE(fields.nameLength, at + 22);
}

/** writeZip builds an archive of the members; timestamps are `epoch` clamped to 1980, in UTC. */
export function writeZip(members: readonly ZipMember[], epoch: number = ZIP_MIN_EPOCH): Buffer {
  const { date, time } = dosDateTime(epoch);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    const deflated = deflateRaw(member.data, 6);
    const stored = deflated.length >= member.data.length;
    const body = stored ? member.data : deflated;
    const crc = crc32(member.data);
    if (offset + body.length > 0xfffffffe) throw new InputError(`zip member "${member.name}" would need zip64, which kiln does not write`);
    const fields: EntryFields = { method: stored ? 0 : 8, time, date, crc, compressedSize: body.length, size: member.data.length, nameLength: name.length };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    writeEntryFields(local, 4, fields);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made on Unix, so the mode bits below are honoured
    writeEntryFields(central, 6, fields);
    central.writeUInt32LE(((0o100000 | (member.mode ?? 0o644)) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
