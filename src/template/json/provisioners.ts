// The `provisioners` section (and `error-cleanup-provisioner`): core keys (only, except,
// override, pause_before, max_retries, timeout) are handled here; the rest is validated against
// the provisioner's schema once per build it applies to, with that build's overrides merged in
// and build_name/build_type rendering as that build.
import type { SourcePos } from "../diagnostic.js";
import { f, type ComponentSpec } from "../schema.js";
import type { ProvisionerDef } from "../types.js";
import type { ObjectEntry, ValueNode } from "../value-tree.js";
import { describe, validateConfig } from "../validate-config.js";
import { suggest } from "../suggest.js";
import { componentRenderer, error, report, type JsonLoadContext } from "./context.js";
import { mergeOverride, readTypedComponent } from "./entries.js";
import {
  appliesTo,
  readOnlyExcept,
  unknownBuilderDetail,
  type BuilderNames,
  type OnlyExcept,
} from "./only-except.js";

const CORE_KEYS = ["type", "only", "except", "override", "pause_before", "max_retries", "timeout"] as const;

const provisionerCoreSpec: ComponentSpec = {
  type: "provisioner",
  schema: {
    pause_before: f.duration("Pause before this provisioner.").default(0),
    max_retries: f.int("Retries after a failure.").default(0),
    timeout: f.duration("Cancel the provisioner after this long (0: never).").default(0),
  },
};

export interface RawProvisioner {
  /** "provisioner 2" or "error-cleanup-provisioner", for messages. */
  label: string;
  type: string;
  spec?: ComponentSpec;
  onlyExcept: OnlyExcept;
  overrides: Map<string, ObjectEntry[]>;
  core: Extract<ValueNode, { kind: "object" }>;
  config: Extract<ValueNode, { kind: "object" }>;
  pos?: SourcePos;
}

export function readProvisioner(
  ctx: JsonLoadContext,
  item: ValueNode,
  label: string,
  builders: BuilderNames,
): RawProvisioner | undefined {
  if (item.kind !== "object") {
    error(
      ctx,
      item.pos,
      `${label}: expected an object, got ${describe(item)}`,
      'e.g. {"type": "shell", "inline": ["echo hello"]}',
    );
    return undefined;
  }
  const typed = readTypedComponent(
    ctx,
    item,
    "provisioner",
    label,
    CORE_KEYS,
    '{"type": "shell", "inline": ["echo hello"]}',
  );
  if (!typed) return undefined;
  const { type, spec, core, config } = typed;
  // Invalid only/except were reported; validate for every build so nothing else hides.
  const onlyExcept = readOnlyExcept(ctx, core.get("only"), core.get("except"), builders) ?? {};
  const overrides = readOverrides(ctx, core.get("override"), builders);
  const coreEntries = ["pause_before", "max_retries", "timeout"].flatMap((k) =>
    core.has(k) ? [core.get(k)!] : [],
  );
  return {
    label,
    type,
    spec,
    onlyExcept,
    overrides,
    core: { kind: "object", entries: coreEntries, pos: item.pos },
    config,
    pos: item.pos,
  };
}

function readOverrides(
  ctx: JsonLoadContext,
  e: ObjectEntry | undefined,
  builders: BuilderNames,
): Map<string, ObjectEntry[]> {
  const out = new Map<string, ObjectEntry[]>();
  if (!e) return out;
  if (e.value.kind !== "object") {
    error(
      ctx,
      e.value.pos,
      `override: expected an object of builder name → options, got ${describe(e.value)}`,
    );
    return out;
  }
  for (const o of e.value.entries) {
    if (!builders.has(o.key)) {
      const detail = unknownBuilderDetail(o.key, builders);
      error(
        ctx,
        o.keyPos,
        `override: no builder is named ${JSON.stringify(o.key)}`,
        detail,
        detail.startsWith("builders in") ? suggest(o.key, [...builders.keys()]) : undefined,
      );
      continue;
    }
    if (o.value.kind !== "object") {
      error(ctx, o.value.pos, `override.${o.key}: expected an object of options, got ${describe(o.value)}`);
      continue;
    }
    out.set(o.key, o.value.entries);
  }
  return out;
}

/**
 * The provisioner as configured for one build, or undefined if it does not apply (or failed).
 * only/except/override match the builder's name as written (`rawName`), as Packer does.
 */
export function provisionerFor(
  ctx: JsonLoadContext,
  raw: RawProvisioner,
  build: { name: string; rawName: string; type: string },
): ProvisionerDef | undefined {
  if (!raw.spec || !appliesTo(raw.onlyExcept, build.rawName)) return undefined;
  const r = componentRenderer(ctx, build);
  const common = {
    format: "json" as const,
    render: r.render,
    checkLate: r.check,
    file: ctx.file,
    templateDir: ctx.templateDir,
    cwd: ctx.opts.cwd,
    blockPos: raw.pos,
    what: `${raw.label} (${raw.type})`,
  };
  const core = validateConfig(provisionerCoreSpec, raw.core, common);
  const own = validateConfig(raw.spec, mergeOverride(raw.config, raw.overrides.get(build.rawName)), common);
  report(ctx, ...core.diagnostics, ...own.diagnostics);
  if ([...core.diagnostics, ...own.diagnostics].some((d) => d.severity === "error")) return undefined;
  const c = core.config as { pause_before: number; max_retries: number; timeout: number };
  return {
    type: raw.type,
    config: own.config,
    pauseBeforeMs: c.pause_before,
    maxRetries: c.max_retries,
    timeoutMs: c.timeout,
    pos: raw.pos,
  };
}
