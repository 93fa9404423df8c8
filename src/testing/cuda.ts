// Probing a CUDA image: Python loads the CUDA runtime with ctypes and asks it for the device count, the way a
// framework does first. Without a GPU the call returns an error code, which is not the same as a loader error.
import { execFile } from 'node:child_process';

/** CUDA_NO_DRIVER and CUDA_NO_DEVICE are cudaErrorInsufficientDriver and cudaErrorNoDevice. */
export const CUDA_NO_DRIVER = 35;
export const CUDA_NO_DEVICE = 100;

/** CUDA_PROBE prints `<cudaGetDeviceCount's return code> <device count>` as JSON, or exits 3 if the library does not load. */
export const CUDA_PROBE = [
  'import ctypes, json, sys',
  'try:',
  '    lib = ctypes.CDLL("libcudart.so.11.0")',
  'except OSError as error:',
  '    print(json.dumps({"load": str(error)})); sys.exit(3)',
  'count = ctypes.c_int(-1)',
  'code = lib.cudaGetDeviceCount(ctypes.byref(count))',
  'print(json.dumps({"code": code, "count": count.value}))',
].join('\n');

/** CudaProbe is what CUDA_PROBE printed: the runtime's answer, or why the library did not load. */
export type CudaProbe = { code: number; count: number } | { load: string };

/** probeCuda runs CUDA_PROBE with the image's python3 (extra docker run flags first, e.g. --gpus all). */
export async function probeCuda(image: string, dockerArgs: string[] = []): Promise<CudaProbe> {
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile('docker', ['run', '--rm', ...dockerArgs, '--entrypoint', 'python3', image, '-c', CUDA_PROBE], { timeout: 120_000 },
      (_error, stdout, stderr) => resolve({ stdout: String(stdout), stderr: String(stderr) }));
  });
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as CudaProbe;
  } catch {
    return { load: `no answer from the probe: ${(stdout + stderr).trim().split('\n').at(-1) ?? ''}` };
  }
}
