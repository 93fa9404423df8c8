// A deterministic ZIP writer for wheels: same members in, same bytes out (fixed timestamps, Unix
// modes, deflate at one level, members in the order given).
import { crc32, deflateRawSync } from 'node:zlib';
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

/** writeZip builds an archive of the members; timestamps are `epoch` clamped to 1980, in UTC. */
export function writeZip(members: readonly ZipMember[], epoch: number = ZIP_MIN_EPOCH): Buffer {
  const { date, time } = dosDateTime(epoch);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name, 'utf8');
    const deflated = deflateRawSync(member.data, { level: 6 });
    const stored = deflated.length >= member.data.length;
    const body = stored ? member.data : deflated;
    const crc = crc32(member.data);
    if (offset + body.length > 0xfffffffe) throw new InputError(`zip member "${member.name}" would need zip64, which kiln does not write`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(member.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made on Unix, so the mode bits below are honoured
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(member.data.length, 24);
    central.writeUInt16LE(name.length, 28);
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
