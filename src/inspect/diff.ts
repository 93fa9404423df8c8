// diffImages: what changed between two images, as plain data: layers shared or not (by diffId), Debian and Python
// packages added, removed, upgraded or downgraded, files added, removed or modified (size, mode, content digest,
// type, link target), and runtime config changes.
import { compare as comparePep440, valid as validPep440 } from '@renovatebot/pep440';
import { compareVersions } from '../debian/version.js';
import type { ImageFile } from './image-files.js';
import type { ReadImage } from './image-summary.js';

/** LayerRef is one layer in a diff. */
export interface LayerRef {
  diffId: string;
  digest: string;
  size: number;
  createdBy?: string;
  comment?: string;
}

/** PackageChanges lists one ecosystem's package changes, each sorted by name. */
export interface PackageChanges {
  added: Array<{ name: string; version: string }>;
  removed: Array<{ name: string; version: string }>;
  upgraded: Array<{ name: string; from: string; to: string }>;
  downgraded: Array<{ name: string; from: string; to: string }>;
}

/** FileChange is one path that differs; sizes are absent on the side that lacks the path. */
export interface FileChange {
  path: string;
  change: 'added' | 'removed' | 'modified';
  sizeBefore?: number;
  sizeAfter?: number;
  /** what changed, for a modified path: `type`, `size`, `mode`, `content`, `link`. */
  what?: string[];
}

/** ConfigChange is one runtime config field (or one Env variable, label or port) that differs. */
export interface ConfigChange {
  field: string;
  before?: string;
  after?: string;
}

/** ImageDiff is the `kiln diff --json` document. */
export interface ImageDiff {
  a: { name: string; digest: string; size: number };
  b: { name: string; digest: string; size: number };
  layers: { shared: LayerRef[]; removed: LayerRef[]; added: LayerRef[] };
  debs: PackageChanges;
  python: PackageChanges;
  files: {
    changes: FileChange[];
    added: { count: number; bytes: number };
    removed: { count: number; bytes: number };
    modified: { count: number; bytesBefore: number; bytesAfter: number };
  };
  config: ConfigChange[];
}

function layerRefs(image: ReadImage): LayerRef[] {
  return image.summary.layers.map((layer) => ({ diffId: layer.diffId, digest: layer.digest, size: layer.size, ...(layer.createdBy ? { createdBy: layer.createdBy } : {}), ...(layer.comment ? { comment: layer.comment } : {}) }));
}

function packageChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>, compare: (a: string, b: string) => number): PackageChanges {
  const changes: PackageChanges = { added: [], removed: [], upgraded: [], downgraded: [] };
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const from = before.get(name);
    const to = after.get(name);
    if (from === undefined) changes.added.push({ name, version: to! });
    else if (to === undefined) changes.removed.push({ name, version: from });
    else if (from !== to) (compare(from, to) <= 0 ? changes.upgraded : changes.downgraded).push({ name, from, to });
  }
  return changes;
}

function pythonCompare(a: string, b: string): number {
  return validPep440(a) && validPep440(b) ? comparePep440(a, b) : a < b ? -1 : a > b ? 1 : 0;
}

function fileDifferences(a: ImageFile, b: ImageFile): string[] {
  const what: string[] = [];
  if (a.type !== b.type) what.push('type');
  if (a.size !== b.size) what.push('size');
  if (a.mode !== b.mode) what.push('mode');
  if (a.type === b.type && a.type === 'file' && a.size === b.size && a.digest !== b.digest) what.push('content');
  if ((a.linkname ?? '') !== (b.linkname ?? '')) what.push('link');
  return what;
}

