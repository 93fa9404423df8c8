// The plan floor: types, planning from kiln.yaml, and the plan file.
export * from './types.js';
export { entryOutputs, entrySlug, planBuild, planImage, selectEntries } from './intent.js';
export { formatPlanFile, parsePlanFile, readPlanFile } from './file.js';
export { formatPlatform, isMultiPlatform, parsePlatform, platformEntries, platformLockName } from './platforms.js';
