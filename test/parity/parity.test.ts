// The parity suite: every template in test/parity/templates is built by Packer 1.6.6 and by kiln
// (JSON), and by kiln from its checked-in HCL2 twin; the three results are compared property by
// property (README.md says what is compared and which differences are expected, and why).
//
//   KILN_PARITY_FILTER=tag node scripts/test.mjs integration parity   (only templates matching "tag")
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runKiln } from "../harness/kiln.js";
import { dockerJson, inspectImage } from "../harness/docker-api.js";
import { BUSYBOX, DEBIAN } from "../integration/support/build.js";
import { loadTemplates, hclTargetToJson, TEMPLATES_DIR, type ParityTemplate } from "./support/templates.js";
import { removeImages, tagsWithPrefix } from "./support/images.js";
import { PACKER_BIN, runTool, type RunSnapshot, type RunSpec } from "./support/run-tool.js";
import {
  compareProps,
  flattenRun,
  formatDifferences,
  type Comparison,
  type Normalizer,
} from "./support/properties.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import { formatLeftovers } from "../harness/run-leaks.js";
import { entrypointRule, exitTextRule, stubRule, type BaseConfig } from "./support/compat-rules.js";

const templates = loadTemplates(process.env.KILN_PARITY_FILTER);
const CONCURRENCY = Number(process.env.KILN_PARITY_CONCURRENCY ?? "3");

const totals = { templates: 0, twins: 0, references: 0, full: 0, part: 0, documented: 0, differences: 0 };
/** `template: property` for every property compared only in part, printed with the totals. */
const inPart: string[] = [];

function normalizer(run: RunSnapshot, registry: Registry | undefined): Normalizer {
  const paths: [string, string][] = [
    [run.paths.work, "<work>"],
    [run.paths.home, "<home>"],
    [run.paths.tmp, "<tmp>"],
    [TEMPLATES_DIR, "<templates>"],
  ];
  // The engine's address (in kiln's "not present in the engine (…)") and the suite's registry.
  const dockerHost = process.env.DOCKER_HOST;
  if (dockerHost !== undefined && dockerHost !== "") paths.push([dockerHost, "<docker_host>"]);
  if (registry !== undefined) paths.push([registry.host, "<registry>"]);
  return { paths: paths.sort((a, b) => b[0].length - a[0].length) };
}

function add(t: ParityTemplate, c: Comparison): void {
  inPart.push(...c.partKeys.map((k) => `${t.name}: ${k}`));
  totals.full += c.full;
  totals.part += c.part;
  totals.documented += new Set(c.documented.map((d) => d.compat)).size;
  totals.differences += c.differences.length;
}

function tail(run: RunSnapshot): string {
  const text = `${run.result.stdout}\n${run.result.stderr}`.trim().split("\n").slice(-25).join("\n");
  return `--- ${run.tool} (exit ${run.exitCode}) output, last lines:\n${text}`;
}

interface ContainerSummary {
  Id: string;
  Names: string[] | null;
  Image: string;
  Labels: Record<string, string> | null;
  Created: number;
}

/** Containers not made by kiln or the tests: what Packer would leave behind. */
async function foreignContainers(): Promise<ContainerSummary[]> {
  const all = await dockerJson<ContainerSummary[]>("GET", "/containers/json", { query: { all: 1 } });
  return all.filter(
    (c) =>
      !(c.Names ?? []).some((n) => n.startsWith("/kiln_")) &&
      c.Labels?.["kiln.test"] === undefined &&
      c.Labels?.["kiln.run"] === undefined,
  );
}

