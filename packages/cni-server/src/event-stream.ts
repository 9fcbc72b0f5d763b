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
 */
export class Semaphore {
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #limit: (demand: number) => number;
  constructor(limit: number | ((demand: number) => number)) {
    this.#limit = typeof limit === 'number' ? () => limit : limit;
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
    if (this.#active >= this.#bound() || this.#waiting.length > 0) {
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
  /** Lets waiting tasks in, first come first served, while the bound allows. */
  #admit(): void {
    while (this.#waiting.length > 0 && this.#active < this.#bound()) {
      this.#active++;
      this.#waiting.shift()!();
    }
  }
}
