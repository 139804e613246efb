// examples/ci/github/kiln.yml (the workflow a user copies): its structure is checked against
// GitHub's own workflow schema (@actions/workflow-parser, what GitHub's editor tooling uses), then
// its job runs here step by step, in order, against the test engine and the harness's registry:
// `run:` steps run as written (bash -eo pipefail, as on GitHub's runners), with the workflow's
// `env` where only the registry and base image differ (CI variables a user would change);
// `uses:` steps are replaced by what they do:
// - actions/checkout: the example's folder is copied into the workspace;
// - actions/setup-node: the Node.js running the tests (checked to be the version the step asks);
// - docker/login-action: nothing (the harness's registry needs no login);
// - actions/upload-artifact: each listed file must exist, and is copied out of the workspace.
// The "Install kiln" step installs, with npm, a tarball packed from this checkout (KILN_PACKAGE),
// into a prefix of the test's own.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { REPO_ROOT } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import { DEBIAN, inImage, removeProduced, trackImage } from "./support/build.js";

const NONCE = randomUUID().slice(0, 8);
const EXAMPLE = path.join(REPO_ROOT, "examples/ci/github");
const text = readFileSync(path.join(EXAMPLE, "kiln.yml"), "utf8");
const work = mkdtempSync(path.join(os.tmpdir(), "kiln-ci-github-"));
const workspace = path.join(work, "workspace");
const artifacts = path.join(work, "artifacts");
const prefix = path.join(work, "npm-global");
let registry: Registry;

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number>;
}
const wf = parse(text) as { env: Record<string, string>; jobs: Record<string, { steps: Step[] }> };

async function tags(repoPath: string): Promise<string[]> {
  const res = await fetch(`${registry.url}/v2/${repoPath}/tags/list`);
  if (res.status === 404) return [];
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

describe("examples/ci/github/kiln.yml", () => {
  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.close();
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after the GitHub Actions example" });
    rmSync(work, { recursive: true, force: true });
  });

  it("passes GitHub's workflow schema; the schema check fails a misspelt key", async () => {
    const parsed = parseWorkflow({ name: "kiln.yml", content: text }, new NoOperationTraceWriter());
    assert.deepEqual(parsed.context.errors.getErrors(), []);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
    assert.deepEqual(template.errors ?? [], []);
    assert.equal(template.jobs.length, 1);
    const broken = parseWorkflow(
      { name: "kiln.yml", content: text.replace("runs-on", "runs_on") },
      new NoOperationTraceWriter(),
    );
    assert.notEqual(broken.context.errors.getErrors().length, 0);
  });

  it("its steps, run in order, build, test, tag with the version in the image, push, cache, upload the report", async () => {
    const steps = wf.jobs.box!.steps;
    const upload = steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"));
    assert.equal(upload?.if, "always()", "the report is uploaded when the build fails too");

    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    ) as { filename: string }[];
    const repo = `${registry.host}/kiln-it/gh-box-${NONCE}`;
    const cache = `${registry.host}/kiln-it/gh-box-cache-${NONCE}`;
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...wf.env,
      BASE_IMAGE: DEBIAN,
      PULL_BASE_IMAGE: "false",
      IMAGE_REPOSITORY: repo,
      CACHE_REPOSITORY: cache,
      KILN_PACKAGE: path.join(work, packed[0]!.filename),
      npm_config_prefix: prefix,
      npm_config_prefer_offline: "true",
      PATH: `${path.join(prefix, "bin")}:${process.env.PATH}`,
      KILN_STATE_DIR: path.join(work, "state"),
      NO_COLOR: "1",
    };
    // Every value GitHub would compute (`${{ github.repository }}`) is one the test sets.
    for (const [k, v] of Object.entries(wf.env))
      if (v.includes("${{")) assert.notEqual(env[k], v, `${k} is left to GitHub`);

    let log = "";
    for (const step of steps) {
      if (step.run !== undefined) {
        const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
          cwd: workspace,
          env,
          encoding: "utf8",
          timeout: 600_000,
        });
        log += `${r.stdout}${r.stderr}`;
        for (const m of r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
        assert.equal(r.status, 0, `step "${step.name}" failed:\n${r.stdout}${r.stderr}`);
      } else if (step.uses?.startsWith("actions/checkout@")) {
        cpSync(EXAMPLE, workspace, { recursive: true });
      } else if (step.uses?.startsWith("actions/setup-node@")) {
        assert.equal(process.versions.node.split(".")[0], String(step.with?.["node-version"]));
      } else if (step.uses?.startsWith("docker/login-action@")) {
        // The harness's registry needs no login.
      } else if (step.uses?.startsWith("actions/upload-artifact@")) {
        mkdirSync(artifacts);
        for (const f of String(step.with?.path).split("\n").filter(Boolean)) {
          assert.ok(existsSync(path.join(workspace, f)), `${f}, to upload, is missing`);
          copyFileSync(path.join(workspace, f), path.join(artifacts, f));
        }
      } else assert.fail(`the test does not know what step ${JSON.stringify(step)} does`);
    }

    // kiln came from the install step, not from this checkout.
    assert.equal(
      execFileSync("bash", ["-c", "command -v kiln"], { env, encoding: "utf8" }).trim(),
      path.join(prefix, "bin/kiln"),
    );
    trackImage(`${repo}:latest`);
    const version = (await inImage(`${repo}:latest`, "cat /etc/debian_version")).trim();
    assert.match(version, /^\d+\.\d+$/);
    trackImage(`${repo}:${version}`);
    assert.deepEqual((await tags(`kiln-it/gh-box-${NONCE}`)).sort(), [version, "latest"].sort());
    assert.ok((await tags(`kiln-it/gh-box-cache-${NONCE}`)).length >= 1, `no step was cached:\n${log}`);
    const report = JSON.parse(readFileSync(path.join(artifacts, "kiln-report.json"), "utf8")) as {
      status: string;
      kind: string;
    };
    assert.equal(report.status, "ok", JSON.stringify(report).slice(0, 500));
    assert.match(readFileSync(path.join(artifacts, "kiln-report.html"), "utf8"), /^<!doctype html>/i);
  });
});
