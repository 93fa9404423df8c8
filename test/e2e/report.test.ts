// Issue 17: `kiln report` in a real browser. kiln builds the fixture poetry project on a distroless python3 base
// (twice: the second build comes from the cache), scans it against the OSV fixture records, and writes the report;
// Debian's chromium opens it through playwright-core: no console or page errors, nothing fetched but the file, one
// treemap box per layer, and clicking a package (in the treemap or a table) shows the chains `kiln why` prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runKiln } from '../../src/testing/cli.js';
import { tempDir } from '../../src/testing/images.js';
import { fixtureRecords, writeZip } from '../../src/testing/osv.js';
import { buildReportProject, openReport, reportCacheEnv, requireChromium, screenshotReport } from '../../src/testing/report-page.js';

interface WhyJson {
  name: string;
  chains: Array<Array<{ name: string }>>;
}

async function whyChains(name: string, target: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const why = await runKiln(['why', name, target, '--json'], { env });
  assert.equal(why.code, 0, why.stderr);
  return (JSON.parse(why.stdout) as WhyJson[])[0]!.chains.filter((chain) => chain.length > 1).map((chain) => chain.map((step) => step.name).join(' → '));
}

test('kiln report opens in chromium with no errors and no fetches; one treemap box per layer; a clicked package shows its chains', { timeout: 1_200_000 }, async (t) => {
  if (!(await requireChromium(t))) return;
  const work = await tempDir('kiln-e2e-report-');
  const dir = join(work, 'project');
  const env = reportCacheEnv();
  await buildReportProject(dir, env, 2);
  const db = join(work, 'osv.zip');
  await writeZip(db, await fixtureRecords());
  const scan = await runKiln(['scan', dir, '--only', 'demo', '--db', db, '--max-db-age', '100000'], { env });
  assert.equal(scan.code, 0, scan.stderr);

  const file = join(work, 'report.html');
  const report = await runKiln(['report', dir, '-o', file], { env });
  assert.equal(report.code, 0, report.stderr);
  assert.equal(report.stdout, `wrote ${file}: 2 entries, 1 built (not built: later)\n`);
  const inspected = JSON.parse((await runKiln(['inspect', `${dir}/demo`, '--json'], { env })).stdout) as { layers: unknown[]; digest: string };

  const { browser, page, problems, requests } = await openReport(file);
  try {
    const demo = page.locator('section.entry').nth(0);
    const later = page.locator('section.entry').nth(1);
    assert.equal(await demo.locator('h2').textContent(), 'demo');
    assert.match((await demo.locator('p.meta').textContent())!, new RegExp(`^${inspected.digest} · linux/amd64 · Debian GNU/Linux 12`));
    assert.equal(await demo.locator('svg.treemap g[data-layer]').count(), inspected.layers.length, 'one box per layer');
    assert.ok(inspected.layers.length >= 5, `${inspected.layers.length} layers`);
    assert.equal(await later.locator('p.not-built').textContent(), 'not built');
    assert.match((await later.locator('p.not-scanned').textContent())!, /^not scanned/);
    assert.match(await demo.innerText(), /scanned \S+ against .*osv\.zip: \d+ packages, [1-9]\d* findings/);
    assert.equal(await demo.locator('svg.history rect.size').count(), 2, 'a bar per build');

    // A package in the treemap: libssl3 comes in through python3's chains, as kiln why says.
    const libssl = await whyChains('libssl3', `${dir}/demo`, env);
    assert.ok(libssl.length >= 1 && libssl.every((chain) => chain.startsWith('python3 → ')), libssl.join('\n'));
    await demo.locator('svg.treemap g.package[data-pkg="debian:libssl3"]').click({ position: { x: 8, y: 6 } });
    const panel = demo.locator('aside.chain');
    assert.match((await panel.locator('h4').textContent())!, /^libssl3 3\./);
    assert.deepEqual(await panel.locator('li.chain-line').allTextContents(), libssl);
    assert.equal(await demo.locator('svg.treemap g.package.selected[data-pkg="debian:libssl3"]').count(), 1);

    // A Python package in its table: colorlite is there because demo-server requires it.
    const colorlite = await whyChains('colorlite', `${dir}/demo`, env);
    await demo.locator('table.packages.python button.pkg', { hasText: 'colorlite' }).click();
    assert.match((await panel.locator('h4').textContent())!, /^colorlite 2\.1\.0$/);
    assert.deepEqual(await panel.locator('li.chain-line').allTextContents(), colorlite);
    assert.deepEqual(colorlite, ['demo-server → colorlite']);
    // The project itself is asked for by kiln.yaml's python.project, not a package nothing happens to need.
    await demo.locator('table.packages.python button.pkg', { hasText: 'demo-server' }).click();
    assert.match((await panel.locator('h4').textContent())!, /^demo-server /);
    assert.ok((await panel.locator('p').allTextContents()).includes('requested in kiln.yaml'), (await panel.innerText()));

    const shot = join(work, 'report.png');
    await screenshotReport(page, shot);
    const png = await readFile(shot);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.ok((await stat(shot)).size > 20_000, 'the screenshot has content');

    assert.deepEqual(problems, [], 'no console errors, no page errors');
    assert.deepEqual(requests, [pathToFileURL(file).href], 'the page fetches nothing but itself');
  } finally {
    await browser.close();
  }
});
