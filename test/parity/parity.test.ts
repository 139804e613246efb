// The parity suite: every template in test/parity/templates is built by Packer 1.6.6 and by kiln
// (JSON), and by kiln from its checked-in HCL2 twin; the three results are compared property by
// property (README.md says what is compared and which differences are expected, and why).
//
//   KILN_PARITY_FILTER=tag node scripts/test.mjs integration parity   (only templates matching "tag")
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { assertNoKilnLeftovers, snapshotKilnObjects } from "../harness/leaks.js";
import { dockerJson, inspectImage } from "../harness/docker-api.js";
import { BUSYBOX, DEBIAN } from "../integration/support/build.js";
import { loadTemplates, hclTargetToJson, TEMPLATES_DIR, type ParityTemplate } from "./support/templates.js";
import { PACKER_BIN, runTool, type RunSnapshot, type RunSpec } from "./support/run-tool.js";
import { compareProps, flattenRun, formatDifferences, type Normalizer } from "./support/properties.js";
import { entrypointRule, exitTextRule, stubRule, type BaseConfig } from "./support/compat-rules.js";

const templates = loadTemplates(process.env.KILN_PARITY_FILTER);
const CONCURRENCY = Number(process.env.KILN_PARITY_CONCURRENCY ?? "2");

const totals = { templates: 0, twins: 0, compared: 0, documented: 0, differences: 0 };

function normalizer(run: RunSnapshot): Normalizer {
  const paths: [string, string][] = [
    [run.paths.work, "<work>"],
    [run.paths.home, "<home>"],
    [run.paths.tmp, "<tmp>"],
    [TEMPLATES_DIR, "<templates>"],
  ];
  return { paths: paths.sort((a, b) => b[0].length - a[0].length) };
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
  let baseline = new Set<string>();
  let containersBefore = new Set<string>();
  const bases: BaseConfig[] = [];

  before(async () => {
    assert.ok(existsSync(PACKER_BIN), `Packer 1.6.6 is needed at ${PACKER_BIN} (apt-get install packer)`);
    baseline = await snapshotKilnObjects();
    containersBefore = new Set((await foreignContainers()).map((c) => c.Id));
    for (const ref of [BUSYBOX, DEBIAN]) {
      const image = await inspectImage(ref);
      assert.ok(image, `base image ${ref} exists (the harness builds it)`);
      bases.push({ Cmd: image.Config?.Cmd ?? null, Entrypoint: image.Config?.Entrypoint ?? null });
    }
  });

  after(async () => {
    process.stdout.write(
      `parity: ${totals.templates} templates (${totals.twins} HCL2 twins), ${totals.compared} properties compared, ` +
        `${totals.differences} differences (${totals.documented} documented differences expected)\n`,
    );
    const leftover = (await foreignContainers()).filter(
      (c) => !containersBefore.has(c.Id) && c.Image.startsWith("kiln-test/"),
    );
    await assertNoKilnLeftovers({ baseline, context: "after the parity suite" });
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
        await checkTemplate(t, work, bases);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  }
});

async function checkTemplate(t: ParityTemplate, work: string, bases: BaseConfig[]): Promise<void> {
  const spec = (tool: RunSpec["tool"], template: string, args: string[]): RunSpec => ({
    tool,
    template,
    args,
    env: t.env,
    workDir: work,
    repoPrefix: t.repoPrefix,
  });
  const packer = await runTool(spec("packer", t.json, t.args));
  const kiln = await runTool(spec("kiln", t.json, t.args));
  const hcl = t.noTwin === undefined ? await runTool(spec("kiln", t.hcl, t.hclArgs)) : undefined;

  const packerProps = flattenRun(packer, { normalizer: normalizer(packer) });
  const kilnProps = flattenRun(kiln, { normalizer: normalizer(kiln) });
  const parity = compareProps(packerProps, kilnProps, t.expect, [entrypointRule(t, bases), stubRule(t), exitTextRule()]);
  totals.templates += 1;
  totals.compared += parity.compared;
  totals.documented += new Set(parity.documented.map((d) => d.compat)).size;
  totals.differences += parity.differences.length;

  const problems: string[] = [];
  if (parity.differences.length > 0) {
    problems.push(
      `${parity.differences.length} difference(s) between Packer 1.6.6 and kiln:\n` +
        formatDifferences(parity.differences, "packer", "kiln"),
      tail(packer),
      tail(kiln),
    );
  }
  if (hcl !== undefined) {
    const hclProps = flattenRun(hcl, { normalizer: normalizer(hcl), targetName: hclTargetToJson(t) });
    const twin = compareProps(kilnProps, hclProps, t.twin, []);
    totals.twins += 1;
    totals.compared += twin.compared;
    totals.documented += new Set(twin.documented.map((d) => d.compat)).size;
    totals.differences += twin.differences.length;
    if (twin.differences.length > 0) {
      problems.push(
        `${twin.differences.length} difference(s) between kiln's JSON build and its HCL2 twin ${path.basename(t.hcl)}:\n` +
          formatDifferences(twin.differences, "json", "hcl"),
        tail(hcl),
      );
    }
    if (hcl.tmpLeftovers.length > 0) problems.push(`kiln (HCL) left files in its TMPDIR: ${hcl.tmpLeftovers.join(", ")}`);
  }
  if (kiln.tmpLeftovers.length > 0) problems.push(`kiln left files in its TMPDIR: ${kiln.tmpLeftovers.join(", ")}`);
  assert.equal(problems.length, 0, problems.join("\n\n"));
}
