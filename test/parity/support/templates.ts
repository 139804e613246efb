// The parity templates (test/parity/templates/*.json), their HCL2 twins (*.pkr.hcl) and their
// sidecars (*.parity.json: arguments, environment, documented differences).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Expectation } from "./properties.js";

export const TEMPLATES_DIR = path.resolve(fileURLToPath(new URL("../templates", import.meta.url)));

interface SidecarExpectation {
  property: string;
  packer?: unknown;
  kiln?: unknown;
  json?: unknown;
  hcl?: unknown;
  packerMatch?: string;
  kilnMatch?: string;
  jsonMatch?: string;
  hclMatch?: string;
  /** kiln's value is Packer's with `replace` applied, or the reference run's (see `reference`). */
  kilnFrom?: "packer" | "reference";
  /** The HCL build's value is the JSON build's with `replace` applied. */
  hclFrom?: "json";
  replace?: [string, string];
  compat: string;
}

interface SidecarReference {
  /** A variant of the template that Packer 1.6.6 builds as kiln builds the original (in references/). */
  template: string;
  /** Why that variant shows what kiln must produce. */
  why: string;
  /** Documented differences between Packer's build of the variant and kiln's of the original. */
  expect?: SidecarExpectation[];
}

interface SidecarFile {
  /** Arguments for both JSON builds (Packer and kiln), before the template. */
  args?: string[];
  /** Arguments for the HCL twin's build (default: `args`). */
  hclArgs?: string[];
  /** Environment for every build. */
  env?: Record<string, string>;
  /** Documented differences between Packer 1.6.6 and kiln (JSON template). */
  expect?: SidecarExpectation[];
  /** Documented differences between kiln's JSON and HCL2 builds. */
  twin?: SidecarExpectation[];
  /** Why the HCL2 twin is not built (only when it cannot be; each reason is listed in README.md). */
  noTwin?: string;
  /** Repositories in the suite's registry (`${registry}`) whose tags are compared. */
  registry?: string[];
  /**
   * Where Packer 1.6.6 fails, kiln's result is compared in full with Packer's build of a variant
   * it can build (`kilnFrom: "reference"` in `expect` defers to that comparison).
   */
  reference?: SidecarReference;
}

export interface ParityReference {
  /** Absolute path of the variant template. */
  template: string;
  why: string;
  expect: Expectation[];
}

export interface ParityTemplate {
  name: string;
  json: string;
  hcl: string;
  /** The parsed JSON template. */
  template: Record<string, unknown>;
  args: string[];
  hclArgs: string[];
  env: Record<string, string>;
  expect: Expectation[];
  twin: Expectation[];
  noTwin?: string;
  /** Repositories in the suite's local registry whose tags are compared (the registry runs when any is set). */
  registryRepos: string[];
  /** Every image the template names must start with this (`kiln-it/parity-<name>`). */
  repoPrefix: string;
  reference?: ParityReference;
}

/**
 * `${templates}` in arguments and environment values: the templates directory. (`${registry}`, the
 * suite's local registry, is replaced when the test runs.)
 */
function expand(s: string): string {
  return s.replaceAll("${templates}", TEMPLATES_DIR);
}

function toExpectation(e: SidecarExpectation, left: "packer" | "json", right: "kiln" | "hcl"): Expectation {
  const from = right === "kiln" ? e.kilnFrom : e.hclFrom;
  return {
    property: e.property,
    left: e[left],
    right: e[right],
    leftMatch: e[`${left}Match`],
    rightMatch: e[`${right}Match`],
    rightFrom: from === undefined ? undefined : from === "reference" ? "reference" : "left",
    replace: e.replace,
    compat: e.compat,
  };
}

export function loadTemplates(filter?: string): ParityTemplate[] {
  return (
    readdirSync(TEMPLATES_DIR)
      .filter((f) => f.endsWith(".json") && !f.endsWith(".parity.json"))
      .sort()
      // A comma-separated list of words: templates whose file name contains any of them.
      .filter(
        (f) => filter === undefined || filter.split(",").some((word) => word !== "" && f.includes(word)),
      )
      .map((file) => {
        const name = file.slice(0, -".json".length);
        const json = path.join(TEMPLATES_DIR, file);
        const sidecarPath = path.join(TEMPLATES_DIR, `${name}.parity.json`);
        const sidecar: SidecarFile = existsSync(sidecarPath)
          ? (JSON.parse(readFileSync(sidecarPath, "utf8")) as SidecarFile)
          : {};
        const args = (sidecar.args ?? []).map(expand);
        const repoPrefix = `kiln-it/parity-${name.replace(/^\d+-/, "")}`;
        // Between the two tools' runs only images under the prefix are removed: an image named
        // otherwise would leak from one run into the other's comparison.
        const hclPath = path.join(TEMPLATES_DIR, `${name}.pkr.hcl`);
        const texts = [readFileSync(json, "utf8"), existsSync(hclPath) ? readFileSync(hclPath, "utf8") : ""];
        for (const text of texts) {
          for (const [ref] of text.matchAll(/kiln-it\/parity-[\w.-]+/g)) {
            if (!ref.startsWith(repoPrefix))
              throw new Error(
                `parity template ${name} names ${ref}; its images must start with ${repoPrefix}`,
              );
          }
        }
        return {
          name,
          json,
          hcl: path.join(TEMPLATES_DIR, `${name}.pkr.hcl`),
          template: JSON.parse(readFileSync(json, "utf8")) as Record<string, unknown>,
          args,
          hclArgs: sidecar.hclArgs === undefined ? args : sidecar.hclArgs.map(expand),
          env: Object.fromEntries(Object.entries(sidecar.env ?? {}).map(([k, v]) => [k, expand(v)])),
          expect: (sidecar.expect ?? []).map((e) => toExpectation(e, "packer", "kiln")),
          twin: (sidecar.twin ?? []).map((e) => toExpectation(e, "json", "hcl")),
          noTwin: sidecar.noTwin,
          registryRepos: sidecar.registry ?? [],
          repoPrefix,
          reference:
            sidecar.reference === undefined
              ? undefined
              : {
                  template: path.join(TEMPLATES_DIR, sidecar.reference.template),
                  why: sidecar.reference.why,
                  expect: (sidecar.reference.expect ?? []).map((e) => toExpectation(e, "packer", "kiln")),
                },
        };
      })
  );
}

/** The JSON builders of a template, as objects. */
export function builders(t: ParityTemplate): Record<string, unknown>[] {
  return Array.isArray(t.template.builders) ? (t.template.builders as Record<string, unknown>[]) : [];
}

/**
 * The HCL target name `hcl2_upgrade` gives a JSON builder (`docker.<name>`, or
 * `docker.autogenerated_<n>` when the builder has no name of its own), mapped back to the JSON name.
 */
export function hclTargetToJson(t: ParityTemplate): (target: string) => string {
  const map = new Map<string, string>();
  builders(t).forEach((b, i) => {
    const type = String(b.type);
    const jsonName = typeof b.name === "string" ? b.name : type;
    const source =
      typeof b.name === "string" && b.name !== b.type
        ? b.name.replace(/[.\s]/g, "_")
        : `autogenerated_${i + 1}`;
    map.set(`${type}.${source}`, jsonName);
  });
  return (target) => map.get(target) ?? target;
}
