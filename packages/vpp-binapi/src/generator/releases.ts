/**
 * Bindings for several VPP releases at once, without repeating what they share.
 *
 * The primary release (the newest) is generated as usual: one module per schema, `index.ts`. For every
 * other release, only the messages whose wire name (`<name>_<crc>`) no newer release has are generated,
 * into `v<release>/<module>.ts` (`v26_02/cnat.ts`): a message whose CRC is the same in several releases
 * exists once, a message that differs gets one definition per CRC. The types those messages use come
 * from the primary modules when they are the same there (compared structurally, nested types
 * included), and are generated beside the message when they differ. The index then names, per
 * release, which messages it lacks and which definitions it uses instead (`releaseDiffs`), and gives
 * the message and service type maps per release and as the union over releases.
 */
import {
  SchemaSet,
  emitIndex,
  emitModule,
  isTextType,
  typeNamesOf,
  type EmitOptions,
  type ModuleOutput,
} from './emit.js';
import { shareImpls } from './share.js';
import {
  SchemaError,
  parseModule,
  shortName,
  type FieldSpec,
  type MessageSpec,
  type ModuleSpec,
  type ServiceSpec,
  type TypeSpec,
} from './schema.js';
import type { GenerateInit, SchemaFile } from './index.js';

/** The schemas of one VPP release. */
export interface ReleaseSchemas {
  /** Release name as users write it, e.g. `26.06`. */
  readonly release: string;
  readonly files: readonly SchemaFile[];
}

const BASE = new Set(['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f64', 'bool', 'string']);

/** A structural fingerprint of every type of a schema set: equal text ⇔ same layout and values. */
class Fingerprints {
  private readonly memo = new Map<string, string>();
  constructor(private readonly set: SchemaSet) {}

  /** Fingerprint of type `name` (short name) as module `mod` sees it. */
  of(name: string, mod: string): string {
    // text types (addresses, prefixes, MACs) are laid out by the codec, whatever the schema annotates
    if (isTextType(name)) return `text:${name}`;
    const owner = this.set.owner(name, mod);
    const k = `${owner}.${name}`;
    const hit = this.memo.get(k);
    if (hit !== undefined) return hit;
    this.memo.set(k, `(recursive ${name})`);
    const t = this.set.type(name, owner);
    let fp: string;
    switch (t.kind) {
      case 'enum':
      case 'enumflags':
        fp = JSON.stringify([t.kind, t.width, t.values]);
        break;
      case 'alias':
        fp = JSON.stringify(['alias', this.field(t.type, owner), t.length ?? null]);
        break;
      default:
        fp = JSON.stringify([t.kind, t.fields.map((f) => this.fieldSpec(f, owner))]);
    }
    this.memo.set(k, fp);
    return fp;
  }

  private field(type: string, mod: string): string {
    return BASE.has(type) ? type : this.of(shortName(type), mod);
  }

  private fieldSpec(f: FieldSpec, mod: string): unknown[] {
    return [
      f.name,
      this.field(f.type, mod),
      f.length ?? null,
      f.lengthFrom ?? null,
      f.default ?? null,
      f.discriminator ?? null,
      f.case ?? null,
    ];
  }
}

/** Short names of the non-base types `fields` use directly. */
function fieldTypes(fields: readonly FieldSpec[]): string[] {
  return fields.filter((f) => !BASE.has(f.type)).map((f) => shortName(f.type));
}

function typeDeps(t: TypeSpec): string[] {
  switch (t.kind) {
    case 'struct':
    case 'union':
      return fieldTypes(t.fields);
    case 'alias':
      return BASE.has(t.type) ? [] : [shortName(t.type)];
    default:
      return [];
  }
}

/** `26.02` → `v26_02`: the directory and namespace of a release's own definitions. */
export function releaseDir(release: string): string {
  return `v${release.replace(/\W/g, '_')}`;
}

