import type { MessageDef, ServiceDef } from './types.js';

/** A message codec of any message type (registries hold many). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMessageDef = MessageDef<any>;

/**
 * Lookup of message codecs by VPP name and by wire name (`<name>_<crc>`), and of services by request.
 * Build one from the generated `messages` and `services`, or from bindings generated for other plugins.
 */
export class MessageRegistry {
  private readonly names = new Map<string, AnyMessageDef>();
  private readonly nameCrcs = new Map<string, AnyMessageDef>();
  private readonly svcs = new Map<string, ServiceDef>();

  constructor(messages: Iterable<AnyMessageDef> = [], services: Iterable<ServiceDef> = []) {
    for (const m of messages) this.add(m);
    for (const s of services) this.svcs.set(s.request, s);
  }

  /** Adds (or replaces) a codec. */
  add(def: AnyMessageDef): void {
    this.names.set(def.name, def);
    this.nameCrcs.set(def.nameCrc, def);
  }

  /** The codec for a VPP name (`ip_route_add_del`), or undefined. */
  byName(name: string): AnyMessageDef | undefined {
    return this.names.get(name);
  }

  /** The codec for a wire name (`ip_route_add_del_b8ecfe0d`), or undefined. */
  byNameCrc(nameCrc: string): AnyMessageDef | undefined {
    return this.nameCrcs.get(nameCrc);
  }

  /** How `request` is answered, or undefined. */
  service(request: string): ServiceDef | undefined {
    return this.svcs.get(request);
  }

  /** Every codec. */
  messages(): IterableIterator<AnyMessageDef> {
    return this.names.values();
  }

  get size(): number {
    return this.names.size;
  }
}
