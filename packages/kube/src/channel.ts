/** A push → pull queue behind every stream: producers push, one consumer iterates; nothing queued is dropped. */
export class Channel<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #head = 0;
  #wake: ((r: IteratorResult<T>) => void) | undefined;
  #ended = false;
  #onClose: (() => void) | undefined;

  /** `onClose` runs once, when the channel ends (consumer's `return()`, `end()`). */
  constructor(onClose?: () => void) {
    this.#onClose = onClose;
  }

  get closed(): boolean {
    return this.#ended;
  }

  /** Items queued and not yet taken. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Queue one item; ignored once the channel has ended. */
  push(item: T): void {
    if (this.#ended) return;
    const wake = this.#wake;
    if (wake !== undefined) {
      this.#wake = undefined;
      wake({ value: item, done: false });
      return;
    }
    this.#items.push(item);
  }

  /** End after the items already queued. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.({ value: undefined, done: true });
    onClose?.();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head] as T;
      this.#items[this.#head] = undefined as T;
      this.#head++;
      if (this.#head === this.#items.length) {
        this.#items = [];
        this.#head = 0;
      } else if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** The consumer stopped: drop what is queued and end. */
  return(): Promise<IteratorResult<T>> {
    this.#items = [];
    this.#head = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** End `channel` when `signal` aborts; returns the listener remover. */
export function endOnAbort(channel: Channel<unknown>, signal: AbortSignal | undefined): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    channel.end();
    return () => {};
  }
  const onAbort = (): void => channel.end();
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
