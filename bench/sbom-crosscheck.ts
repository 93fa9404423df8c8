// bench/sbom-crosscheck.ts: kiln's SBOMs against an independent generator, cdxgen (which reads OS packages through
// its bundled trivy and Python dist-info itself), on docker-archives of images kiln built. Not in CI: it installs
// cdxgen from npm into a cache folder outside the repo. Prints the pkg:deb and pkg:pypi differences; asserts nothing.
//   node --import tsx bench/sbom-crosscheck.ts [--model-servers]
// $KILN_BENCH_CACHE (default ~/.cache/kiln-bench) holds cdxgen; examples are built with a cache in a temp folder.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PackageURL } from 'packageurl-js';
import { runKiln, repoRoot } from '../src/testing/cli.js';
import { copyModelServers, trainModels } from '../src/testing/model-servers.js';
import { copyPythonProject, SLIM_PIP_MANIFEST } from '../src/testing/python-project.js';

const exec = promisify(execFile);
// cdxgen pulls its Linux plugin binaries (trivy among them) as optional dependencies of its own:
// @cdxgen/cdxgen-plugins-bin-linux-amd64. The older @cyclonedx/cdxgen-plugins-bin package ships an empty plugins folder.
const CDXGEN_VERSION = '12.8.4';
const cacheRoot = process.env.KILN_BENCH_CACHE ?? join(homedir(), '.cache', 'kiln-bench');
const cdxgenDir = join(cacheRoot, `cdxgen-${CDXGEN_VERSION}`);
const cdxgenBin = join(cdxgenDir, 'node_modules/@cyclonedx/cdxgen/bin/cdxgen.js');

/** Case is one image to compare: a project folder kiln builds, and the entry to name with --only. */
interface Case { name: string; project: string; only?: string }

async function installCdxgen(): Promise<void> {
  if (existsSync(cdxgenBin)) return;
  console.log(`installing @cyclonedx/cdxgen@${CDXGEN_VERSION} into ${cdxgenDir}`);
  await exec('npm', ['install', '--prefix', cdxgenDir, '--no-audit', '--no-fund', `@cyclonedx/cdxgen@${CDXGEN_VERSION}`], { maxBuffer: 1 << 26 });
}

function cdxgen(archive: string, output: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [cdxgenBin, '-t', 'docker', archive, '-o', output, '--no-install-deps'], {
      env: { ...process.env, FETCH_LICENSE: 'false', CDXGEN_TEMP_DIR: join(tmpdir(), 'kiln-bench-cdxgen') },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && existsSync(output) ? resolve((Date.now() - started) / 1000) : reject(new Error(`cdxgen failed (${code}): ${stderr.slice(-2000)}`))));
  });
}

