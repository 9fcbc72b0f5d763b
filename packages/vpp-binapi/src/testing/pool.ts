/**
 * Index allocation the way VPP's pools do it: the most recently freed index is handed out first,
 * otherwise the next never-used one.
 */
export class IndexPool {
  private next: number;
  private readonly free: number[] = [];
  private readonly used = new Set<number>();

  constructor(first = 0) {
    this.next = first;
  }

  alloc(): number {
    const i = this.free.pop() ?? this.next++;
    this.used.add(i);
    return i;
  }

  has(i: number): boolean {
    return this.used.has(i);
  }

  release(i: number): void {
    if (this.used.delete(i)) this.free.push(i);
  }
}

/**
 * Instance numbers the way VPP allocates interface instances (loopback, ipip, vxlan, tap): the lowest
 * free number, or the one asked for when it is free.
 */
export class InstanceSet {
  private readonly used = new Set<number>();

  /** Returns the instance, or undefined when the requested one is taken. */
  alloc(requested?: number): number | undefined {
    if (requested !== undefined) {
      if (this.used.has(requested)) return undefined;
      this.used.add(requested);
      return requested;
    }
    let i = 0;
    while (this.used.has(i)) i++;
    this.used.add(i);
    return i;
  }

  has(i: number): boolean {
    return this.used.has(i);
  }

  release(i: number): void {
    this.used.delete(i);
  }
}
