/**
 * The lab's network: a "switch" netns with a Linux bridge, one netns per node whose uplink is a veth into the
 * switch, and pod netns. Everything created is recorded and removed by `destroy()`, in reverse, even after a
 * failure half-way; names carry a per-run prefix so that two labs never collide.
 */
import { spawnSync } from 'node:child_process';

/** One node of the lab. */
export interface LabNode {
  readonly name: string;
  /** The node's netns (its "host"). */
  readonly netns: string;
  /** The netns VPP runs in (vpp-manager parks the uplink there). */
  readonly vppNetns: string;
  readonly uplink: string;
  readonly ip4: string;
  readonly prefixLength: number;
  readonly gateway4: string;
  readonly mac: string;
}

/** A shell step the lab ran, for the progress log. */
export type LabLog = (line: string) => void;

/** Runs `ip` (or another command) and throws with its stderr when it fails. */
export function sh(cmd: string, args: readonly string[], log?: LabLog): string {
  log?.(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

/** The switch, the nodes, and what to undo. */
export class LabTopology {
  readonly switchNetns: string;
  readonly nodes: LabNode[] = [];
  readonly #undo: { what: string; run: () => void }[] = [];
  readonly #log: LabLog | undefined;

  constructor(
    readonly prefix: string,
    log?: LabLog,
  ) {
    this.switchNetns = `${prefix}-sw`;
    this.#log = log;
  }

  #netns(name: string): void {
    sh('ip', ['netns', 'add', name], this.#log);
    this.#undo.push({ what: `netns ${name}`, run: () => sh('ip', ['netns', 'del', name]) });
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up'], this.#log);
  }

  /** Creates the switch: a netns with bridge `br0` holding the gateway address. */
  createSwitch(gateway4: string, prefixLength: number): void {
    this.#netns(this.switchNetns);
    sh('ip', ['-n', this.switchNetns, 'link', 'add', 'br0', 'type', 'bridge'], this.#log);
    sh('ip', ['-n', this.switchNetns, 'addr', 'add', `${gateway4}/${prefixLength}`, 'dev', 'br0'], this.#log);
    sh('ip', ['-n', this.switchNetns, 'link', 'set', 'br0', 'up'], this.#log);
  }

  /** Creates a node netns (and its VPP netns) with uplink `eth0` plugged into the switch. */
  addNode(init: { name: string; ip4: string; prefixLength: number; gateway4: string; mac: string }): LabNode {
    const node: LabNode = {
      name: init.name,
      netns: `${this.prefix}-${init.name}`,
      vppNetns: `${this.prefix}-${init.name}-vpp`,
      uplink: 'eth0',
      ip4: init.ip4,
      prefixLength: init.prefixLength,
      gateway4: init.gateway4,
      mac: init.mac,
    };
    this.#netns(node.netns);
    this.#netns(node.vppNetns);
    const port = `${init.name}`.slice(0, 15);
    sh(
      'ip',
      ['-n', this.switchNetns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns],
      this.#log,
    );
    sh('ip', ['-n', this.switchNetns, 'link', 'set', port, 'master', 'br0', 'up'], this.#log);
    sh('ip', ['-n', node.netns, 'link', 'set', 'eth0', 'address', init.mac], this.#log);
    sh('ip', ['-n', node.netns, 'addr', 'add', `${init.ip4}/${init.prefixLength}`, 'dev', 'eth0'], this.#log);
    sh('ip', ['-n', node.netns, 'link', 'set', 'eth0', 'up'], this.#log);
    sh('ip', ['-n', node.netns, 'route', 'add', 'default', 'via', init.gateway4], this.#log);
    this.nodes.push(node);
    return node;
  }

  /** Creates an empty pod netns (the CNI plugin builds its interface). */
  addPodNetns(name: string): string {
    const ns = `${this.prefix}-${name}`;
    this.#netns(ns);
    return ns;
  }

  /** Registers something else to undo (a process, a directory), run in reverse with the rest. */
  onDestroy(what: string, run: () => void): void {
    this.#undo.push({ what, run });
  }

  /** Removes everything, last created first; reports what could not be removed instead of stopping. */
  destroy(): string[] {
    const failed: string[] = [];
    while (this.#undo.length) {
      const u = this.#undo.pop()!;
      try {
        u.run();
      } catch (err) {
        failed.push(`${u.what}: ${(err as Error).message}`);
      }
    }
    return failed;
  }
}
