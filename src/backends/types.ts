// The Backend interface: one plan entry in, one built Image (plus its report) out. Backends never write
// outputs: the publisher (src/apply/publish.ts) does that, the same way whichever backend ran.
import type { BuildContext, ImageReport } from '../apply/build-image.js';
import type { ImagePlan } from '../plan/index.js';
import type { Image } from '../oci/image.js';

/** BackendName lists the builders `kiln build --backend` accepts. */
export type BackendName = 'native' | 'docker' | 'buildah' | 'kaniko';

/** BackendContext is a BuildContext plus where the manifest and the generated contexts live. */
export interface BackendContext extends BuildContext {
  manifestFile: string;
  /** generatedDir receives `<entry>/` build contexts (default `generated/` beside kiln.yaml). */
  generatedDir: string;
  /** print shows text meant for the user on stdout (kaniko's command line and pod spec). */
  print: (text: string) => void;
}

/** BackendResult is the built image and its report (digest, layers; no outputs yet: nothing is written). */
export interface BackendResult {
  image: Image;
  report: ImageReport;
  /** reference is the tag in the builder's local store (docker, buildah). */
  reference?: string;
  /** commandLine is the builder invocation kiln ran. */
  commandLine?: string[];
}

/** Backend builds one plan entry into an Image. */
export interface Backend {
  name: BackendName;
  build(plan: ImagePlan, context: BackendContext): Promise<BackendResult>;
}