describe("parity with Packer 1.6.6", { concurrency: CONCURRENCY }, () => {
  let containersBefore = new Set<string>();
  const bases = new Map<string, BaseConfig>();
  let registry: Registry | undefined;

  before(async () => {
    assert.ok(existsSync(PACKER_BIN), `Packer 1.6.6 is needed at ${PACKER_BIN} (apt-get install packer)`);
    containersBefore = new Set((await foreignContainers()).map((c) => c.Id));
    for (const ref of [BUSYBOX, DEBIAN]) {
      const image = await inspectImage(ref);
      assert.ok(image, `base image ${ref} exists (the harness builds it)`);
      bases.set(ref, { Cmd: image.Config?.Cmd ?? null, Entrypoint: image.Config?.Entrypoint ?? null });
    }
    if (templates.some((t) => t.registryRepos.length > 0)) registry = await startRegistry();
  });

  after(async () => {
    await registry?.close();
    process.stdout.write(
      `parity: ${totals.templates} templates (${totals.twins} HCL2 twins, ${totals.references} reference runs), ` +
        `${totals.full} properties compared in full, ${totals.part} in part (a side checked by a pattern or not at all), ` +
        `${totals.differences} differences (${totals.documented} documented differences expected)\n` +
        inPart.map((p) => `  in part: ${p}\n`).join(""),
    );
    // Leaks are checked exactly, not engine-wide (other tests may share the engine): each run's
    // own build containers (checkTemplate), every image under kiln-it/parity-, and containers
    // nobody labelled or named that appeared on a test base image: what a Packer `docker run`
    // that failed after creating its container leaves.
    const tags = await tagsWithPrefix("kiln-it/parity-");
    await removeImages(tags);
    const leftover = (await foreignContainers()).filter(
      (c) => !containersBefore.has(c.Id) && c.Image.startsWith("kiln-test/"),
    );
    assert.deepEqual(tags, [], "images left behind");
    assert.deepEqual(
      leftover.map((c) => `${(c.Names ?? []).join(",")} (${c.Image})`),
      [],
      "Packer left build containers behind",
    );
  });

  for (const t of templates) {
    it(t.name, async () => {
      const work = mkdtempSync(path.join(os.tmpdir(), `kiln-parity-${t.name}-`));
      try {
        await checkTemplate(t, work, bases, registry);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});

async function checkTemplate(
  t: ParityTemplate,
  work: string,
  bases: Map<string, BaseConfig>,
  registry: Registry | undefined,
): Promise<void> {
  const withRegistry = (s: string): string => {
    if (!s.includes("${registry}")) return s;
    assert.ok(registry, `${t.name}: uses \${registry} but its sidecar names no "registry" repository`);
    return s.replaceAll("${registry}", registry.host);
  };
  const spec = (tool: RunSpec["tool"], template: string, args: string[]): RunSpec => ({
    tool,
    template,
    args: args.map(withRegistry),
    env: Object.fromEntries(Object.entries(t.env).map(([k, v]) => [k, withRegistry(v)])),
    workDir: work,
    repoPrefix: t.repoPrefix,
    registry: registry === undefined ? undefined : { host: registry.host, repos: t.registryRepos },
  });
  const packer = await runTool(spec("packer", t.json, t.args));
  const reference =
    t.reference === undefined ? undefined : await runTool(spec("packer", t.reference.template, t.args));
  const kiln = await runTool(spec("kiln", t.json, t.args));
  const hcl = t.noTwin === undefined ? await runTool(spec("kiln", t.hcl, t.hclArgs)) : undefined;

  const rules = [entrypointRule(t, bases), stubRule(t), exitTextRule()];
  const packerProps = flattenRun(packer, { normalizer: normalizer(packer, registry) });
  const kilnProps = flattenRun(kiln, { normalizer: normalizer(kiln, registry) });
  const parity = compareProps(packerProps, kilnProps, t.expect, rules);
  totals.templates += 1;
  add(t, parity);

  const problems: string[] = [];
  if (parity.differences.length > 0) {
    problems.push(
      `${parity.differences.length} difference(s) between Packer 1.6.6 and kiln:\n` +
        formatDifferences(parity.differences, "packer", "kiln"),
      tail(packer),
      tail(kiln),
    );
  }
  if (parity.deferred.length > 0 && (t.reference === undefined || reference === undefined)) {
    problems.push(`${t.name}: kilnFrom "reference" needs a "reference" section in the sidecar`);
  } else if (t.reference !== undefined && reference !== undefined) {
    // kiln's result, property by property, against Packer's build of the variant it can build.
    const refProps = flattenRun(reference, { normalizer: normalizer(reference, registry) });
    const byReference = compareProps(refProps, kilnProps, t.reference.expect, rules, {
      countOnly: new Set(parity.deferred),
    });
    totals.references += 1;
    add(t, byReference);
    if (reference.exitCode !== 0)
      problems.push(`Packer failed to build the reference variant:\n${tail(reference)}`);
    if (byReference.differences.length > 0) {
      problems.push(
        `${byReference.differences.length} difference(s) between Packer 1.6.6's build of ${path.basename(t.reference.template)} ` +
          `(${t.reference.why}) and kiln's:\n` +
          formatDifferences(byReference.differences, "packer (reference)", "kiln"),
        tail(reference),
        tail(kiln),
      );
    }
  }
  if (hcl !== undefined) {
    const hclProps = flattenRun(hcl, {
      normalizer: normalizer(hcl, registry),
      targetName: hclTargetToJson(t),
    });
    const twin = compareProps(kilnProps, hclProps, t.twin, []);
    totals.twins += 1;
    add(t, twin);
    if (twin.differences.length > 0) {
      problems.push(
        `${twin.differences.length} difference(s) between kiln's JSON build and its HCL2 twin ${path.basename(t.hcl)}:\n` +
          formatDifferences(twin.differences, "json", "hcl"),
        tail(hcl),
      );
    }
  }
  for (const run of [packer, ...(reference === undefined ? [] : [reference])]) {
    if (run.containerLeftovers.length > 0)
      problems.push(`${run.tool} left its build container(s) behind: ${run.containerLeftovers.join(", ")}`);
  }
  for (const [label, run] of [
    ["kiln", kiln],
    ["kiln (HCL)", hcl],
  ] as const) {
    if (run !== undefined && run.leftovers.length > 0)
      problems.push(`${label} left things behind:\n${formatLeftovers(run.leftovers)}`);
  }
  if (t.noTwin === undefined) {
    // The checked-in twin is exactly what `kiln hcl2_upgrade` makes of the JSON template today.
    const upgraded = path.join(work, "upgraded.pkr.hcl");
    const r = await runKiln(["hcl2_upgrade", `-output-file=${upgraded}`, path.basename(t.json)], {
      cwd: path.dirname(t.json),
    });
    if (r.code !== 0) problems.push(`kiln hcl2_upgrade failed (exit ${r.code}): ${r.stderr}`);
    else if (readFileSync(upgraded, "utf8") !== readFileSync(t.hcl, "utf8")) {
      problems.push(
        `${path.basename(t.hcl)} is not what \`kiln hcl2_upgrade\` makes of ${path.basename(t.json)} now: ` +
          `regenerate it (cd test/parity/templates && node ../../../bin/kiln.js hcl2_upgrade -output-file=${path.basename(t.hcl)} ${path.basename(t.json)})`,
      );
    }
  }
  assert.equal(problems.length, 0, problems.join("\n\n"));
}
