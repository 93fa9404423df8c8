// Reading an OSV database: export zips (`<Ecosystem>/all.zip`, one per ecosystem) or folders of JSON records,
// streamed one record at a time and kept only where they name a package being scanned, so memory follows the
// image, not the size of the database.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, errorMessage } from '../../errors.js';
import { advisoryKey, checkAffected, ecosystemId, installedKey, type InstalledPackage } from '../match.js';
import { parseOsvJson, type OsvRecord } from '../schema.js';
import { exportName } from './ecosystems.js';
import { zipEntries } from './zip-entries.js';

/** OsvDbFile is one file of a database: an export zip (of one named ecosystem, or unnamed) or one JSON record. */
export type OsvDbFile = { kind: 'zip'; path: string; ecosystem?: string } | { kind: 'json'; path: string };

/** OsvDatabase is a set of files to read records from, with the date each ecosystem's data was fetched. */
export interface OsvDatabase {
  /** where names the database in messages: a path, or the cache. */
  where: string;
  files: OsvDbFile[];
  /** fetched is, per ecosystem (or file), when its data was downloaded, for the staleness warning. */
  fetched: { what: string; date: Date }[];
}

/** OsvReadResult is what a read kept, and what it skipped. */
export interface OsvReadResult {
  /** records are the advisories naming a scanned package, with only those packages' affected entries. */
  records: OsvRecord[];
  /** read counts every record checked. */
  read: number;
  /** unknownEcosystems counts affected entries naming an ecosystem kiln does not know, by ecosystem. */
  unknownEcosystems: Map<string, number>;
}

async function walkJson(dir: string, found: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walkJson(path, found);
    else if (entry.name.endsWith('.json')) found.push(path);
  }
}

/**
 * openDatabaseAt opens `--db PATH`: a zip (any ecosystems), a folder of exports named by ecosystem
 * (`Debian:12.zip`, or `Debian:12/all.zip` as the bucket lays them out), or a folder of JSON records.
 * A folder with no export and no record for an ecosystem being scanned fails naming what it expected.
 */
export async function openDatabaseAt(path: string, ecosystems: readonly string[]): Promise<OsvDatabase> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new InputError(`OSV database ${path}: ${errorMessage(error)}`, { cause: error });
  }
  if (info.isFile()) return { where: path, files: [{ kind: 'zip', path }], fetched: [{ what: path, date: info.mtime }] };
  const files: OsvDbFile[] = [];
  const fetched: OsvDatabase['fetched'] = [];
  for (const ecosystem of ecosystems) {
    const name = exportName(ecosystem);
    for (const candidate of [join(path, `${name}.zip`), join(path, name, 'all.zip')]) {
      const found = await stat(candidate).catch(() => undefined);
      if (found?.isFile()) {
        files.push({ kind: 'zip', path: candidate, ecosystem });
        fetched.push({ what: ecosystem, date: found.mtime });
        break;
      }
    }
  }
  const records: string[] = [];
  await walkJson(path, records);
  records.sort();
  for (const record of records) files.push({ kind: 'json', path: record });
  const missing = ecosystems.filter((ecosystem) => !files.some((file) => file.kind === 'json' || (file.kind === 'zip' && file.ecosystem === ecosystem)));
  if (missing.length) {
    const expected = missing.map((ecosystem) => `${exportName(ecosystem)}.zip`).join(', ');
    throw new InputError(`OSV database ${path}: no export for ${missing.join(', ')} (expected ${expected}, <Ecosystem>/all.zip or JSON records)`);
  }
  return { where: path, files, fetched };
}

/** RecordFilter keeps the affected entries that name a scanned package and counts the ecosystems it cannot read. */
class RecordFilter {
  readonly records: OsvRecord[] = [];
  readonly unknownEcosystems = new Map<string, number>();
  /** seen counts records per ecosystem asked, so a database without any for one is caught. */
  readonly seen = new Map<string, number>();
  read = 0;

  constructor(private readonly wanted: ReadonlySet<string>, private readonly ecosystems: ReadonlyMap<string, string>) {}

  add(text: string, file: string): void {
    const record = parseOsvJson(text, file);
    this.read++;
    const counted = new Set<string>();
    const kept = record.affected.filter((affected) => {
      const ecosystem = ecosystemId(affected.package.ecosystem);
      if (ecosystem === undefined) {
        const name = affected.package.ecosystem;
        this.unknownEcosystems.set(name, (this.unknownEcosystems.get(name) ?? 0) + 1);
        return false;
      }
      const asked = this.ecosystems.get(ecosystem);
      if (asked === undefined) return false;
      if (!counted.has(asked)) {
        counted.add(asked);
        this.seen.set(asked, (this.seen.get(asked) ?? 0) + 1);
      }
      if (!this.wanted.has(advisoryKey(affected.package.ecosystem, affected.package.name)!)) return false;
      try {
        checkAffected(affected);
      } catch (error) {
        throw new InputError(`OSV record ${record.id}: ${affected.package.ecosystem}/${affected.package.name}: ${errorMessage(error)}`, { where: { file }, cause: error });
      }
      return true;
    });
    if (kept.length && !record.withdrawn) this.records.push({ ...record, affected: kept });
  }
}

/**
 * readRecords reads every record of `db`, schema-checking each, and keeps those naming one of `packages`.
 * An unreadable file, a malformed record, or an ecosystem being scanned that the database has no record for
 * fails with one line: a database that could not be read must never look like a clean image.
 */
export async function readRecords(db: OsvDatabase, packages: readonly InstalledPackage[]): Promise<OsvReadResult> {
  const ecosystems = new Map<string, string>();
  for (const pkg of packages) ecosystems.set(ecosystemId(pkg.ecosystem) ?? pkg.ecosystem, pkg.ecosystem);
  const filter = new RecordFilter(new Set(packages.map(installedKey)), ecosystems);
  for (const file of db.files) {
    if (file.kind === 'zip' && file.ecosystem && !ecosystems.has(ecosystemId(file.ecosystem) ?? '')) continue;
    if (file.kind === 'json') {
      filter.add(await readFile(file.path, 'utf8').catch((error: unknown) => {
        throw new InputError(`${file.path}: ${errorMessage(error)}`, { cause: error });
      }), file.path);
      continue;
    }
    for await (const entry of zipEntries(file.path)) {
      if (!entry.name.endsWith('.json')) continue;
      filter.add(entry.data.toString('utf8'), `${file.path}!/${entry.name}`);
    }
  }
  const empty = [...ecosystems.values()].filter((ecosystem) => !filter.seen.get(ecosystem));
  if (empty.length) {
    throw new InputError(`OSV database ${db.where} has no records for ${empty.join(', ')}: it cannot vouch for those packages (run kiln db update, or give --db an export that covers them)`);
  }
  return { records: filter.records, read: filter.read, unknownEcosystems: filter.unknownEcosystems };
}
