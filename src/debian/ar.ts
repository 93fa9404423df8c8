// A reader for the ar archives .deb files are: a magic line, then 60-byte headers each followed by data.
import { InputError } from '../errors.js';

/** ArMember is one member of an ar archive; data is a view into the archive's buffer, not a copy. */
export interface ArMember {
  name: string;
  data: Buffer;
}

const MAGIC = '!<arch>\n';
const HEADER_SIZE = 60;

/** parseAr lists the members of an ar archive in order; `what` names the archive in errors. */
export function parseAr(archive: Buffer, what: string): ArMember[] {
  if (archive.length < MAGIC.length || archive.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new InputError(`${what}: not an ar archive (bad magic)`);
  }
  const members: ArMember[] = [];
  let offset = MAGIC.length;
  while (offset < archive.length) {
    if (offset + HEADER_SIZE > archive.length) throw new InputError(`${what}: truncated ar header at byte ${offset}`);
    const header = archive.toString('latin1', offset, offset + HEADER_SIZE);
    if (header.slice(58, 60) !== '`\n') throw new InputError(`${what}: corrupt ar header at byte ${offset}`);
    // GNU ar ends names with '/', BSD and dpkg pad with spaces; .deb member names are short either way.
    const name = header.slice(0, 16).trimEnd().replace(/\/$/, '');
    const sizeText = header.slice(48, 58).trim();
    if (!/^\d+$/.test(sizeText)) throw new InputError(`${what}: bad size "${sizeText}" for ar member "${name}"`);
    const size = Number(sizeText);
    const start = offset + HEADER_SIZE;
    if (start + size > archive.length) throw new InputError(`${what}: ar member "${name}" is truncated`);
    members.push({ name, data: archive.subarray(start, start + size) });
    offset = start + size + (size % 2);
  }
  return members;
}
