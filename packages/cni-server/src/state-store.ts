import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { STATE_FILE_VERSION } from './constants.js';
import { StateFileError } from './errors.js';
import type { PodIntent, PodRecord } from './types.js';

/** The state file's content. */
export interface StateFile {
  readonly version: number;
  readonly writtenAt: string;
  readonly pods: readonly PodRecord[];
  /** Intents of pods that were being added (absent when none). */
  readonly intents?: readonly PodIntent[];
}

/**
 * Keeps every pod in one JSON file, written atomically (temp file, fsync, rename, fsync of the directory).
 * Writes are coalesced: `save()` resolves once a write holding the state at the time of the call is on disk.
 */
export class StateStore {
  readonly path: string;
  #latest: () => readonly PodRecord[] = () => [];
  #intents: () => readonly PodIntent[] = () => [];
  #writing: Promise<void> | undefined;
  #dirty = false;
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  writes = 0;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Reads the file; a missing file is an empty state.
   * @throws StateFileError for bad JSON, an unknown version or a malformed pod list.
   */
  async load(): Promise<PodRecord[]> {
    return (await this.loadAll()).pods;
  }

  /**
   * Reads the pods and the intents of pods that were being added.
   * @throws StateFileError as `load()`, also for a malformed intent list.
   */
  async loadAll(): Promise<{ pods: PodRecord[]; intents: PodIntent[] }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { pods: [], intents: [] };
      throw new StateFileError(this.path, `cannot read: ${(e as Error).message}`, { cause: e });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new StateFileError(this.path, `not JSON: ${(e as Error).message}`, { cause: e });
    }
    const f = parsed as Partial<StateFile>;
    if (typeof f !== 'object' || f === null) throw new StateFileError(this.path, 'not an object');
    if (f.version !== STATE_FILE_VERSION)
      throw new StateFileError(this.path, `version ${JSON.stringify(f.version)} is not ${STATE_FILE_VERSION}`);
    if (!Array.isArray(f.pods)) throw new StateFileError(this.path, 'pods: not an array');
    f.pods.forEach((p, i) => {
      const r = p as Partial<PodRecord>;
      if (
        typeof r?.key !== 'string' ||
        typeof r.id !== 'string' ||
        typeof r.spec !== 'object' ||
        typeof r.request !== 'object' ||
        typeof r.swIfIndex !== 'number'
      ) {
        throw new StateFileError(this.path, `pods[${i}]: not a pod record`);
      }
    });
    const intents = f.intents ?? [];
    if (!Array.isArray(intents)) throw new StateFileError(this.path, 'intents: not an array');
    intents.forEach((p, i) => {
      const r = p as Partial<PodIntent>;
      if (typeof r?.id !== 'string' || !Array.isArray(r.ips) || !Array.isArray(r.cnat))
        throw new StateFileError(this.path, `intents[${i}]: not a pod intent`);
    });
    return { pods: f.pods as PodRecord[], intents: intents as PodIntent[] };
  }

  /** Sets where the current pod list comes from (read at write time, so bursts coalesce). */
  source(fn: () => readonly PodRecord[], intents?: () => readonly PodIntent[]): void {
    this.#latest = fn;
    if (intents) this.#intents = intents;
  }

  #frozen = false;
  /** No write starts from now on (a crashed process writes nothing more). */
  freeze(): void {
    this.#frozen = true;
  }

  /** Writes the current state; resolves when a write that includes it is durable. */
  save(): Promise<void> {
    if (this.#frozen) return Promise.reject(new Error('state store is frozen'));
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#dirty = true;
      if (!this.#writing) this.#writing = this.#loop();
    });
  }

  async #loop(): Promise<void> {
    while (this.#dirty) {
      this.#dirty = false;
      const waiters = this.#waiters;
      this.#waiters = [];
      try {
        if (this.#frozen) throw new Error('state store is frozen');
        await this.#write(this.#latest(), this.#intents());
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.#writing = undefined;
  }

  async #write(pods: readonly PodRecord[], intents: readonly PodIntent[]): Promise<void> {
    const body: StateFile = {
      version: STATE_FILE_VERSION,
      writtenAt: new Date().toISOString(),
      pods,
      ...(intents.length > 0 ? { intents } : {}),
    };
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(body));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
    this.writes++;
  }
}
