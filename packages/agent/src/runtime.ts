/**
 * The composition runtime: components started in order, stopped in reverse within a deadline, readiness only when
 * every component is synced. It knows nothing of VPP or Kubernetes; the wiring in `compose.ts` builds the
 * components from the packages.
 */
import { ComponentStartError, ShutdownTimeoutError } from './errors.js';

/** Where a component is in its life. */
export type ComponentState = 'idle' | 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';

/** What `/status` shows of one component. */
export interface ComponentStatus {
  readonly state: ComponentState;
  /** True once the component has applied its initial state (e.g. every watch listed, every pod reconciled). */
  readonly synced: boolean;
  readonly error?: string;
  /** Component-specific facts (counts, peers, …), JSON-serialisable. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** One part of the node dataplane, as the runtime drives it. */
export interface AgentComponent {
  readonly name: string;
  /** Starts the component; resolves when it runs (not necessarily synced). */
  start(signal: AbortSignal): Promise<void>;
  /** Stops it and releases everything it holds. Must be safe to call after a failed start. */
  stop(): Promise<void>;
  /** True once its initial state is applied. */
  synced(): boolean;
  /** Component-specific facts for `/status`. */
  details?(): Record<string, unknown>;
}

/** A pino-compatible logger. */
export interface AgentLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Events of the runtime: `component:state` on every state change, `agent:ready` when all are synced. */
export interface RuntimeEvents {
  'component:state': CustomEvent<{ name: string; state: ComponentState; error?: string }>;
  'agent:ready': CustomEvent<{ ms: number }>;
}

/** Options of {@link createRuntime}. */
export interface RuntimeInit {
  readonly components: readonly AgentComponent[];
  readonly logger?: AgentLogger;
  /** Limit for `stop()`, all components together. Default 20 000 ms. */
  readonly shutdownDeadlineMs?: number;
  /** How often readiness is re-evaluated while not ready. Default 50 ms. */
  readonly readinessPollMs?: number;
}

/** The running set of components. */
export interface Runtime extends EventTarget {
  /** Starts every component in order; on a failure, stops the ones already started, in reverse, and throws. */
  start(opts?: { signal?: AbortSignal }): Promise<void>;
  /** Stops in reverse order. @throws ShutdownTimeoutError past the deadline (the rest is abandoned). */
  stop(): Promise<void>;
  /** Process is alive and not shut down. */
  live(): boolean;
  /** Every component running and synced. */
  ready(): boolean;
  status(): Record<string, ComponentStatus>;
}

const NOOP_LOGGER: AgentLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Builds the runtime; nothing starts until `start()`. */
export function createRuntime(init: RuntimeInit): Runtime {
  return new AgentRuntime(init);
}

class AgentRuntime extends EventTarget implements Runtime {
  readonly #components: readonly AgentComponent[];
  readonly #log: AgentLogger;
  readonly #deadline: number;
  readonly #pollMs: number;
  readonly #state = new Map<string, { state: ComponentState; error?: string }>();
  readonly #abort = new AbortController();
  #started: AgentComponent[] = [];
  #stopping: Promise<void> | undefined;
  #readyTimer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #wasReady = false;

  constructor(init: RuntimeInit) {
    super();
    const names = new Set<string>();
    for (const c of init.components) {
      if (names.has(c.name)) throw new TypeError(`two components named '${c.name}'`);
      names.add(c.name);
      this.#state.set(c.name, { state: 'idle' });
    }
    this.#components = init.components;
    this.#log = init.logger ?? NOOP_LOGGER;
    this.#deadline = init.shutdownDeadlineMs ?? 20_000;
    this.#pollMs = init.readinessPollMs ?? 50;
  }

  #set(name: string, state: ComponentState, error?: string): void {
    this.#state.set(name, error === undefined ? { state } : { state, error });
    this.dispatchEvent(
      new CustomEvent('component:state', { detail: error === undefined ? { name, state } : { name, state, error } }),
    );
    if (state === 'failed') this.#log.error({ unit: name, err: error }, 'component failed');
    else this.#log.info({ unit: name, state }, `component ${state}`);
  }

  async start(opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#startedAt = performance.now();
    const signal = opts.signal ? AbortSignal.any([opts.signal, this.#abort.signal]) : this.#abort.signal;
    for (const c of this.#components) {
      this.#set(c.name, 'starting');
      try {
        signal.throwIfAborted();
        await c.start(signal);
        this.#started.push(c);
        this.#set(c.name, 'running');
      } catch (err) {
        this.#set(c.name, 'failed', (err as Error).message);
        this.#started.push(c); // a half-started component is stopped too
        await this.stop().catch((e: unknown) => this.#log.error({ err: e }, 'stop after a failed start'));
        throw new ComponentStartError(c.name, { cause: err });
      }
    }
    this.#watchReadiness();
  }

  #watchReadiness(): void {
    const check = () => {
      this.#readyTimer = undefined;
      if (this.#stopping) return;
      if (this.ready()) {
        if (!this.#wasReady) {
          this.#wasReady = true;
          const ms = performance.now() - this.#startedAt;
          this.#log.info({ ms: Math.round(ms) }, 'ready: every component synced');
          this.dispatchEvent(new CustomEvent('agent:ready', { detail: { ms } }));
        }
        return;
      }
      this.#readyTimer = setTimeout(check, this.#pollMs);
      this.#readyTimer.unref();
    };
    check();
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    this.#abort.abort(new Error('agent stopping'));
    if (this.#readyTimer) clearTimeout(this.#readyTimer);
    const pending = new Set<string>();
    const work = (async () => {
      for (const c of [...this.#started].reverse()) {
        pending.add(c.name);
        this.#set(c.name, 'stopping');
        try {
          await c.stop();
          this.#set(c.name, 'stopped');
        } catch (err) {
          this.#set(c.name, 'failed', `stop: ${(err as Error).message}`);
        }
        pending.delete(c.name);
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ShutdownTimeoutError([...pending], this.#deadline)), this.#deadline);
    });
    try {
      await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      this.#started = [];
    }
  }

  live(): boolean {
    return !this.#stopping;
  }

  ready(): boolean {
    if (this.#stopping) return false;
    return this.#components.every((c) => this.#state.get(c.name)?.state === 'running' && c.synced());
  }

  status(): Record<string, ComponentStatus> {
    const out: Record<string, ComponentStatus> = {};
    for (const c of this.#components) {
      const s = this.#state.get(c.name) ?? { state: 'idle' as const };
      const running = s.state === 'running';
      let details: Record<string, unknown> | undefined;
      try {
        details = running ? c.details?.() : undefined;
      } catch (err) {
        details = { error: (err as Error).message };
      }
      out[c.name] = {
        state: s.state,
        synced: running && c.synced(),
        ...(s.error !== undefined && { error: s.error }),
        ...(details !== undefined && { details }),
      };
    }
    return out;
  }
}
