// kiln scan [DIR|PLACE]: match every package an image holds against OSV advisories, with trivy's flags
// (--severity, --ignore-unfixed, --exit-code, --format) meaning what a trivy user expects.
import { defineCommand } from '../command.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../places/blob-file.js';
import type { ImagePlan } from '../../plan/index.js';
import { IMAGE_PLACE, imageInventory, pinnedPlan } from '../inventories.js';
import { jsonOption, manifestOptions, onlyOption } from '../options.js';
import type { Inventory } from '../../sbom/inventory.js';
import { DEFAULT_MAX_DB_AGE_DAYS, SEVERITIES, type ScanRun, type ScanTarget, type Severity } from '../../scan/index.js';

const FORMATS = ['table', 'json', 'sarif', 'cyclonedx'] as const;
type Format = (typeof FORMATS)[number];

/** parseSeverities reads `--severity CRITICAL,HIGH` (any case), refusing a name trivy would not know. */
export function parseSeverities(text: string): Severity[] {
  const names = text.split(',').map((name) => name.trim().toUpperCase()).filter(Boolean);
  const unknown = names.filter((name) => !(SEVERITIES as readonly string[]).includes(name));
  if (unknown.length || names.length === 0) throw new UsageError(`--severity ${text}: expected a comma-separated list of ${SEVERITIES.join(', ')}`);
  return [...new Set(names)] as Severity[];
}

function wholeNumber(flag: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) > max) throw new UsageError(`${flag} ${text}: expected a whole number from 0 to ${max}`);
  return Number(text);
}

/** Scanned is one image to scan: its inventory (for the BOM format) and its SBOM timestamp. */
interface Scanned {
  inventory: Inventory;
  epoch: number;
}

/** planInventories lists the pinned entries' inventories; a base kiln does not assemble is named in a warning. */
async function planInventories(entries: readonly ImagePlan[], warn: (line: string) => void): Promise<Scanned[]> {
  const { inventoryFromPlan } = await import('../../sbom/inventory.js');
  return entries.map((entry) => {
    if (entry.unresolved) throw new UsageError(`entry "${entry.name}" could not be resolved: ${entry.unresolved}`);
    const inventory = inventoryFromPlan(entry);
    if (inventory.base) {
      const where = inventory.base.kind === 'registry' ? inventory.base.reference : inventory.base.place;
      warn(`${entry.name}: only its Python packages are scanned; the packages of its base are not in the plan (kiln scan ${where} scans them)`);
    }
    return { inventory, epoch: entry.epoch };
  });
}

async function render(format: Format, run: ScanRun, scanned: readonly Scanned[], context: CommandContext): Promise<string> {
  if (format === 'table') {
    const { formatTable } = await import('../../scan/format/table.js');
    return run.results.map(formatTable).join('\n');
  }
  if (format === 'json') return (await import('../../scan/format/json.js')).formatJson(run.results, run.database);
  if (format === 'sarif') return (await import('../../scan/format/sarif.js')).formatSarif(run.results, context.version);
  const { cycloneDxBom, serializeBom } = await import('../../sbom/cyclonedx.js');
  const { addVulnerabilities } = await import('../../scan/format/cyclonedx.js');
  const { inventory, epoch } = scanned[0]!;
  return serializeBom(addVulnerabilities(cycloneDxBom(inventory, { epoch }), run.results[0]!));
}

