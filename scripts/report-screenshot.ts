// Regenerates docs/report.png, the README's picture of `kiln report`: builds the test project (the fixture poetry
// project on a distroless python3 base; an entry left unbuilt), writes its report and captures it in Debian's
// chromium with one package's chains shown. `node --import tsx scripts/report-screenshot.ts [OUT.png]`
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { runKiln } from '../src/testing/cli.js';
import { tempDir } from '../src/testing/images.js';
import { buildReportProject, openReport, reportCacheEnv, screenshotReport } from '../src/testing/report-page.js';

const out = resolve(process.argv[2] ?? new URL('../docs/report.png', import.meta.url).pathname);
const work = await tempDir('kiln-report-screenshot-');
try {
  const dir = join(work, 'project');
  const env = reportCacheEnv();
  await buildReportProject(dir, env, 3);
  const file = join(work, 'kiln-report.html');
  const report = await runKiln(['report', dir, '-o', file], { env });
  if (report.code !== 0) throw new Error(`kiln report failed: ${report.stderr}`);
  const { browser, page, problems } = await openReport(file);
  try {
    await mkdir(dirname(out), { recursive: true });
    await screenshotReport(page, out);
    if (problems.length) throw new Error(`the report page logged errors:\n${problems.join('\n')}`);
  } finally {
    await browser.close();
  }
  console.log(out);
} finally {
  await rm(work, { recursive: true, force: true });
}
