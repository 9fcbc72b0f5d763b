import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { STATE_FILE_VERSION } from './constants.js';
import { StateFileError } from './errors.js';
import type { PodIntent, PodRecord } from './types.js';

/** The state file's content. */
export interface StateFile {
  readonly version: number;
  readonly writtenAt: string;
  /** Generation: journal lines of this generation apply on top of this snapshot (absent: 0). */
  gen?: number;
  readonly pods: readonly PodRecord[];
  /** Intents of pods that were being added (absent when none). */
  readonly intents?: readonly PodIntent[];
}

/** One line of the journal: a change since the snapshot of generation `gen`. */
type JournalLine =
  | { readonly gen: number; readonly op: 'put'; readonly pod: PodRecord }
  | { readonly gen: number; readonly op: 'del'; readonly key: string }
  | { readonly gen: number; readonly op: 'intent'; readonly intent: PodIntent }
  | { readonly gen: number; readonly op: 'intent-del'; readonly id: string };

/**
 * Keeps every pod durably in a snapshot (`path`: JSON, written atomically: temp file, fsync, rename, fsync of
 * the directory) plus a journal (`path.journal`: one JSON line per change, appended and fdatasync'd). A save
 * appends only what changed since the last one, so a burst of Adds costs one small append and one fdatasync
 * per coalesced write instead of rewriting every pod with two fsyncs; the journal is folded into a new
 * snapshot (of the next generation) when it grows past twice the pods. Lines of an older generation are
 * ignored, so a crash at any point of a compaction loses nothing and resurrects nothing.
 * Writes are coalesced: `save()` resolves once a write holding the state at the time of the call is on disk.
 */
export class StateStore {
  readonly path: string;
  readonly journalPath: string;
  #latest: () => readonly PodRecord[] = () => [];
  #intents: () => readonly PodIntent[] = () => [];
  #writing: Promise<void> | undefined;
  #dirty = false;
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  /** What the snapshot plus journal hold, by identity: a record object that changed is a new object. */
  #written: Map<string, PodRecord> | undefined;
  #writtenIntents = new Map<string, PodIntent>();
  #gen = 0;
  #journalLines = 0;
  #journal: FileHandle | undefined;
  writes = 0;
  /** Time spent writing (ms), for benchmarks. */
  writeMs = 0;

