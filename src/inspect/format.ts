// Text renderings of inspect, why and diff for a terminal: aligned columns, sizes in decimal units like `docker images`.
import type { ImageDiff, PackageChanges } from './diff.js';
import type { ImageSummary } from './image-summary.js';
import type { WhyResult } from './why.js';

/** bytes prints a size with decimal units, as `docker images` does. */
export function bytes(size: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(Math.abs(value) >= 100 ? 0 : 1)} ${units[unit]}`;
}

// History lines can list every package of a layer: the text keeps the start, --json has all of it.
function clip(text: string, width = 80): string {
  return text.length > width ? `${text.slice(0, width - 3)}...` : text;
}

function table(rows: string[][], indent = '  '): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

/** formatSummary renders `kiln inspect`. */
export function formatSummary(summary: ImageSummary): string {
  const { config, platform } = summary;
  const lines = [
    `${summary.name}  ${summary.digest}`,
    `  platform    ${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}${summary.os ? `  (${summary.os.prettyName ?? `${summary.os.id} ${summary.os.versionId}`})` : ''}`,
    `  size        ${bytes(summary.size)} compressed, ${bytes(summary.unpackedSize)} unpacked, ${summary.layers.length} layers`,
  ];
  if (config.created) lines.push(`  created     ${config.created}`);
  if (config.entrypoint) lines.push(`  entrypoint  ${JSON.stringify(config.entrypoint)}`);
  if (config.cmd) lines.push(`  cmd         ${JSON.stringify(config.cmd)}`);
  if (config.user) lines.push(`  user        ${config.user}`);
  if (config.workdir) lines.push(`  workdir     ${config.workdir}`);
  if (config.exposedPorts.length) lines.push(`  ports       ${config.exposedPorts.join(' ')}`);
  for (const entry of config.env) lines.push(`  env         ${entry}`);
  for (const [key, value] of Object.entries(config.labels).sort()) lines.push(`  label       ${key}=${value}`);
  lines.push('', 'layers:');
  for (const [i, layer] of summary.layers.entries()) {
    const what = layer.comment ?? layer.createdBy ?? '';
    lines.push(`  ${String(i).padStart(2)}  ${layer.digest.slice(7, 19)}  ${bytes(layer.size).padStart(8)}  ${bytes(layer.uncompressedSize).padStart(8)} unpacked  ${layer.files} files  ${clip(what)}`);
    if (layer.folders.length) lines.push(`      ${layer.folders.map((folder) => `${folder.path} ${bytes(folder.size)}`).join(', ')}`);
    const packages = [...layer.debs, ...layer.python];
    if (packages.length) lines.push(`      ${packages.length} packages: ${packages.slice(0, 12).join(' ')}${packages.length > 12 ? ' ...' : ''}`);
  }
  if (summary.debs.length) {
    lines.push('', `debian packages (${summary.debs.length}, ${bytes(summary.debs.reduce((sum, deb) => sum + deb.installedSize, 0))} installed):`);
    lines.push(...table(summary.debs.map((deb) => [deb.name, deb.version, bytes(deb.installedSize), deb.layer === undefined ? '' : `layer ${deb.layer}`])));
  }
  if (summary.python.length) {
    lines.push('', `python packages (${summary.python.length}, ${bytes(summary.python.reduce((sum, dist) => sum + dist.size, 0))} installed):`);
    lines.push(...table(summary.python.map((dist) => [dist.name, dist.version, bytes(dist.size), `layer ${dist.layer}`, dist.location])));
  }
  return `${lines.join('\n')}\n`;
}

/** formatWhy renders `kiln why`. */
export function formatWhy(results: readonly WhyResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    if (lines.length) lines.push('');
    lines.push(`${result.name} ${result.version} (${result.ecosystem}, ${bytes(result.size)} installed)`);
    if (result.root) lines.push('  requested (a root: nothing installed depends on it, or the plan asked for it)');
    if (result.requiredBy.length) lines.push(`  required by: ${result.requiredBy.join(', ')}`);
    for (const chain of result.chains) if (chain.length > 1) lines.push(`  ${chain.map((step) => step.name).join(' -> ')}`);
    const others = result.exclusive.slice(1);
    lines.push(`  removing it saves ${bytes(result.saves)}${others.length ? `: it and ${others.length} packages only it pulls in` : ''}`);
    if (others.length) lines.push(...table([...others].sort((a, b) => b.size - a.size).slice(0, 15).map((pkg) => [pkg.name, pkg.version, bytes(pkg.size)]), '    '));
    if (others.length > 15) lines.push(`    ... and ${others.length - 15} more`);
  }
  return `${lines.join('\n')}\n`;
}

function packageLines(title: string, changes: PackageChanges): string[] {
  const rows = [
    ...changes.added.map((pkg) => ['+', pkg.name, pkg.version]),
    ...changes.removed.map((pkg) => ['-', pkg.name, pkg.version]),
    ...changes.upgraded.map((pkg) => ['^', pkg.name, `${pkg.from} -> ${pkg.to}`]),
    ...changes.downgraded.map((pkg) => ['v', pkg.name, `${pkg.from} -> ${pkg.to}`]),
  ];
  if (rows.length === 0) return [];
  return ['', `${title}: ${changes.added.length} added, ${changes.removed.length} removed, ${changes.upgraded.length} upgraded, ${changes.downgraded.length} downgraded`, ...table(rows)];
}

/** formatDiff renders `kiln diff`; files are listed biggest first, up to `fileLimit`. */
export function formatDiff(diff: ImageDiff, fileLimit = 30): string {
  const { layers, files } = diff;
  const lines = [
    `--- ${diff.a.name}  ${diff.a.digest}  ${bytes(diff.a.size)}`,
    `+++ ${diff.b.name}  ${diff.b.digest}  ${bytes(diff.b.size)}`,
    '',
    `layers: ${layers.shared.length} shared, ${layers.removed.length} removed, ${layers.added.length} added`,
    ...layers.removed.map((layer) => `  - ${layer.digest.slice(7, 19)}  ${bytes(layer.size).padStart(8)}  ${clip(layer.comment ?? layer.createdBy ?? '')}`.trimEnd()),
    ...layers.added.map((layer) => `  + ${layer.digest.slice(7, 19)}  ${bytes(layer.size).padStart(8)}  ${clip(layer.comment ?? layer.createdBy ?? '')}`.trimEnd()),
    ...packageLines('debian packages', diff.debs),
    ...packageLines('python packages', diff.python),
  ];
  if (diff.config.length) {
    lines.push('', 'config:');
    lines.push(...table(diff.config.map((change) => [change.field, change.before ?? '(unset)', '->', change.after ?? '(unset)'])));
  }
  lines.push('', `files: ${files.added.count} added (${bytes(files.added.bytes)}), ${files.removed.count} removed (${bytes(files.removed.bytes)}), ${files.modified.count} modified (${bytes(files.modified.bytesBefore)} -> ${bytes(files.modified.bytesAfter)})`);
  const biggest = [...files.changes].sort((a, b) => Math.max(b.sizeBefore ?? 0, b.sizeAfter ?? 0) - Math.max(a.sizeBefore ?? 0, a.sizeAfter ?? 0) || (a.path < b.path ? -1 : 1));
  const sign = { added: '+', removed: '-', modified: '~' } as const;
  lines.push(...table(biggest.slice(0, fileLimit).map((change) => [
    sign[change.change],
    change.change === 'modified' ? `${bytes(change.sizeBefore!)} -> ${bytes(change.sizeAfter!)}` : bytes(change.sizeAfter ?? change.sizeBefore ?? 0),
    `${change.path}${change.what ? `  (${change.what.join(', ')})` : ''}`,
  ])));
  if (biggest.length > fileLimit) lines.push(`  ... and ${biggest.length - fileLimit} more (--json lists all)`);
  return `${lines.join('\n')}\n`;
}
