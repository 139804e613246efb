// A provisioner step's cache key, computed the one way both `kiln build` (provision-steps.ts) and
// `kiln plan` (plan/cache-plan.ts) compute it: the step's inputs (rendered, digested), whether it can
// be cached at all, and the key document chained on the step before it. Plan predicts what build
// does only because neither has a copy of this.
import type { BuildData } from "../core/build-data.js";
import type { ComponentRegistry } from "../core/registry.js";
import type { StepInputs } from "../core/step-inputs.js";
import { buildDataSentinel, type BuildDef, type ProvisionerDef } from "../template/types.js";
import { cacheKey, keyDocument, type KeyDocument } from "../cache/key.js";
import { stepInputs } from "./step-inputs.js";

export interface StepKeyArgs {
  build: BuildDef;
  def: ProvisionerDef;
  /** 0-based provisioner index. */
  index: number;
  registry: ComponentRegistry;
  buildData: BuildData;
  cwd: string;
  toolVersion: (tool: string) => Promise<string>;
  /** `-no-cache-step` selectors. */
  noCacheSteps: readonly string[];
  /** Sensitive values: never part of a key. */
  secrets: readonly string[];
  /** The key of the step before (none for the first step). */
  parentKey: string | undefined;
  /** The image the step starts from: the base image's ID, then each step's. */
  parentImage: string;
  /** The builder's container settings; the first step's key holds them. */
  settings: Readonly<Record<string, unknown>> | undefined;
}

export interface StepKey {
  inputs: StepInputs;
  doc: KeyDocument;
  key: string;
  /** Why the step runs every time (it is then never looked up), or undefined. */
  notCacheable?: string;
}

export async function stepKey(a: StepKeyArgs): Promise<StepKey> {
  const inputs = await stepInputs(a.def, {
    registry: a.registry,
    buildData: a.buildData,
    cwd: a.cwd,
    toolVersion: a.toolVersion,
  });
  const doc = keyDocument({
    parentKey: a.parentKey,
    parentImage: a.parentImage,
    settings: a.index === 0 ? a.settings : undefined,
    build: { name: a.build.sourceName, type: a.build.type },
    inputs,
    secrets: a.secrets,
  });
  const notCacheable = reasonNotCacheable(a.def, inputs, a.noCacheSteps, a.build.name, a.index);
  return { inputs, doc, key: cacheKey(doc), ...(notCacheable ? { notCacheable } : {}) };
}

/** `-no-cache-step` selectors: `N` (1-based) or `build:N`. */
export function markedNotCacheable(selectors: readonly string[], build: string, index: number): boolean {
  return selectors.some((s) => {
    const colon = s.lastIndexOf(":");
    const [who, n] = colon === -1 ? [undefined, s] : [s.slice(0, colon), s.slice(colon + 1)];
    return (who === undefined || who === build) && Number(n) === index + 1;
  });
}

/** Build data that is new on every run: a step that uses it is never the same step twice. */
const PER_RUN_DATA = ["ID", "PackerRunUUID"] as const;

function reasonNotCacheable(
  def: ProvisionerDef,
  inputs: StepInputs,
  noCacheSteps: readonly string[],
  build: string,
  index: number,
): string | undefined {
  if (inputs.notCacheable) return inputs.notCacheable.detail;
  const raw = JSON.stringify(def.config);
  const perRun = PER_RUN_DATA.find((k) => raw.includes(buildDataSentinel(k)));
  if (perRun) return `it uses the build's ${perRun}, which is new on every run`;
  if (markedNotCacheable(noCacheSteps, build, index)) return "marked with -no-cache-step";
  return undefined;
}
