// The scan gate: before an entry is published, its pinned packages are scanned against the OSV database with the
// entry's policy (kiln.yaml `scan:`). An entry that fails, or that cannot be scanned, is not published, and like any
// failed upload it holds back every tag of the run unless --partial.
import type { BlobStore } from '../cache/blob-store.js';
import { errorMessage, KilnError } from '../errors.js';
import type { Image } from '../oci/image.js';
import { isImageIndex, type ImageOrIndex } from '../oci/image-index.js';
import { formatPlatform, platformEntries } from '../plan/platforms.js';
import type { ImagePlan, ScanPolicy } from '../plan/types.js';
import type { ScanRecord } from '../scan/scan-record.js';

/** GateVerdict is one entry's gate result: `failure` is the one-line reason it may not be published. */
export interface GateVerdict {
  passed: boolean;
  /** summary is one line for logs and reports: what was found, ignored and filtered. */
  summary: string;
}

/** GateContext: the cache (which holds the database kiln db update wrote), or `db` (--db), and a log. */
export interface GateContext {
  store: BlobStore;
  db?: string;
  log: (line: string) => void;
  now?: Date;
  /** manifestFile, when set, keeps each entry's findings in the cache as its last scan (what `kiln report` shows). */
  manifestFile?: string;
}

/**
 * scanGate scans every built entry that has a policy, reading the database once; entries without one are absent from
 * the map. A pinned distro or scratch entry is scanned from its plan (exact); any other (a registry or local base, or
 * an entry published from a build record) from its image's layers, so the base's packages are scanned too. An index
 * is scanned per platform (each has its own packages): it passes only if every platform passes.
 */
export async function scanGate(built: ReadonlyArray<{ entry: ImagePlan; image: ImageOrIndex }>, context: GateContext): Promise<Map<string, GateVerdict>> {
  const images: Array<{ entry: ImagePlan; image: Image; of: string }> = [];
  for (const { entry, image } of built) {
    if (!isImageIndex(image)) {
      images.push({ entry, image, of: entry.name });
      continue;
    }
    const parts = platformEntries(entry);
    for (const child of await image.children()) {
      const part = parts.find((p) => p.platform.os === child.platform.os && p.platform.architecture === child.platform.architecture && p.platform.variant === child.platform.variant);
      const { platforms: _platforms, ...plain } = entry;
      // An index published from a build record has no per-platform pins here: its layers are scanned.
      const childEntry: ImagePlan = part ?? { ...plain, platform: child.platform };
      images.push({ entry: { ...childEntry, name: `${entry.name} ${formatPlatform(child.platform)}` }, image: child.image, of: entry.name });
    }
  }
  const { verdicts: perImage, records } = await scanImages(images, context);
  if (context.manifestFile) {
    const { mergeRecords, recordScan } = await import('../scan/scan-record.js');
    for (const name of new Set(images.map(({ of }) => of))) {
      const own = images.filter(({ of }) => of === name).map(({ entry }) => records.get(entry.name));
      // Kept only when every platform was scanned: a partial result would read as the whole entry's.
      if (own.length && own.every((record) => record)) await recordScan(context.store, { manifestFile: context.manifestFile, name }, mergeRecords(own as ScanRecord[]));
    }
  }
  const verdicts = new Map<string, GateVerdict>();
  for (const { entry, of } of images) {
    const verdict = perImage.get(entry.name);
    if (!verdict) continue;
    const named = of === entry.name ? verdict : { ...verdict, summary: `${entry.name.slice(of.length + 1)}: ${verdict.summary}` };
    const before = verdicts.get(of);
    if (!before) verdicts.set(of, named);
    else if (before.passed && !named.passed) verdicts.set(of, named);
    else if (before.passed === named.passed) verdicts.set(of, { passed: before.passed, summary: `${before.summary}; ${named.summary}` });
  }
  return verdicts;
}

async function scanImages(built: ReadonlyArray<{ entry: ImagePlan; image: Image }>, context: GateContext): Promise<{ verdicts: Map<string, GateVerdict>; records: Map<string, ScanRecord> }> {
  const verdicts = new Map<string, GateVerdict>();
  const records = new Map<string, ScanRecord>();
  const gated = built.filter((item): item is { entry: ImagePlan & { scan: ScanPolicy }; image: Image } => item.entry.scan !== false);
  if (gated.length === 0) return { verdicts, records };
  const { scanTargets, readIgnoreFile } = await import('../scan/index.js');
  const { scanRecord } = await import('../scan/scan-record.js');
  const { installedPackages, inventoryFromPlan } = await import('../sbom/inventory.js');
  const inventoryOf = async (entry: ImagePlan, image: Image) => {
    const base = entry.pinned?.base.kind;
    if (base === 'distro' || base === 'scratch') return inventoryFromPlan(entry);
    const { inventoryFromImage } = await import('../sbom/from-layers.js');
    return inventoryFromImage(image, { name: entry.name });
  };
  const now = context.now ?? new Date();
  const targets = [];
  for (const { entry, image } of gated) {
    try {
      const ignores = entry.scan.ignorefile ? await readIgnoreFile(entry.scan.ignorefile) : [];
      targets.push({
        name: entry.name,
        packages: installedPackages(await inventoryOf(entry, image)),
        options: { severities: entry.scan.severity, ignoreUnfixed: entry.scan.ignoreUnfixed, ignores },
      });
    } catch (error) {
      if (!(error instanceof KilnError)) throw error;
      verdicts.set(entry.name, { passed: false, summary: `scan gate: cannot scan: ${errorMessage(error)}` });
    }
  }
  try {
    const run = await scanTargets(targets, { store: context.store, ...(context.db ? { path: context.db } : {}), now }, { today: now.toISOString().slice(0, 10) });
    for (const warning of run.warnings) context.log(`scan gate: ${warning}`);
    const time = now.toISOString();
    for (const result of run.results) {
      const policy = gated.find(({ entry }) => entry.name === result.target)!.entry.scan;
      records.set(result.target, scanRecord(result, { time, database: run.database.where, severities: policy.severity, ignoreUnfixed: policy.ignoreUnfixed }));
      const ids = result.findings.map((finding) => finding.id);
      const extra = [
        result.ignored.length ? `${result.ignored.length} ignored` : '',
        result.expired.length ? `${result.expired.length} ignore rule(s) expired` : '',
      ].filter(Boolean).join(', ');
      const tail = extra ? `; ${extra}` : '';
      verdicts.set(result.target, ids.length
        ? { passed: false, summary: `scan gate: ${ids.length} finding(s) at ${policy.severity.join(',')}${policy.ignoreUnfixed ? ' (fixed only)' : ''}: ${[...new Set(ids)].slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}${tail}` }
        : { passed: true, summary: `scan gate: passed (no finding at ${policy.severity.join(',')}${tail})` });
    }
  } catch (error) {
    // No database, or one that cannot be read: nothing is known to be safe, so nothing gated is published.
    if (!(error instanceof KilnError)) throw error;
    for (const target of targets) verdicts.set(target.name, { passed: false, summary: `scan gate: ${errorMessage(error)}` });
  }
  return { verdicts, records };
}