function fileChanges(a: ReadImage, b: ReadImage): ImageDiff['files'] {
  const changes: FileChange[] = [];
  const before = a.files.files;
  const after = b.files.files;
  // Folders are listed by what they hold; a folder's own entry changing (mode aside) is noise.
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const from = before.get(path);
    const to = after.get(path);
    if (from?.type === 'directory' && to?.type === 'directory') {
      if (from.mode !== to.mode) changes.push({ path: `/${path}`, change: 'modified', sizeBefore: 0, sizeAfter: 0, what: ['mode'] });
      continue;
    }
    if (from?.type === 'directory' && !to) continue;
    if (to?.type === 'directory' && !from) continue;
    if (!from) changes.push({ path: `/${path}`, change: 'added', sizeAfter: to!.size });
    else if (!to) changes.push({ path: `/${path}`, change: 'removed', sizeBefore: from.size });
    else {
      const what = fileDifferences(from, to);
      if (what.length) changes.push({ path: `/${path}`, change: 'modified', sizeBefore: from.size, sizeAfter: to.size, what });
    }
  }
  const of = (kind: FileChange['change']): FileChange[] => changes.filter((change) => change.change === kind);
  return {
    changes,
    added: { count: of('added').length, bytes: of('added').reduce((sum, change) => sum + change.sizeAfter!, 0) },
    removed: { count: of('removed').length, bytes: of('removed').reduce((sum, change) => sum + change.sizeBefore!, 0) },
    modified: {
      count: of('modified').length,
      bytesBefore: of('modified').reduce((sum, change) => sum + change.sizeBefore!, 0),
      bytesAfter: of('modified').reduce((sum, change) => sum + change.sizeAfter!, 0),
    },
  };
}

function scalar(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function configChanges(a: ReadImage, b: ReadImage): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const push = (field: string, before: unknown, after: unknown): void => {
    const from = scalar(before);
    const to = scalar(after);
    if (from !== to) changes.push({ field, ...(from === undefined ? {} : { before: from }), ...(to === undefined ? {} : { after: to }) });
  };
  const [pa, pb] = [a.summary.platform, b.summary.platform];
  push('platform', `${pa.os}/${pa.architecture}${pa.variant ? `/${pa.variant}` : ''}`, `${pb.os}/${pb.architecture}${pb.variant ? `/${pb.variant}` : ''}`);
  const [ca, cb] = [a.summary.config, b.summary.config];
  push('entrypoint', ca.entrypoint, cb.entrypoint);
  push('cmd', ca.cmd, cb.cmd);
  push('user', ca.user, cb.user);
  push('workdir', ca.workdir, cb.workdir);
  const env = (list: string[]): Map<string, string> => new Map(list.map((entry) => [entry.split('=')[0]!, entry.slice(entry.indexOf('=') + 1)] as const));
  const [ea, eb] = [env(ca.env), env(cb.env)];
  for (const name of [...new Set([...ea.keys(), ...eb.keys()])].sort()) push(`env ${name}`, ea.get(name), eb.get(name));
  for (const name of [...new Set([...Object.keys(ca.labels), ...Object.keys(cb.labels)])].sort()) push(`label ${name}`, ca.labels[name], cb.labels[name]);
  push('ports', ca.exposedPorts.join(' ') || undefined, cb.exposedPorts.join(' ') || undefined);
  return changes;
}

/** diffImages compares two images read with `inspectImage(..., { digests: true })`. */
export function diffImages(a: ReadImage, b: ReadImage): ImageDiff {
  const [la, lb] = [layerRefs(a), layerRefs(b)];
  const inA = new Set(la.map((layer) => layer.diffId));
  const inB = new Set(lb.map((layer) => layer.diffId));
  const versions = (pairs: Array<{ name: string; version: string }>): Map<string, string> => new Map(pairs.map(({ name, version }) => [name, version] as const));
  return {
    a: { name: a.summary.name, digest: a.summary.digest, size: a.summary.size },
    b: { name: b.summary.name, digest: b.summary.digest, size: b.summary.size },
    layers: {
      shared: lb.filter((layer) => inA.has(layer.diffId)),
      removed: la.filter((layer) => !inB.has(layer.diffId)),
      added: lb.filter((layer) => !inA.has(layer.diffId)),
    },
    debs: packageChanges(versions(a.packages.debs), versions(b.packages.debs), compareVersions),
    python: packageChanges(
      versions(a.packages.python.map((dist) => ({ name: dist.key, version: dist.version }))),
      versions(b.packages.python.map((dist) => ({ name: dist.key, version: dist.version }))),
      pythonCompare,
    ),
    files: fileChanges(a, b),
    config: configChanges(a, b),
  };
}
