/**
 * The VPP releases the generated bindings speak, at run time: each release's message set, every
 * definition of a message, and which releases a definition belongs to.
 */
import type { AnyMessageDef } from '../codec/registry.js';
import type { ServiceDef } from '../codec/types.js';
import { messages, primaryRelease, releaseDiffs, releases, services, type VppRelease } from '../generated/index.js';
import { VppUnknownReleaseError } from './errors.js';
import type { VppBindings } from './types.js';

export { releases, primaryRelease, type VppRelease };

/** Whether `x` names a release of the generated bindings. */
export function isVppRelease(x: unknown): x is VppRelease {
  return typeof x === 'string' && (releases as readonly string[]).includes(x);
}

/** name → definition, per release */
const perRelease = new Map<VppRelease, Map<string, AnyMessageDef>>();
const servicesPerRelease = new Map<VppRelease, Map<string, ServiceDef>>();
/** wire name → releases whose definition it is */
const releasesByNameCrc = new Map<string, VppRelease[]>();
for (const r of releases) {
  const diff = releaseDiffs[r];
  const absent = new Set(diff.absent);
  const defs = new Map<string, AnyMessageDef>();
  for (const d of messages) if (!absent.has(d.name)) defs.set(d.name, d);
  for (const d of diff.variants) defs.set(d.name, d);
  perRelease.set(r, defs);
  const svcs = new Map<string, ServiceDef>();
  for (const s of services) if (defs.has(s.request)) svcs.set(s.request, s);
  for (const s of diff.services) svcs.set(s.request, s);
  servicesPerRelease.set(r, svcs);
  for (const d of defs.values()) {
    const l = releasesByNameCrc.get(d.nameCrc);
    if (l) l.push(r);
    else releasesByNameCrc.set(d.nameCrc, [r]);
  }
}

/** The releases whose definition `def` (or a wire name `<name>_<crc>`) is, oldest first; empty when none. */
export function releasesOf(def: AnyMessageDef | string): readonly VppRelease[] {
  return releasesByNameCrc.get(typeof def === 'string' ? def : def.nameCrc) ?? [];
}

/** Every definition of message `name` across releases, one per distinct CRC, newest release first. */
export function definitionsOf(name: string): readonly AnyMessageDef[] {
  return definitions.get(name) ?? [];
}

/**
 * The definitions of one release, by name.
 * @throws VppUnknownReleaseError when the bindings have no such release.
 */
export function releaseMessages(release: string): ReadonlyMap<string, AnyMessageDef> {
  if (!isVppRelease(release)) throw new VppUnknownReleaseError(release, releases);
  return perRelease.get(release)!;
}

const byRelease = new Map<VppRelease, VppBindings>();

/**
 * The bindings of exactly one release: its messages and services, nothing of the others.
 * @throws VppUnknownReleaseError when the bindings have no such release.
 */
export function releaseBindings(release: string): VppBindings {
  if (!isVppRelease(release)) throw new VppUnknownReleaseError(release, releases);
  let b = byRelease.get(release);
  if (!b) {
    b = {
      messages: perRelease.get(release)!,
      services: servicesPerRelease.get(release)!,
      releases: [release],
      releasesOf: (w) => releasesOf(w),
    };
    byRelease.set(release, b);
  }
  return b;
}

// every release at once: per name the newest definition, and all of them for the client to pick from
const definitions = new Map<string, AnyMessageDef[]>();
const newest = new Map<string, AnyMessageDef>();
const allServices = new Map<string, ServiceDef>();
for (const r of [...releases].reverse()) {
  for (const d of perRelease.get(r)!.values()) {
    const l = definitions.get(d.name);
    if (!l) {
      definitions.set(d.name, [d]);
      newest.set(d.name, d);
    } else if (!l.includes(d)) l.push(d);
  }
  for (const s of servicesPerRelease.get(r)!.values()) if (!allServices.has(s.request)) allServices.set(s.request, s);
}

/** The generated bindings with every release: the client picks each message's definition by the CRC VPP announces. */
export const allReleasesBindings: VppBindings = {
  messages: newest,
  services: allServices,
  definitions,
  releases,
  releasesOf: (w) => releasesOf(w),
};
