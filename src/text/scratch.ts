// A buffer reused between calls for bytes that are used at once and then
// dropped (UTF-8 to hash, pages to write, a paragraph being changed): a
// build makes tens of thousands of them, and allocating each costs more
// than filling it. One per module that needs one (and per thread: each
// worker thread loads its own modules).

/** The most bytes of UTF-8 a string can take: 3 per UTF-16 code unit (a surrogate pair, 2 units, takes 4). */
export function utf8Bound(text: string): number {
  return text.length * 3;
}

export class Scratch {
  private buf: Buffer;

  /** Starts with `initial` bytes; keeps a larger buffer for the next call only up to `max` bytes. */
  constructor(
    initial: number,
    private readonly max: number,
  ) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /**
   * A buffer of at least `size` bytes, its contents undefined, valid until
   * the next call: the reused one, or a larger one (kept when it is at most
   * `max` bytes, else used this once).
   */
  take(size: number): Buffer {
    if (size <= this.buf.length) return this.buf;
    const bigger = Buffer.allocUnsafe(size);
    if (size <= this.max) this.buf = bigger;
    return bigger;
  }
}
