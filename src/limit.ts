// Bounded parallelism: at most `n` tasks run at once, the rest wait their turn in order.

/** Limiter runs a task when a slot is free. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** limiter makes a Limiter with `n` slots. */
export function limiter(n: number): Limiter {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    running--;
    waiting.shift()?.();
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= Math.max(1, n)) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
