// An image whose dpkg status lost a colon in its second stanza (a truncated or hand-edited database).
import { join } from 'node:path';
import type { CaseContext } from '../../case.js';
import { writeFilesImage } from '../../shared.js';

export default async function setup({ dir }: CaseContext): Promise<void> {
  await writeFilesImage(join(dir, 'image'), 'app', {
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    'var/lib/dpkg/status': [
      'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:1.2.13.dfsg-1\n',
      'Package: libc6\nVersion 2.36-9+deb12u7\nArchitecture: amd64\n',
    ].join('\n'),
  });
}