  constructor(path: string) {
    this.path = path;
    this.journalPath = `${path}.journal`;
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
      if (!isRecord(p)) throw new StateFileError(this.path, `pods[${i}]: not a pod record`);
    });
    const intents = f.intents ?? [];
    if (!Array.isArray(intents)) throw new StateFileError(this.path, 'intents: not an array');
    intents.forEach((p, i) => {
      if (!isIntent(p)) throw new StateFileError(this.path, `intents[${i}]: not a pod intent`);
    });
    const pods = new Map((f.pods as PodRecord[]).map((p) => [p.key, p]));
    const byId = new Map((intents as PodIntent[]).map((i) => [i.id, i]));
    const gen = typeof f.gen === 'number' ? f.gen : 0;
    let journal = '';
    try {
      journal = await readFile(this.journalPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new StateFileError(this.journalPath, `cannot read: ${(e as Error).message}`, { cause: e });
    }
    const lines = journal.split('\n');
    lines.forEach((text, i) => {
      if (text === '') return;
      let line: JournalLine;
      try {
        line = JSON.parse(text) as JournalLine;
      } catch (e) {
        // the last line may be torn by a crash in the middle of an append: it was never acknowledged
        if (i === lines.length - 1) return;
        throw new StateFileError(this.journalPath, `line ${i + 1}: not JSON`, { cause: e });
      }
      if (line.gen !== gen) return; // folded into the snapshot already
      if (line.op === 'put' && isRecord(line.pod)) pods.set(line.pod.key, line.pod);
      else if (line.op === 'del' && typeof line.key === 'string') pods.delete(line.key);
      else if (line.op === 'intent' && isIntent(line.intent)) byId.set(line.intent.id, line.intent);
      else if (line.op === 'intent-del' && typeof line.id === 'string') byId.delete(line.id);
      else throw new StateFileError(this.journalPath, `line ${i + 1}: not a journal entry`);
    });
    return { pods: [...pods.values()], intents: [...byId.values()] };
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
    const t0 = performance.now();
    if (!this.#written || !this.#journal || this.#journalLines > Math.max(64, 2 * pods.length))
      await this.#compact(pods, intents);
    else await this.#append(pods, intents);
    this.writes++;
    this.writeMs += performance.now() - t0;
  }

  /** Appends what changed since the last write, then fdatasync: one small write per coalesced save. */
  async #append(pods: readonly PodRecord[], intents: readonly PodIntent[]): Promise<void> {
    const written = this.#written as Map<string, PodRecord>;
    const gen = this.#gen;
    const lines: JournalLine[] = [];
    const now = new Set<string>();
    for (const pod of pods) {
      now.add(pod.key);
      if (written.get(pod.key) !== pod) lines.push({ gen, op: 'put', pod });
    }
    for (const key of written.keys()) if (!now.has(key)) lines.push({ gen, op: 'del', key });
    const nowIntents = new Set<string>();
    for (const intent of intents) {
      nowIntents.add(intent.id);
      if (this.#writtenIntents.get(intent.id) !== intent) lines.push({ gen, op: 'intent', intent });
    }
    for (const id of this.#writtenIntents.keys()) if (!nowIntents.has(id)) lines.push({ gen, op: 'intent-del', id });
    if (lines.length === 0) return;
    const fh = this.#journal as FileHandle;
    await fh.write(`${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    await fh.datasync();
    this.#remember(pods, intents);
    this.#journalLines += lines.length;
  }

  /** A new snapshot of the next generation (temp file, fsync, rename), then an empty journal; one directory fsync. */
  async #compact(pods: readonly PodRecord[], intents: readonly PodIntent[]): Promise<void> {
    const gen = this.#gen + 1;
    const body: StateFile & { gen: number } = {
      version: STATE_FILE_VERSION,
      writtenAt: new Date().toISOString(),
      gen,
      pods,
      ...(intents.length > 0 ? { intents } : {}),
    };
    const dir = dirname(this.path);
    if (!this.#written) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // continue the generation of the files on disk (lines of older generations are ignored on load)
      try {
        const old = JSON.parse(await readFile(this.path, 'utf8')) as Partial<StateFile>;
        if (typeof old.gen === 'number') this.#gen = Math.max(this.#gen, old.gen);
      } catch {
        // no snapshot yet, or unreadable: start from generation 1
      }
      body.gen = this.#gen + 1;
    }
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
    // the snapshot holds everything now: a fresh journal (a crash before this leaves old-generation lines only)
    await this.#journal?.close();
    this.#journal = undefined;
    const journal = await open(this.journalPath, 'w', 0o600);
    const dh = await open(dir, 'r');
    try {
      await dh.sync(); // the rename and the journal's directory entry
    } finally {
      await dh.close();
    }
    this.#journal = journal;
    this.#gen = body.gen;
    this.#journalLines = 0;
    this.#remember(pods, intents);
  }

  #remember(pods: readonly PodRecord[], intents: readonly PodIntent[]): void {
    this.#written = new Map(pods.map((p) => [p.key, p]));
    this.#writtenIntents = new Map(intents.map((i) => [i.id, i]));
  }

  /** Closes the journal (the store can still write again later: it reopens with a new snapshot). */
  async close(): Promise<void> {
    await this.#writing?.catch(() => undefined);
    const fh = this.#journal;
    this.#journal = undefined;
    this.#written = undefined;
    await fh?.close();
  }
}

function isRecord(p: unknown): p is PodRecord {
  const r = p as Partial<PodRecord>;
  return (
    typeof r?.key === 'string' &&
    typeof r.id === 'string' &&
    typeof r.spec === 'object' &&
    typeof r.request === 'object' &&
    typeof r.swIfIndex === 'number'
  );
}

function isIntent(p: unknown): p is PodIntent {
  const r = p as Partial<PodIntent>;
  return typeof r?.id === 'string' && Array.isArray(r.ips) && Array.isArray(r.cnat);
}
