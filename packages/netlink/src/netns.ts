/**
 * Named network namespaces as iproute2 keeps them: a file under /run/netns bind-mounted from a namespace
 * that a helper thread created with unshare(CLONE_NEWNET). The process itself never changes namespace.
 */
import { existsSync, readdirSync } from 'node:fs';
import { InvalidArgumentError, NetnsNotFoundError } from './errors.js';
import { native, nativeError } from './native.js';

/** Where named namespaces live (as `ip netns`). */
export const NETNS_RUN_DIR = '/run/netns';

/** Where a handle lives: a name under /run/netns, `{ path }` of a namespace file, or undefined (current). */
export type NetnsRef = string | { readonly path: string } | undefined;

/** Resolves a namespace reference to a file path ('' for the current namespace). */
export function netnsPath(ref: NetnsRef): string {
  if (ref === undefined) return '';
  if (typeof ref === 'string') {
    validateNetnsName(ref);
    return `${NETNS_RUN_DIR}/${ref}`;
  }
  if (typeof ref.path !== 'string' || ref.path === '')
    throw new InvalidArgumentError('netns.path', ref.path, 'must be a non-empty path');
  return ref.path;
}

/** @throws InvalidArgumentError unless `name` is a usable file name under /run/netns. */
export function validateNetnsName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
    throw new InvalidArgumentError('netns', name, 'must be 1..255 characters');
  }
  if (name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new InvalidArgumentError('netns', name, "must not be '.', '..' or contain '/' or NUL");
  }
}

/**
 * Creates a named namespace (`ip netns add <name>`); its loopback starts down.
 * @throws InvalidArgumentError for a bad name; NativeAddonError ('EEXIST' when it exists, 'EPERM' without root).
 */
export async function createNamedNetns(name: string): Promise<string> {
  validateNetnsName(name);
  const path = `${NETNS_RUN_DIR}/${name}`;
  try {
    await native().netnsAdd(path);
  } catch (e) {
    throw nativeError(e, `create netns ${name}`);
  }
  return path;
}

/**
 * Deletes a named namespace (`ip netns delete <name>`): unmounts and removes its file. The namespace itself
 * goes away once no process or socket holds it.
 * @throws NetnsNotFoundError when it does not exist; NativeAddonError on other failures.
 */
export async function deleteNamedNetns(name: string): Promise<void> {
  validateNetnsName(name);
  const path = `${NETNS_RUN_DIR}/${name}`;
  if (!existsSync(path)) throw new NetnsNotFoundError(name);
  try {
    await native().netnsDelete(path);
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw new NetnsNotFoundError(name, { cause: e });
    throw nativeError(e, `delete netns ${name}`);
  }
}

/** Names of the namespaces under /run/netns (`ip netns list`), sorted. */
export function listNamedNetns(): string[] {
  try {
    return readdirSync(NETNS_RUN_DIR).sort();
  } catch {
    return [];
  }
}

/** Whether a named namespace exists. */
export function namedNetnsExists(name: string): boolean {
  validateNetnsName(name);
  return existsSync(`${NETNS_RUN_DIR}/${name}`);
}
