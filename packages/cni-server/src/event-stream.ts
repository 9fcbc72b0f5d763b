/** A fan-out of events to any number of async iterators, each with its own bounded queue. */
export class EventFanout<T> {
  readonly #subs = new Set<{ queue: T[]; wake: (() => void) | undefined; dropped: number }>();
  constructor(readonly bufferSize = 10_000) {}

  push(ev: T): void {
    for (const s of this.#subs) {
      if (s.queue.length >= this.bufferSize) {
        s.queue.shift();
        s.dropped++;
      }
      s.queue.push(ev);
      s.wake?.();
    }
  }

  /** Events from now on, until the signal fires or `close()` (events queued before it are still delivered). */
  async *stream(signal?: AbortSignal): AsyncGenerator<T> {
    const sub = { queue: [] as T[], wake: undefined as (() => void) | undefined, dropped: 0 };
    this.#subs.add(sub);
    const onAbort = (): void => sub.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        if (signal?.aborted) return;
        const next = sub.queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (this.#closed) return; // queued events are delivered first
        await new Promise<void>((r) => (sub.wake = r));
        sub.wake = undefined;
      }
    } finally {
      this.#subs.delete(sub);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #closed = false;
  close(): void {
    this.#closed = true;
    for (const s of this.#subs) s.wake?.();
  }
}

/** Runs tasks one after another per key; different keys run concurrently. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn, fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
  get size(): number {
    return this.#tails.size;
  }
}

/**
 * At most `limit` tasks at once; the others wait in arrival order. `limit` may be a function of the demand:
 * the most tasks running + waiting at one time since the semaphore was last idle (so a bound that grew with a
 * burst does not shrink while the burst drains), read each time a task arrives or one ends.
 *
 * With `waves`, a saturated semaphore (a task had to wait) admits in waves: the slots of tasks that end are not
 * refilled until the whole wave has ended (or `maxWaitMs` passed since the wave closed), so the next wave's
 * work does not compete with the current wave's last steps; a bound that grows with new arrivals still admits
 * them into the current wave.
 */
export class Semaphore {
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #limit: (demand: number) => number;
  readonly #waves: { readonly maxWaitMs: number } | undefined;
  /** Waves: tasks admitted into the current (closed) wave; undefined while open. */
  #wave: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(limit: number | ((demand: number) => number), opts: { waves?: { maxWaitMs: number } } = {}) {
    this.#limit = typeof limit === 'number' ? () => limit : limit;
    this.#waves = opts.waves;
  }
  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }
  /** Tasks waiting now. */
  get waiting(): number {
    return this.#waiting.length;
  }
  #peak = 0;
  #bound(): number {
    const demand = this.#active + this.#waiting.length;
    this.#peak = demand === 0 ? 0 : Math.max(this.#peak, demand);
    return Math.max(1, this.#limit(this.#peak));
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#waiting.length > 0 || this.#wave !== undefined || this.#active >= this.#bound()) {
      await new Promise<void>((r) => {
        this.#waiting.push(r);
        this.#admit();
      });
    } else this.#active++;
    try {
      return await fn();
    } finally {
      this.#active--;
      this.#admit();
    }
  }
  #open(): void {
    this.#wave = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
  /** Lets waiting tasks in, first come first served, while the bound (and the wave) allows. */
  #admit(): void {
    if (this.#wave !== undefined && this.#active === 0) this.#open(); // the wave has ended
    const bound = this.#bound();
    if (this.#wave === undefined) {
      while (this.#waiting.length > 0 && this.#active < bound) {
        this.#active++;
        this.#waiting.shift()!();
      }
      if (this.#waiting.length === 0 || !this.#waves) return;
      // saturated: from now on, only a growing bound lets more into this wave
      this.#wave = this.#active;
      const t = setTimeout(() => {
        if (this.#timer !== t) return;
        this.#open();
        this.#admit();
      }, this.#waves.maxWaitMs);
      t.unref?.();
      this.#timer = t;
      return;
    }
    while (this.#waiting.length > 0 && this.#wave < bound) {
      this.#wave++;
      this.#active++;
      this.#waiting.shift()!();
    }
  }
}