function nameCrc(m: MessageSpec): string {
  return `${m.name}_${m.crc.replace(/^0x/, '')}`;
}

/** One generated definition of a message: where its code lives. */
interface DefRef {
  name: string;
  /** Namespace alias in the index (`m_cnat`, `v26_02_cnat`). */
  ns: string;
  module: string;
}

interface ReleaseModel {
  release: string;
  set: SchemaSet;
  /** message name → the definition (by wire name) this release uses */
  defs: Map<string, DefRef>;
  services: ServiceSpec[];
}

/**
 * Generates bindings for every release in `releases` (oldest first; the last one is the primary, whose
 * types keep their plain names). Returns file name → source text, like `generate`.
 * @throws SchemaError when a schema cannot be resolved.
 */
export function generateReleases(releases: readonly ReleaseSchemas[], init: GenerateInit = {}): Map<string, string> {
  if (releases.length === 0) throw new SchemaError('no release given');
  const primary = releases[releases.length - 1]!;
  const sortMods = (files: readonly SchemaFile[]): ModuleSpec[] =>
    [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((f) => parseModule(f.json, f.name));
  const pMods = sortMods(primary.files);
  const pSet = new SchemaSet(pMods);
  const pFp = new Fingerprints(pSet);
  const runtimeImport = init.runtimeImport ?? '../codec/support.js';
  const opts: EmitOptions = { runtimeImport };
  if (init.source !== undefined) opts.source = init.source;
  const out = new Map<string, string>();
  const outputs = pMods.map((m) => emitModule(pSet, m, opts));
  for (const o of outputs) out.set(o.file, o.code);

  // the primary's definitions, and which module owns each of its types
  const generated = new Map<string, DefRef>(); // wire name → where its code is
  for (const m of pMods)
    for (const msg of m.messages) generated.set(nameCrc(msg), { name: msg.name, ns: `m_${m.name}`, module: m.name });
  const pTypeOwner = new Map<string, string>();
  for (const m of pMods)
    for (const t of m.types) if (pSet.ownsType(t, m.name) && !pTypeOwner.has(t.name)) pTypeOwner.set(t.name, m.name);

  const models: ReleaseModel[] = [];
  const primaryModel: ReleaseModel = {
    release: primary.release,
    set: pSet,
    defs: new Map(),
    services: pMods.flatMap((m) => m.services),
  };
  for (const m of pMods) for (const msg of m.messages) primaryModel.defs.set(msg.name, generated.get(nameCrc(msg))!);
  const variantOutputs: { release: string; dir: string; output: ModuleOutput }[] = [];

  for (let i = releases.length - 2; i >= 0; i--) {
    const r = releases[i]!;
    const dir = releaseDir(r.release);
    const mods = sortMods(r.files);
    const set = new SchemaSet(mods);
    const fp = new Fingerprints(set);
    const model: ReleaseModel = { release: r.release, set, defs: new Map(), services: mods.flatMap((m) => m.services) };
    // messages no newer release generated
    const own = new Map<string, MessageSpec[]>();
    for (const m of mods) {
      for (const msg of m.messages) {
        const wire = nameCrc(msg);
        let ref = generated.get(wire);
        if (!ref) {
          ref = { name: msg.name, ns: `${dir}_${m.name}`, module: m.name };
          generated.set(wire, ref);
          const l = own.get(m.name) ?? [];
          l.push(msg);
          own.set(m.name, l);
        }
        model.defs.set(msg.name, ref);
      }
    }
    // the types they use that differ from the primary's (or that it lacks), by owning module
    const differ = new Map<string, Set<string>>();
    const same = (name: string, mod: string): boolean => {
      const pOwner = pTypeOwner.get(name);
      return pOwner !== undefined && pFp.of(name, pOwner) === fp.of(name, mod);
    };
    const visit = (name: string, mod: string): void => {
      const owner = set.owner(name, mod);
      if (differ.get(owner)?.has(name) || isTextType(name) || same(name, owner)) return;
      let s = differ.get(owner);
      if (!s) differ.set(owner, (s = new Set()));
      s.add(name);
      for (const d of typeDeps(set.type(name, owner))) visit(d, owner);
    };
    for (const [mod, msgs] of own) for (const msg of msgs) for (const t of fieldTypes(msg.fields)) visit(t, mod);
    const external = (typeName: string, owner: string): string | undefined =>
      differ.get(owner)?.has(typeName) ? undefined : `../${pTypeOwner.get(typeName) ?? owner}.js`;
    const vOpts: EmitOptions = { runtimeImport: relativeUp(runtimeImport), external, source: `VPP ${r.release}` };
    for (const m of mods) {
      const msgs = own.get(m.name) ?? [];
      const types = m.types.filter((t) => differ.get(m.name)?.has(t.name) && set.ownsType(t, m.name));
      if (!msgs.length && !types.length) continue;
      const spec: ModuleSpec = { ...m, types, messages: msgs, services: [] };
      const o = emitModule(set, spec, vOpts);
      out.set(`${dir}/${o.file}`, o.code);
      variantOutputs.push({ release: r.release, dir, output: o });
    }
    models.push(model);
  }
  models.reverse();
  models.push(primaryModel);
  // the other releases' modules are imported beside the primary's, their tables go at the end
  const index = emitIndex(pSet, outputs, opts);
  const imports = variantOutputs.map(
    (v) => `import * as ${v.dir}_${v.output.module.replace(/\W/g, '_')} from './${v.dir}/${v.output.module}.js';`,
  );
  const cut = index.indexOf('\n\nexport {');
  if (cut < 0) throw new SchemaError('index without exports');
  out.set(
    'index.ts',
    `${index.slice(0, cut)}\n${imports.join('\n')}${index.slice(cut)}${emitReleaseIndex(models, generated)}`,
  );
  // the primary's modules share functions exactly as generate() would for the primary alone; the
  // other releases' few modules keep theirs
  shareImpls(out, typeNamesOf(pSet), runtimeImport, (f) => !f.includes('/'));
  return out;
}

/** A relative module specifier one directory deeper: `../codec/support.js` → `../../codec/support.js`. */
function relativeUp(spec: string): string {
  return spec.startsWith('./') ? `../${spec.slice(2)}` : spec.startsWith('../') ? `../${spec}` : spec;
}

function q(s: string): string {
  return JSON.stringify(s);
}

function key(s: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(s) ? s : JSON.stringify(s);
}

function typeSuffix(release: string): string {
  return `_${release.replace(/\W/g, '_')}`;
}

/** Index lines for the releases: variant imports, release tables, per-release and union type maps. */
function emitReleaseIndex(models: readonly ReleaseModel[], generated: Map<string, DefRef>): string {
  const primary = models[models.length - 1]!;
  const lines: string[] = [
    '',
    '// ---------------------------------------------------------------------------------------------',
    '// releases',
  ];
  const T = (d: DefRef): string => `${d.ns}.${d.name}`;
  const allRefs = [...new Set(generated.values())];
  const variantRefs = allRefs.filter((d) => !d.ns.startsWith('m_'));
  lines.push('');
  lines.push(
    `/** The VPP releases these bindings speak, oldest first. The last is the primary release: \`messages\`, \`VppMessages\`, \`VppCalls\`... are its. */`,
  );
  lines.push(`export const releases = [${models.map((m) => q(m.release)).join(', ')}] as const;`);
  lines.push(`/** A VPP release these bindings speak. */`);
  lines.push(`export type VppRelease = (typeof releases)[number];`);
  lines.push(`/** The release \`messages\` and the plain type maps describe. */`);
  lines.push(`export const primaryRelease = ${q(primary.release)};`);
  lines.push('');
  lines.push(
    `/** Definitions of the other releases: messages whose CRC differs from the primary's, or that it lacks. One per wire name. */`,
  );
  lines.push(
    `export const messageVariants: readonly MessageDef<any>[] = [\n  ${variantRefs.map(T).join(',\n  ')},\n];`,
  );
  lines.push(`/** Every definition of every release, by wire name (\`cnat_set_snat_policy_d3e6eaf4\`). */`);
  lines.push(
    `export const allMessagesByNameCrc: ReadonlyMap<string, MessageDef<any>> = new Map([...messages, ...messageVariants].map((m) => [m.nameCrc, m]));`,
  );
  // per release: what differs from the primary
  const diffs: string[] = [];
  const svcKey = (s: ServiceSpec): string =>
    JSON.stringify([s.reply, s.stream ?? false, s.streamMsg ?? null, s.events ?? []]);
  const pSvc = new Map(primary.services.map((s) => [s.request, svcKey(s)]));
  for (const m of models) {
    const absent = [...primary.defs.keys()].filter((n) => !m.defs.has(n));
    const changed = [...m.defs].filter(([n, d]) => primary.defs.get(n) !== d).map(([, d]) => d);
    const svcs = m.services.filter((s) => pSvc.get(s.request) !== svcKey(s) && m.defs.has(s.request));
    const svcText = svcs.map((s) => serviceDef(s, m.defs)).filter((x): x is string => x !== undefined);
    diffs.push(
      `  ${q(m.release)}: {\n    absent: [${absent.map(q).join(', ')}],\n    variants: [${changed.map(T).join(', ')}],\n    services: [${svcText.join(', ')}],\n  }`,
    );
  }
  lines.push(`/**`);
  lines.push(
    ` * How each release's message set differs from the primary's (\`messages\`, \`services\`): the names it lacks,`,
  );
  lines.push(` * the definitions it uses instead of the primary's or in addition (from \`messageVariants\`), and its`);
  lines.push(` * services the primary lacks or answers otherwise.`);
  lines.push(` */`);
  lines.push(
    `export const releaseDiffs: { readonly [R in VppRelease]: { readonly absent: readonly string[]; readonly variants: readonly MessageDef<any>[]; readonly services: readonly ServiceDef[] } } = {\n${diffs.join(',\n')},\n};`,
  );

  // type maps per release, as overlays of the primary's
  type Entries = Map<string, string>;
  const maps = (m: ReleaseModel): Record<'Messages' | 'Calls' | 'Dumps' | 'Gets' | 'Events', Entries> => {
    const r = { Messages: new Map(), Calls: new Map(), Dumps: new Map(), Gets: new Map(), Events: new Map() } as Record<
      'Messages' | 'Calls' | 'Dumps' | 'Gets' | 'Events',
      Entries
    >;
    for (const [n, d] of m.defs) r.Messages.set(n, T(d));
    const seen = new Set<string>();
    for (const s of m.services) {
      const D = (n: string): DefRef | undefined => m.defs.get(n);
      if (seen.has(s.request) || !D(s.request) || s.reply === 'null' || !D(s.reply)) continue;
      seen.add(s.request);
      if (s.streamMsg) {
        if (!D(s.streamMsg)) continue;
        r.Gets.set(
          s.request,
          `{ request: ${T(D(s.request)!)}; reply: ${T(D(s.reply)!)}; details: ${T(D(s.streamMsg)!)} }`,
        );
      } else if (s.stream) {
        if (!D('control_ping_reply')) continue;
        r.Dumps.set(s.request, `{ request: ${T(D(s.request)!)}; details: ${T(D(s.reply)!)} }`);
      } else {
        r.Calls.set(s.request, `{ request: ${T(D(s.request)!)}; reply: ${T(D(s.reply)!)} }`);
        const ev = (s.events ?? []).map(D).filter((x): x is DefRef => x !== undefined);
        if (ev.length)
          r.Events.set(
            s.request,
            `{ request: ${T(D(s.request)!)}; reply: ${T(D(s.reply)!)}; event: ${ev.map(T).join(' | ')} }`,
          );
      }
    }
    return r;
  };
  const pMaps = maps(primary);
  const kinds = ['Messages', 'Calls', 'Dumps', 'Gets', 'Events'] as const;
  const relMaps = models.map((m) => ({ m, maps: m === primary ? pMaps : maps(m) }));
  const typeName = (kind: string, m: ReleaseModel): string =>
    m === primary ? `Vpp${kind}` : `Vpp${kind}${typeSuffix(m.release)}`;
  lines.push('');
  for (const kind of kinds) {
    const base = pMaps[kind];
    for (const { m, maps: mm } of relMaps) {
      if (m === primary) continue;
      const own = mm[kind];
      const drop = [...base.keys()].filter((k) => own.get(k) !== base.get(k));
      const add = [...own].filter(([k, v]) => base.get(k) !== v);
      const ext = drop.length ? `Omit<Vpp${kind}, ${drop.map(q).join(' | ')}>` : `Vpp${kind}`;
      lines.push(`/** {@link Vpp${kind}} as VPP ${m.release} has it. */`);
      lines.push(
        `export interface ${typeName(kind, m)} extends ${ext} {${add.length ? `\n${add.map(([k, v]) => `  ${key(k)}: ${v};`).join('\n')}\n` : ''}}`,
      );
    }
    // the union over releases: every name any release has, typed as the union of its shapes
    const names = new Set<string>();
    for (const { maps: mm } of relMaps) for (const k of mm[kind].keys()) names.add(k);
    const unions: string[] = [];
    const drop: string[] = [];
    for (const n of names) {
      const shapes = [
        ...new Set(relMaps.map(({ maps: mm }) => mm[kind].get(n)).filter((x): x is string => x !== undefined)),
      ];
      if (shapes.length === 1 && base.get(n) === shapes[0]) continue;
      if (base.has(n)) drop.push(n);
      const has = relMaps.filter(({ maps: mm }) => mm[kind].has(n));
      const distinct = new Map<string, string>();
      for (const { m, maps: mm } of has)
        if (!distinct.has(mm[kind].get(n)!)) distinct.set(mm[kind].get(n)!, `${typeName(kind, m)}[${q(n)}]`);
      unions.push(`  ${key(n)}: ${[...distinct.values()].join(' | ')};`);
    }
    lines.push(
      `/** {@link Vpp${kind}} over every release: each name any release has, typed as the union of its shapes. */`,
    );
    lines.push(
      `export interface VppAll${kind} extends ${drop.length ? `Omit<Vpp${kind}, ${drop.map(q).join(' | ')}>` : `Vpp${kind}`} {${unions.length ? `\n${unions.join('\n')}\n` : ''}}`,
    );
    lines.push(`/** {@link Vpp${kind}} by release. */`);
    lines.push(
      `export interface VppRelease${kind} {\n${models.map((m) => `  ${q(m.release)}: ${typeName(kind, m)};`).join('\n')}\n}`,
    );
    lines.push('');
  }
  return lines.join('\n');
}

function serviceDef(s: ServiceSpec, defs: Map<string, DefRef>): string | undefined {
  if (s.reply === 'null' || !defs.has(s.reply)) return undefined;
  if (s.streamMsg)
    return defs.has(s.streamMsg)
      ? `{ request: ${q(s.request)}, reply: ${q(s.reply)}, streamMessage: ${q(s.streamMsg)} }`
      : undefined;
  if (s.stream) return `{ request: ${q(s.request)}, reply: 'control_ping_reply', stream: ${q(s.reply)} }`;
  const ev = (s.events ?? []).filter((e) => defs.has(e));
  return ev.length
    ? `{ request: ${q(s.request)}, reply: ${q(s.reply)}, events: [${ev.map(q).join(', ')}] }`
    : `{ request: ${q(s.request)}, reply: ${q(s.reply)} }`;
}
