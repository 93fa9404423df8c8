// onBrokenPipe, apart from main.ts so that the entry script can set it up before deciding what to load.
/**
 * onBrokenPipe calls `end` when the reader of `stream` went away (`kiln plan | head -1`): EPIPE means nobody wants
 * the rest, which is not an error, as in other CLIs. Any other stream error is rethrown.
 */
export function onBrokenPipe(stream: NodeJS.WritableStream, end: () => void): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    end();
  });
}