export const command = defineCommand({
  summary: 'Scan images for known vulnerabilities against the OSV database (kiln db update, or --db PATH): each entry of a manifest from its pinned plan, or any image (oci:, docker-archive:, docker://) from its layers; every Debian package by its source package, every Python distribution. Exit 0 unless --exit-code N is given and findings remain. --compare PLACE counts the vulnerabilities of the entry and of another image of the same app side by side, by severity.',
  usage: 'kiln scan [DIR|PLACE] [-f kiln.yaml] [--plan plan.json] [--only NAME] [--db PATH] [--max-db-age DAYS] [--severity LIST] [--ignore-unfixed] [--ignorefile FILE] [--exit-code N] [--format table|json|sarif|cyclonedx] [-o FILE] [--compare PLACE]',
  arguments: [{ name: 'DIR|PLACE', description: 'a kiln.yaml folder or file (default .), or an image place' }],
  options: {
    ...manifestOptions,
    plan: { type: 'string', value: 'FILE', description: 'the entries of a plan file (kiln plan --json)' },
    ...onlyOption,
    db: { type: 'string', value: 'PATH', description: 'the OSV database (a zip or folder); default the one kiln db update keeps' },
    'max-db-age': { type: 'string', value: 'DAYS', description: `refuse a database older than this (default ${DEFAULT_MAX_DB_AGE_DAYS})` },
    severity: { type: 'string', short: 's', value: 'LIST', description: `the severities reported, comma-separated (${SEVERITIES.join(',')})` },
    'ignore-unfixed': { type: 'boolean', default: false, description: 'leave out vulnerabilities with no fixed version' },
    ignorefile: { type: 'string', value: 'FILE', description: 'a .trivyignore-style file of IDs to leave out (with exp: dates)' },
    'exit-code': { type: 'string', value: 'N', description: 'exit with N when findings remain (default 0)' },
    format: { type: 'string', default: 'table', choices: FORMATS, value: 'FORMAT', description: 'table, json, sarif or cyclonedx' },
    ...jsonOption,
    output: { type: 'string', short: 'o', value: 'FILE', description: 'write the report here instead of stdout' },
    compare: { type: 'string', value: 'PLACE', description: 'count the vulnerabilities of another image of the same app side by side' },
  },
  async run(values, positionals, context) {
    // --json is --format json, as in the other commands that print data.
    if (values.json && values.format !== 'table' && values.format !== 'json') throw new UsageError(`--json is --format json: give one of them, not --format ${values.format}`);
    const format = (values.json ? 'json' : values.format) as Format;
    const severities = values.severity === undefined ? undefined : parseSeverities(values.severity);
    const exitCode = values['exit-code'] === undefined ? 0 : wholeNumber('--exit-code', values['exit-code'], 255);
    const maxAgeDays = values['max-db-age'] === undefined ? DEFAULT_MAX_DB_AGE_DAYS : wholeNumber('--max-db-age', values['max-db-age'], 100_000);
    const place = positionals[0];
    const warn = (line: string): void => {
      context.stderr.write(`kiln: warning: ${line}\n`);
    };
    const { installedPackages } = await import('../../sbom/inventory.js');
    const { readIgnoreFile, scanTargets } = await import('../../scan/index.js');
    const ignores = values.ignorefile ? await readIgnoreFile(values.ignorefile) : [];
    let scanned: Scanned[];
    let manifestFile: string | undefined;
    if (place && IMAGE_PLACE.test(place)) {
      if (values.plan || values.file || values.only || context.overrides) throw new UsageError(`${place} is an image: --plan, -f, --set and --only describe a manifest's entries`);
      scanned = [await imageInventory(place, context)];
    } else {
      const plan = await pinnedPlan(values, place, context);
      manifestFile = plan.manifestFile;
      scanned = await planInventories(plan.images, warn);
    }
    if (format === 'cyclonedx' && scanned.length !== 1) {
      throw new UsageError(`--format cyclonedx writes one image's BOM, and the manifest has ${scanned.length} entries (${scanned.map(({ inventory }) => inventory.name).join(', ')}): name one with --only`);
    }
    if (values.compare !== undefined) {
      if (!IMAGE_PLACE.test(values.compare)) throw new UsageError(`--compare ${values.compare}: expected an image (oci:, docker-archive:, docker://)`);
      if (scanned.length !== 1) throw new UsageError(`--compare takes one image to compare against, and there are ${scanned.length} (${scanned.map(({ inventory }) => inventory.name).join(', ')}): name one with --only`);
      if (format !== 'table') throw new UsageError('--compare prints a table: give no --format');
      scanned.push(await imageInventory(values.compare, context));
    }
    const targets: ScanTarget[] = scanned.map(({ inventory }) => ({ name: inventory.name, packages: installedPackages(inventory) }));
    const run = await scanTargets(targets, { path: values.db, store: context.cache(), maxAgeDays }, {
      severities, ignoreUnfixed: values['ignore-unfixed'], ignores, today: new Date().toISOString().slice(0, 10),
    });
    for (const line of run.warnings) warn(line);
    for (const result of run.results) {
      for (const { finding, rule } of result.expired) {
        warn(`${values.ignorefile}:${rule.line}: the ignore entry for ${finding.id} expired on ${rule.expires}; ${finding.id} in ${finding.package.name} is reported again`);
      }
    }
    if (manifestFile !== undefined) {
      // Each entry's findings are kept in the cache for `kiln report` (the --compare image is not an entry).
      const { recordScan, scanRecord } = await import('../../scan/scan-record.js');
      const time = new Date().toISOString();
      for (const result of run.results.slice(0, values.compare === undefined ? run.results.length : 1)) {
        const record = scanRecord(result, { time, database: run.database.where, ...(severities ? { severities } : {}), ignoreUnfixed: values['ignore-unfixed'] });
        await recordScan(context.cache(), { manifestFile, name: result.target }, record);
      }
    }
    const text = values.compare === undefined
      ? await render(format, run, scanned, context)
      : (await import('../../scan/compare.js')).formatComparison(run.results[0]!, run.results[1]!);
    if (values.output) await writeFileAtomic(values.output, text);
    else context.stdout.write(text);
    // With --compare, the other image is a yardstick: only kiln's own findings decide the exit code.
    const gated = values.compare === undefined ? run.results : run.results.slice(0, 1);
    const remaining = gated.reduce((count, result) => count + result.findings.length, 0);
    return remaining > 0 ? exitCode : 0;
  },
});
