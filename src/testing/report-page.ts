// Helpers for the `kiln report` browser test and screenshot script: a small project built by kiln (the fixture poetry
// project on a distroless python3 base, plus an entry left unbuilt), and the report opened in Debian's chromium
// through playwright-core, with every console error, page error and request the page makes recorded.
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runKiln } from './cli.js';
import { fixturesDir } from './debootstrap-base.js';
import { copyPythonProject } from './python-project.js';

/** CHROMIUM is the browser the report is checked in ($KILN_CHROMIUM, or Debian's package). */
export const CHROMIUM = process.env.KILN_CHROMIUM ?? '/usr/bin/chromium';

/** REPORT_MANIFEST has two entries: `demo` (built by the test) and `later` (never built). */
export const REPORT_MANIFEST = `registries:
  local: {repository: "registry.example/apps"}
images:
  demo:
    base: {distro: debian, release: bookworm, variant: distroless, packages: [python3]}
    app: {src: app, dest: /app}
    entrypoint: [demo-server]
    python: {project: demo-server, find_links: [wheels]}
    tags: ["1.0", latest]
  later:
    base: {distro: debian, release: bookworm, variant: distroless, packages: [python3, ca-certificates]}
    entrypoint: [python3]
`;

/** reportCacheEnv keeps the .debs between runs (content-addressed), so only the first run downloads them. */
export function reportCacheEnv(): NodeJS.ProcessEnv {
  return { KILN_CACHE_DIR: join(fixturesDir(), 'report-e2e-cache') };
}

/** buildReportProject writes the project into `dir` and builds `demo` `builds` times (the later ones from the cache). */
export async function buildReportProject(dir: string, env: NodeJS.ProcessEnv, builds = 2): Promise<void> {
  await copyPythonProject(dir);
  await writeFile(join(dir, 'kiln.yaml'), REPORT_MANIFEST);
  for (let i = 0; i < builds; i++) {
    const built = await runKiln(['build', dir, '--only', 'demo', '-q', '--jobs', '1', '-o', `oci:${join(dir, 'out')}`], { env });
    if (built.code !== 0) throw new Error(`kiln build failed: ${built.stderr}`);
  }
}

/**
 * requireChromium skips the test when chromium is missing on a developer's machine, but fails it in CI (CI=true) or
 * when the test services were started, where a missing browser is a real problem.
 */
export async function requireChromium(t: TestContext): Promise<boolean> {
  if (await stat(CHROMIUM).then(() => true, () => false)) return true;
  const message = `chromium is not installed at ${CHROMIUM} (apt-get install chromium, or set KILN_CHROMIUM): the report test drives it through playwright-core`;
  if (process.env.CI === 'true' || process.env.KILN_TEST_SERVICES === '1') throw new Error(message);
  t.skip(message);
  return false;
}

/** OpenedReport is a report page in chromium, with what it logged and requested. */
export interface OpenedReport {
  browser: Browser;
  page: Page;
  /** problems are console errors and uncaught page errors, one line each. */
  problems: string[];
  /** requests are the URLs the page requested, the page itself included. */
  requests: string[];
}

/** openReport loads `file` in headless chromium; any request that is not for a file:// URL is recorded and refused. */
export async function openReport(file: string, viewport = { width: 1280, height: 800 }): Promise<OpenedReport> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => requests.push(request.url()));
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { browser, page, problems, requests };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** screenshotReport shows why the entry's biggest chained package is there, then captures the top of the page. */
export async function screenshotReport(page: Page, path: string, packageKey = 'debian:libssl3'): Promise<void> {
  const entry = page.locator('section.entry').first();
  const box = entry.locator(`svg.treemap g.package[data-pkg="${packageKey}"]`);
  await ((await box.count()) ? box.first() : entry.locator('button.pkg').first()).click({ position: { x: 8, y: 6 } });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path });
}
