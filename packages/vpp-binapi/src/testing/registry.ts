import { messagesByName, servicesByRequest } from '../generated/index.js';
import type { FakeVppBindings } from './server.js';

/** The generated bindings (every vendored message and service) in the shape the fake uses. */
export function defaultBindings(): FakeVppBindings {
  return { messages: messagesByName, services: servicesByRequest };
}
