// kiln self-image [-o DEST]...: build kiln's own image from images/kiln/kiln.yaml plus kiln's node_modules and
// dist/ layers, to oci:out/kiln:<version> unless -o says otherwise. Reproducible: same checkout, same digest.
import { existsSync } from 'node:fs';
import { defineCommand } from '../command.js';
import { planBuild } from '../../plan/index.js';
import { InputError } from '../../errors.js';
import { progressLogger } from '../progress.js';
import { runPlan } from '../run-plan.js';
import { jsonOption, quietOption } from '../options.js';

export const command = defineCommand({
  summary: 'Build kiln\'s own image: a Debian trixie base from packages (nodejs, git, ca-certificates; distroless, no shell) as images/kiln/kiln.yaml describes it, then kiln\'s production node_modules and its compiled dist/ in layers of their own. Entrypoint node /opt/kiln/bin/kiln.js, user 65532:65532, HOME=/tmp, KILN_CACHE_DIR=/tmp/kiln-cache. Run npm run build first.',
  usage: 'kiln self-image [-o DEST]... [--locked] [--json] [--quiet]',
  options: {
    output: { type: 'string', short: 'o', multiple: true, value: 'DEST', description: 'where the image goes (default oci:out/kiln:VERSION); repeatable' },
    locked: { type: 'boolean', default: false, description: 'refuse any input kiln.lock does not pin yet' },
    ...jsonOption,
    ...quietOption,
  },
  async run(values, positionals, context) {
    const { kilnCheckout, selfImageManifest, selfImageBuilder } = await import('../../self-image/index.js');
    const root = kilnCheckout();
    const manifestFile = selfImageManifest(root);
    if (!existsSync(manifestFile)) throw new InputError(`${manifestFile} is missing: kiln self-image runs from a kiln checkout`);
    const progress = progressLogger(context, values.quiet || values.json);
    const outputs = values.output?.length ? values.output : [`oci:out/kiln:${context.version}`];
    const intent = await planBuild({ manifestFile, overrides: context.overrides, outputs, cwd: context.cwd, env: context.env, store: context.cache(), locked: values.locked, log: progress.log });
    const { resolvePlan } = await import('../../resolve/index.js');
    const { plan } = await resolvePlan(intent, { store: context.cache(), env: context.env, locked: values.locked, writeLock: true, log: progress.log });
    progress.done();
    return runPlan(plan, context, {
      jobs: 1, failFast: true, push: false, partial: false, json: values.json, quiet: values.quiet,
      builder: selfImageBuilder(manifestFile, { root, store: context.cache(), env: context.env }),
    });
  },
});
