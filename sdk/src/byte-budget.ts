/**
 * A cap on the bytes of file parts held in memory at once, shared by every
 * upload that is given the same budget (the CLI shares one across the files in
 * flight, so --parallel × --concurrency cannot multiply memory use). Waiters
 * are served first come, first served; a request larger than the whole budget
 * waits until the budget is empty and then takes all of it.
 */
export class ByteBudget {
  readonly capacity: number;
  #available: number;
  readonly #waiters: { bytes: number; grant: () => void }[] = [];

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`a byte budget needs a positive integer capacity, got ${capacity}`);
    this.capacity = capacity;
    this.#available = capacity;
  }

  get available(): number {
    return this.#available;
  }

  /** Resolves once `bytes` are reserved; call the returned function (once) to give them back. */
  async acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    const wanted = Math.min(Math.max(0, bytes), this.capacity);
    if (this.#waiters.length > 0 || this.#available < wanted) {
      await new Promise<void>((resolve, reject) => {
        const waiter = { bytes: wanted, grant: resolve };
        this.#waiters.push(waiter);
        signal?.addEventListener(
          'abort',
          () => {
            const at = this.#waiters.indexOf(waiter);
            if (at < 0) return;
            this.#waiters.splice(at, 1);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    } else {
      this.#available -= wanted;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#available += wanted;
      this.#grantWaiting();
    };
  }

  /**
   * Reserves `size` bytes and hands out a buffer of that size, reusing one
   * given back earlier when the size matches: parts of one size recycle the
   * same memory instead of leaving it to the garbage collector, which keeps
   * the resident size close to the budget. Spare buffers count against the
   * budget too: whenever buffers in use plus spares would exceed it, spares of
   * other sizes are let go.
   */
  async buffer(size: number, signal?: AbortSignal): Promise<{ bytes: Buffer; release(): void }> {
    const release = await this.acquire(size, signal);
    const spares = this.#spare.get(size);
    let bytes = spares?.pop();
    if (bytes) {
      this.#spareBytes -= size;
    } else {
      bytes = Buffer.allocUnsafeSlow(size);
      this.#trimSpares();
    }
    let released = false;
    const held = bytes;
    return {
      bytes: held,
      release: () => {
        if (released) return;
        released = true;
        if (size > 0) {
          this.#spare.set(size, [...(this.#spare.get(size) ?? []), held]);
          this.#spareBytes += size;
        }
        release();
      },
    };
  }

  readonly #spare = new Map<number, Buffer[]>();
  #spareBytes = 0;

  #trimSpares(): void {
    for (const [size, buffers] of this.#spare) {
      while (this.#spareBytes > this.#available && buffers.length > 0) {
        buffers.pop();
        this.#spareBytes -= size;
      }
      if (buffers.length === 0) this.#spare.delete(size);
      if (this.#spareBytes <= this.#available) return;
    }
  }

  #grantWaiting(): void {
    while (this.#waiters.length > 0 && this.#available >= this.#waiters[0]!.bytes) {
      const next = this.#waiters.shift()!;
      this.#available -= next.bytes;
      next.grant();
    }
  }
}
