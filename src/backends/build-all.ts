// buildWithBackend: `kiln build --backend NAME` over every entry of a plan.
import { dirname, join } from 'node:path';
import type { ImageReport } from '../build/build-image.js';
import type { BuildPlan } from '../build/plan.js';
import type { CommandContext } from '../cli/context.js';
import { loadBackend } from './index.js';

/** buildWithBackend builds each entry with the named backend; generated contexts go to generated/ beside kiln.yaml. */
export async function buildWithBackend(name: string, plan: BuildPlan, context: CommandContext, log: (line: string) => void): Promise<ImageReport[]> {
  const backend = await loadBackend(name);
  const generatedDir = context.env.KILN_GENERATED_DIR ?? join(dirname(plan.manifestFile), 'generated');
  const reports: ImageReport[] = [];
  for (const image of plan.images) {
    const result = await backend.build(image, {
      store: context.cache(), env: context.env, log, manifestFile: plan.manifestFile, generatedDir,
      print: (text) => context.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    });
    reports.push(result.report);
  }
  return reports;
}
