// A child process for concurrency tests: builds a small image, says "ready", waits for a line on stdin
// (sent to every child at once), then writes the image into an OCI layout. Usage: write-layout-child.ts STORE LAYOUT TAG
import { once } from 'node:events';
import { BlobStore } from '../cache/blob-store.js';
import { writeOciLayout } from '../places/oci-layout.js';
import { imageWithLayers } from './images.js';

const [storeDir, layout, tag] = process.argv.slice(2);
const store = new BlobStore(storeDir!);
// One layer every writer shares (same blob, raced into blobs/) and one of its own.
const image = await imageWithLayers(store, { 'etc/shared': 'same for all\n' }, { [`app/${tag}`]: `${tag}\n` });
process.stdout.write('ready\n');
await once(process.stdin, 'data');
process.stdin.pause();
const descriptor = await writeOciLayout(layout!, image, tag);
process.stdout.write(`${descriptor.digest}\n`);
