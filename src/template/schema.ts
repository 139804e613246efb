// One schema per component is the source of truth for its options: type, default, doc text, and
// (through `ConfigOf`) the TypeScript type the component receives. Loaders (JSON and HCL) validate
// against it and report every problem with a position; docs tables are generated from it.

export type FieldKind =
  | "string"
  | "bool"
  | "int"
  | "duration" // "1m30s" or a number of seconds → milliseconds
  | "strings" // list of strings
  | "ints" // list of integers
  | "map" // string → string
  | "any"; // free-form (e.g. provisioner `override`, manifest `custom_data`)

type ValueOf<K extends FieldKind> = K extends "string"
  ? string
  : K extends "bool"
    ? boolean
    : K extends "int" | "duration"
      ? number
      : K extends "strings"
        ? string[]
        : K extends "ints"
          ? number[]
          : K extends "map"
            ? Record<string, string>
            : unknown;

export interface FieldDef<K extends FieldKind = FieldKind, D extends boolean = boolean> {
  readonly kind: K;
  readonly doc: string;
  readonly required: boolean;
  readonly hasDefault: D;
  readonly defaultValue?: ValueOf<K>;
  /** Kept unrendered at prepare time; the component renders it at run time with its own data. */
  readonly late: boolean;
  /** A single string is accepted for a list (Packer's weak decoding), without a warning. */
  readonly single: boolean;
  readonly oneOf?: readonly string[];
  /** Deprecated alias: the message printed when used. */
  readonly deprecated?: string;
  /** Accepted and ignored (documented in docs/compat.md). */
  readonly ignored?: string;
  /** `kiln fix` rewrites this deprecated option (JSON templates): the warning says so. */
  readonly kilnFix?: boolean;
}

export class Field<K extends FieldKind, D extends boolean> implements FieldDef<K, D> {
  constructor(
    readonly kind: K,
    readonly doc: string,
    readonly required = false,
    readonly hasDefault: D = false as D,
    readonly defaultValue?: ValueOf<K>,
    readonly late = false,
    readonly single = false,
    readonly oneOf?: readonly string[],
    readonly deprecated?: string,
    readonly ignored?: string,
    readonly kilnFix?: boolean,
  ) {}
  /** Copy with some properties changed (fields are immutable). */
  with(p: Partial<FieldDef>): Field<K, D> {
    const o = { ...this, ...p } as FieldDef;
    return new Field(
      o.kind as K,
      o.doc,
      o.required,
      o.hasDefault as D,
      o.defaultValue as ValueOf<K>,
      o.late,
      o.single,
      o.oneOf,
      o.deprecated,
      o.ignored,
      o.kilnFix,
    );
  }
  default(v: ValueOf<K>): Field<K, true> {
    return this.with({ hasDefault: true, defaultValue: v }) as unknown as Field<K, true>;
  }
  need(): Field<K, true> {
    return this.with({ required: true, hasDefault: true }) as unknown as Field<K, true>;
  }
  lateRender(): Field<K, D> {
    return this.with({ late: true });
  }
  acceptSingle(): Field<K, D> {
    return this.with({ single: true });
  }
  choices(values: readonly string[]): Field<K, D> {
    return this.with({ oneOf: values });
  }
  deprecate(msg: string): Field<K, D> {
    return this.with({ deprecated: msg });
  }
  /** A deprecated option `kiln fix` rewrites. */
  deprecateFixable(msg: string): Field<K, D> {
    return this.with({ deprecated: msg, kilnFix: true });
  }
  ignore(why: string): Field<K, D> {
    return this.with({ ignored: why });
  }
}

export const f = {
  string: (doc: string) => new Field("string", doc),
  bool: (doc: string) => new Field("bool", doc),
  int: (doc: string) => new Field("int", doc),
  duration: (doc: string) => new Field("duration", doc),
  strings: (doc: string) => new Field("strings", doc),
  ints: (doc: string) => new Field("ints", doc),
  map: (doc: string) => new Field("map", doc),
  any: (doc: string) => new Field("any", doc),
};

export type Schema = Record<string, FieldDef>;

/** The typed config a component receives: defaulted/required fields are present, others optional. */
export type ConfigOf<S extends Schema> = {
  [K in keyof S as S[K] extends FieldDef<FieldKind, true> ? K : never]: S[K] extends FieldDef<infer T, true>
    ? ValueOf<T>
    : never;
} & {
  [K in keyof S as S[K] extends FieldDef<FieldKind, true> ? never : K]?: S[K] extends FieldDef<
    infer T,
    boolean
  >
    ? ValueOf<T>
    : never;
};

/**
 * A problem found by a cross-field check: [field, message, extras?]. `field` is "" for the block,
 * a key, or `key[i]` for one item of a list (positioned at that item).
 */
export type CheckProblem = [
  field: string,
  message: string,
  extras?: { suggestions?: string[]; detail?: string },
];

export interface CheckContext {
  templateDir: string;
  /** Directory relative paths are resolved from (Packer: the process's cwd). */
  cwd?: string;
}

/** Cross-field checks (exactly one of…, conflicts) run after per-field validation. */
export interface ComponentSpec<S extends Schema = Schema> {
  type: string;
  schema: S;
  /**
   * Options Packer 1.6.6 deprecated (config.DeprecatedOptions) and `kiln fix` rewrites: the key →
   * what to write instead. Validation names the option and the fix instead of a did-you-mean.
   */
  obsolete?: Readonly<Record<string, string>>;
  /** Returns problems as [field (or "" for the block), message] pairs. Pure: no I/O but stat. */
  check?: (config: ConfigOf<S>, ctx: CheckContext) => CheckProblem[];
  /** Rewrites legacy spellings in place after defaults, before `check` (Packer's backwards compatibility). */
  normalize?: (config: ConfigOf<S>) => void;
}
