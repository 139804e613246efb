// The one place that knows a provisioner step's inputs: its configuration rendered with the
// build's data (minus options that cannot change the result), and the content digests of every
// local file it will read, as its component declares them. The per-step cache hashes exactly
// this; `kiln plan` prints it. Random names (a script's path in the container) are not in it.
import { resolve } from "node:path";
import { execFile } from "node:child_process";
import { substituteBuildData, type BuildData } from "../core/build-data.js";
import type { ComponentRegistry } from "../core/registry.js";
import type { StepInputs } from "../core/step-inputs.js";
import type { ProvisionerDef } from "../template/types.js";
import { digestPath } from "../cache/digest.js";

export interface StepInputsOptions {
  registry: ComponentRegistry;
  buildData: BuildData;
  /** Where relative paths resolve. */
  cwd: string;
  /** Looks up a host tool's version (cached per run by `toolVersions`). */
  toolVersion?: (tool: string) => Promise<string>;
}

export async function stepInputs(def: ProvisionerDef, opts: StepInputsOptions): Promise<StepInputs> {
  const component = opts.registry.provisioners[def.type];
  if (!component) throw new Error(`internal: no provisioner implementation for ${def.type}`);
  const rendered = substituteBuildData(def.config, opts.buildData);
  const declared = component.inputs(rendered);
  const config = Object.fromEntries(
    Object.entries(rendered).filter(([k, v]) => v !== undefined && !declared.volatileKeys?.includes(k)),
  );
  const files = [];
  for (const input of declared.files) {
    const d = await digestPath(resolve(opts.cwd, input.path));
    files.push({ role: input.role, path: input.path, ...d });
  }
  const tools: Record<string, string> = {};
  for (const tool of declared.tools ?? []) {
    tools[tool] = opts.toolVersion ? await opts.toolVersion(tool) : "unknown";
  }
  return {
    type: def.type,
    config,
    files,
    tools,
    ...(declared.notCacheable ? { notCacheable: declared.notCacheable } : {}),
    changesContainer: declared.changesContainer,
  };
}

/** `tool --version`'s first line, asked once per run per tool; "unavailable" when it cannot run. */
export function toolVersions(env: NodeJS.ProcessEnv): (tool: string) => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  return (tool) => {
    let v = cache.get(tool);
    if (!v) {
      v = new Promise((done) => {
        execFile(tool, ["--version"], { env, timeout: 30_000 }, (err, stdout) => {
          done(err ? "unavailable" : (stdout.split("\n", 1)[0] ?? "").trim());
        });
      });
      cache.set(tool, v);
    }
    return v;
  };
}
