// What an emitted CI pipeline runs, independent of the CI system: one job per selected node, its
// needs (the selected nodes it needs, in chain order), and the `kiln chain` command the job runs to
// build exactly that node (`--node`), pull the images it needs by digest (`--node-image`), push its
// own and record the digest (`--record-digests`), with the per-step cache shared through the
// registry (`--cache-from` / `--cache-to`). Pure: the generators only lay it out as YAML.
import { relative, sep } from "node:path";
import type { ChainPlan } from "../plan.js";
import { ciNames, type CiName } from "./ci-names.js";
import { shellVariable, shellWord } from "./shell-quote.js";

/** Variables the commands use; the pipeline defines them (CI settings may override them). */
export const KILN_VARIABLE = "KILN";
export const TRANSFER_VARIABLE = "KILN_TRANSFER_REGISTRY";
export const CACHE_VARIABLE = "KILN_CACHE_REPO";

export interface PipelineOptions {
  /** The repository root the CI checks out (where jobs run): chain files are named relative to it. */
  cwd: string;
  /** false: `--no-cache` in every job; else the step cache is shared through `$KILN_CACHE_REPO`. */
  cache: boolean;
  /** More `--cache-from` repositories, as given when emitting. */
  cacheFrom: readonly string[];
  /** false: `--no-squash` (given when emitting). */
  squash: boolean;
  /** IMAGES.json: `--builder-args` as given when emitting (always passed, so the CI's env cannot add any). */
  builderArgs?: string;
  /** Where each job writes its digest: a file name per job, or a shell variable (GitHub's output file). */
  digestsTo: (job: CiName) => { file: string } | { variable: string };
}

export interface PipelineJob {
  node: string;
  name: CiName;
  /** Jobs it needs, in chain order. */
  needs: { node: string; name: CiName }[];
  /** The job's one shell line. */
  command: string;
}

export function pipelineJobs(
  plan: ChainPlan,
  selected: ReadonlySet<string>,
  o: PipelineOptions,
): PipelineJob[] {
  const names = ciNames(plan.nodes.map((n) => n.spec.name));
  const files = plan.spec.files.map((f) => relative(o.cwd, f).split(sep).join("/") || f);
  return plan.nodes
    .filter((n) => selected.has(n.spec.name))
    .map((n) => {
      const name = names.get(n.spec.name)!;
      const needed = new Set(plan.edges.filter((e) => e.from === n.spec.name).map((e) => e.to));
      const needs = plan.nodes
        .filter((m) => needed.has(m.spec.name) && selected.has(m.spec.name))
        .map((m) => ({ node: m.spec.name, name: names.get(m.spec.name)!, produces: m.produces }));
      const to = o.digestsTo(name);
      const words = [
        `$${KILN_VARIABLE}`,
        "chain",
        ...files.map(shellWord),
        `--node=${shellWord(n.spec.name)}`,
        // A need producing no image is an order only: there is nothing to pull.
        ...needs
          .filter((m) => m.produces.length > 0)
          .map((m) => `--node-image=${shellWord(`${m.node}=`)}${shellVariable(m.name.variable)}`),
        `--transfer-registry=${shellVariable(TRANSFER_VARIABLE)}`,
        `--record-digests=${"file" in to ? shellWord(to.file) : shellVariable(to.variable)}`,
        ...(o.cache
          ? [
              `--cache-from=${shellVariable(CACHE_VARIABLE)}`,
              ...o.cacheFrom.map((r) => `--cache-from=${shellWord(r)}`),
              `--cache-to=${shellVariable(CACHE_VARIABLE)}`,
            ]
          : ["--no-cache"]),
        ...(o.squash ? [] : ["--no-squash"]),
        ...(plan.spec.format === "images-json" ? [`--builder-args=${shellWord(o.builderArgs ?? "")}`] : []),
      ];
      return {
        node: n.spec.name,
        name,
        needs: needs.map(({ node, name }) => ({ node, name })),
        command: words.join(" "),
      };
    });
}
