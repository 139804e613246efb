// `kiln plan`'s output for people: one block per build, one line per step, Packer-like prefixes.
// The -json document is the BuildPlan records themselves (docs/cache.md documents the shape).
import { shortKey } from "../cache/key.js";
import { formatDuration } from "../ui/duration.js";
import type { BuildPlan, StepPlan } from "./plan-build.js";

/** Version of the -json document's shape; bumped on any incompatible change. */
export const PLAN_JSON_VERSION = 1;

const age = (ms: number) => formatDuration(BigInt(Math.round(ms)) * 1_000_000n, 1);

export function stepLine(s: StepPlan): string {
  const key = s.key ? `key ${shortKey(s.key)}` : "key not known yet";
  switch (s.decision) {
    case "cached": {
      const from = s.source && s.source !== "local" ? `, in ${s.source}` : "";
      return `${s.name}: cached (${key}, ${age(s.ageMs ?? 0)} old${from})`;
    }
    case "run":
      return `${s.name}: runs (${key}): ${s.reason ?? ""}`;
    case "unknown":
      return `${s.name}: not known: ${s.reason ?? ""}`;
  }
}

export function formatPlan(builds: readonly BuildPlan[]): string {
  const lines: string[] = [];
  for (const b of builds) {
    const base = b.baseImageId ? `${b.image} (${b.baseImageId.slice(0, 19)})` : b.image;
    lines.push(`==> ${b.name}: base image ${base}`);
    for (const n of b.notes) lines.push(`    ${b.name}: note: ${n}`);
    for (const s of b.steps) lines.push(`    ${b.name}: ${stepLine(s)}`);
    const count = (d: StepPlan["decision"]) => b.steps.filter((s) => s.decision === d).length;
    const summary =
      b.steps.length === 0
        ? "no provisioner steps"
        : `${count("cached")} cached, ${count("run")} to run${count("unknown") ? `, ${count("unknown")} not known` : ""}`;
    const verdict = b.rebuilds === true ? "rebuilds" : b.rebuilds === false ? "up to date" : "may rebuild";
    lines.push(`==> ${b.name}: ${verdict}: ${summary}`);
  }
  return lines.length ? `${lines.join("\n")}\n` : "No builds selected.\n";
}
