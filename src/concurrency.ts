// Doing a bounded number of things at once.

/**
 * Maps items through fn with at most `width` calls in flight, keeping the
 * order. Waits for every call to settle before it settles: a failure never
 * leaves work running behind the caller's back (the first error is thrown
 * once all are done).
 */
export async function mapConcurrent<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
  return out;
}
