/**
 * How the `vectorplane` daemon is started: glibc malloc settings that return freed memory to the system. Parsing
 * and compiling the 2.4 MB bundle frees tens of MB that glibc, with its dynamic trim threshold, otherwise keeps
 * (measured with bench/idle-memory.ts: idle RSS 95 MB → 73 MB with the fake VPP; V8's heap unchanged). glibc reads
 * them at process start, so they are set where the process is started: the bundle's `#!/usr/bin/env -S …` line,
 * bin/vectorplane.js, the image's wrapper (deploy/Dockerfile), the lab and the benchmark.
 *
 * Not set, measured: `--max-semi-space-size=1|2` (V8's young generation) saved 1–4 MB at idle, within the noise
 * of this machine, for more scavenges under bursts; `--v8-pool-size=1` and `--single-threaded` saved 1–5 MB but
 * take background compilation and GC threads away from a process that programs VPP in bursts.
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = {
  /** Fixed, so that glibc gives back freed memory above 128 KiB at the top of the heap. */
  MALLOC_TRIM_THRESHOLD_: '131072',
  /** Two malloc arenas instead of eight per core: less memory held by idle threads. */
  MALLOC_ARENA_MAX: '2',
};

/** The environment a daemon is started with: `env` plus {@link DAEMON_ENV} where `env` does not set them. */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...DAEMON_ENV, ...env };
}