async function kiln(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runKiln(args, { env });
  if (result.code !== 0) throw new Error(`kiln ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

interface Component { purl?: string; tags?: string[]; properties?: Array<{ name: string; value: string }> }

/**
 * key names a package as both tools must agree on it: type, name (PEP 503 for pypi) and version, plus arch for debs.
 * Qualifiers are conventions, not identity: cdxgen adds distro_name, and writes an epoch both in the version and as
 * an `epoch` qualifier (trivy's form: version without it); kiln keeps dpkg's `E:V` in the version.
 */
function key(purl: string): string | undefined {
  const parsed = PackageURL.fromString(purl);
  if (parsed.type === 'pypi') return `pypi/${parsed.name.toLowerCase().replace(/[-_.]+/g, '-')}@${parsed.version}`;
  if (parsed.type !== 'deb') return undefined;
  const epoch = parsed.qualifiers?.epoch;
  const version = epoch && !parsed.version!.includes(':') ? `${epoch}:${parsed.version}` : parsed.version;
  return `deb/${parsed.name}@${version}?arch=${parsed.qualifiers?.arch ?? ''}`;
}

/**
 * packages are the installed pkg:deb and pkg:pypi components, and the source packages cdxgen adds (tagged "source").
 * cdxgen merges a source component into the binary with the same purl (python3.11 built from python3.11, same
 * version and arch), keeping either tag: trivy's PkgID property is what marks a package trivy found installed.
 */
function packages(sbom: string): { installed: Set<string>; sources: Set<string> } {
  const components = (JSON.parse(sbom) as { components?: Component[] }).components ?? [];
  const installed = new Set<string>();
  const sources = new Set<string>();
  for (const component of components) {
    const name = component.purl && key(component.purl);
    if (!name) continue;
    const source = component.tags?.includes('source') ?? false;
    if (source) sources.add(name.replace(/\?arch=.*$/, ''));
    if (!source || component.properties?.some((property) => property.name === 'aquasecurity:trivy:PkgID')) installed.add(name);
  }
  return { installed, sources };
}

/** kilnSources are the source packages kiln's SBOM names (kiln:deb:source), at the binary's version (or its own). */
function kilnSources(sbom: string, sourceVersions: Map<string, string>): Set<string> {
  const components = (JSON.parse(sbom) as { components?: Component[] }).components ?? [];
  const sources = new Set<string>();
  for (const component of components) {
    const source = component.properties?.find((property) => property.name === 'kiln:deb:source')?.value;
    if (!source || !component.purl) continue;
    const parsed = PackageURL.fromString(component.purl);
    sources.add(`deb/${source}@${sourceVersions.get(parsed.name) ?? parsed.version}`);
  }
  return sources;
}

function difference(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((item) => !b.has(item)).sort();
}

function report(label: string, onlyKiln: string[], onlyOther: string[]): void {
  console.log(`  ${label}: ${onlyKiln.length === 0 && onlyOther.length === 0 ? 'identical' : `${onlyKiln.length} only in kiln, ${onlyOther.length} only in cdxgen`}`);
  for (const item of onlyKiln) console.log(`    - kiln only:   ${item}`);
  for (const item of onlyOther) console.log(`    + cdxgen only: ${item}`);
}

async function compare(work: string, entry: Case): Promise<void> {
  const env = { KILN_CACHE_DIR: join(work, 'kiln-cache') };
  const archive = join(work, `${entry.name}.tar`);
  const only = entry.only ? ['--only', entry.only] : [];
  let started = Date.now();
  await kiln(['build', entry.project, '-q', ...only, '-o', `docker-archive:${archive}:kiln-bench/${entry.name}:latest`], env);
  const buildSeconds = (Date.now() - started) / 1000;
  const fromPlan = await kiln(['sbom', entry.project, ...only], env);
  started = Date.now();
  const fromLayers = await kiln(['sbom', `docker-archive:${archive}`], env);
  const kilnSeconds = (Date.now() - started) / 1000;
  const cdxgenFile = join(work, `${entry.name}.cdxgen.json`);
  const cdxgenSeconds = await cdxgen(archive, cdxgenFile);
  const other = packages(await readFile(cdxgenFile, 'utf8'));
  const plan = packages(fromPlan).installed;
  const layers = packages(fromLayers).installed;
  await writeFile(join(work, `${entry.name}.kiln.json`), fromLayers);

  const count = (set: Set<string>, type: string) => [...set].filter((item) => item.startsWith(`${type}/`)).length;
  console.log(`${entry.name}: build ${buildSeconds.toFixed(1)} s; kiln sbom from layers ${kilnSeconds.toFixed(1)} s, cdxgen ${cdxgenSeconds.toFixed(1)} s`);
  console.log(`  kiln (layers): ${count(layers, 'deb')} deb, ${count(layers, 'pypi')} pypi; cdxgen: ${count(other.installed, 'deb')} deb, ${count(other.installed, 'pypi')} pypi, ${other.sources.size} source packages`);
  report('kiln plan vs kiln layers', difference(plan, layers), difference(layers, plan));
  report('installed packages, kiln vs cdxgen', difference(layers, other.installed), difference(other.installed, layers));
  // Source package names and versions: dpkg's Source field as kiln reads it, against trivy's (via cdxgen).
  const sources = kilnSources(fromLayers, await layerSourceVersions(archive, env));
  // A source named like one of its binaries, at the same version, is that binary's component in cdxgen's BOM.
  const otherSources = new Set([...other.sources, ...[...other.installed].map((item) => item.replace(/\?arch=.*$/, ''))]);
  report('source packages, kiln vs cdxgen', difference(sources, otherSources), difference(other.sources, sources));
}

// The CycloneDX BOM carries the source name but not a differing source version (binNMUs): read it from the inventory.
async function layerSourceVersions(archive: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const { readImage } = await import('../src/places/index.js');
  const { BlobStore } = await import('../src/cache/blob-store.js');
  const { inventoryFromImage } = await import('../src/sbom/from-layers.js');
  const image = await readImage(`docker-archive:${archive}`, { store: new BlobStore(env.KILN_CACHE_DIR!) });
  const inventory = await inventoryFromImage(image, { name: archive });
  return new Map(inventory.debs.flatMap((deb) => (deb.sourceVersion ? [[deb.name, deb.sourceVersion] as [string, string]] : [])));
}

const work = await mkdtemp(join(tmpdir(), 'kiln-bench-sbom-'));
try {
  await installCdxgen();
  const hello = join(work, 'hello-python');
  await cp(join(repoRoot, 'examples/hello-python'), hello, { recursive: true, filter: (src) => !/\/(out|kiln\.lock)$/.test(src) });
  const project = join(work, 'python-project');
  await copyPythonProject(project);
  await writeFile(join(project, 'kiln.yaml'), SLIM_PIP_MANIFEST);
  const cases: Case[] = [{ name: 'hello-python', project: hello }, { name: 'python-project', project }];
  if (process.argv.includes('--model-servers')) {
    const servers = await copyModelServers(join(work, 'model-servers'));
    await trainModels(servers);
    cases.push({ name: 'sklearn-server', project: servers, only: 'sklearn-server/cpu' }, { name: 'numpy-server', project: servers, only: 'numpy-server/cpu' });
  }
  for (const entry of cases) await compare(work, entry);
} finally {
  if (process.env.KILN_BENCH_KEEP) console.log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
