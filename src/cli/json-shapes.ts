// The documents `--json` prints where no library type already is one (the others: BuildPlan, ImageSummary, ImageDiff,
// WhyResult, PushResult, TagResult, PushedContext). Exported from the library so scripts can type what they parse.
import type { ImageReport } from '../apply/image-report.js';
import type { PublishResult } from '../apply/publish.js';
import type { PinnedSource } from '../plan/types.js';
import type { Bump } from '../source/bump.js';

/** ValidateJson is `kiln validate --json`: one report per image place, in argument order (none when one fails). */
export type ValidateJson = Array<{ place: string; digest: string; layers: number; bytesChecked: number; platforms?: number }>;

/** LockJson is `kiln lock --json`: what kiln.lock now pins, and how many pins changed. */
export interface LockJson {
  lockFile: string;
  changed: number;
  /** bases are the distro bases by lock name (`name`, or `name@arch` for a multi-platform entry). */
  bases: Record<string, { distro: string; release: string; architecture: string; variant: string; packages: number }>;
  /** registry pins each registry base (`host/repo:tag`) to the digest its tag named. */
  registry: Record<string, { digest: string }>;
}

/** SourceSyncJson is `kiln source sync --json`: each source synced, with its pin and the tree it was synced into. */
export type SourceSyncJson = PinnedSource[];

/** SourceBumpJson is `kiln source bump --json`: the bump (how each patch applied) and what was written. */
export interface SourceBumpJson extends Bump {
  /** lockFile is the kiln.lock written (only when every patch applies; otherwise the command fails, printing this first). */
  lockFile: string;
  /** manifestRef is the ref kiln.yaml names now, when --to changed it. */
  manifestRef?: string;
}

/** BuildJson is `kiln build --json` (and `kiln push [DIR] --json`, `kiln self-image --json`). */
export interface BuildJson {
  images: ImageReport[];
  entries: Array<{
    name: string;
    status: string;
    seconds: number;
    digest?: string;
    size?: number;
    platforms?: Array<{ platform: string; digest: string; size: number }>;
    error?: string;
  }>;
  /** published is there with --push. */
  published?: PublishResult[];
}
