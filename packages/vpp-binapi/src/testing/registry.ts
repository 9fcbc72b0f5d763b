import { primaryRelease, releaseBindings } from '../client/releases.js';
import type { FakeVppBindings } from './server.js';

/**
 * The generated bindings of one VPP release (every vendored message and service it has, with its CRCs)
 * in the shape the fake uses. Default: the primary release, 26.06.
 * @throws VppUnknownReleaseError for a release the bindings do not have.
 */
export function defaultBindings(release: string = primaryRelease): FakeVppBindings {
  const b = releaseBindings(release);
  return { messages: b.messages, services: b.services };
}
