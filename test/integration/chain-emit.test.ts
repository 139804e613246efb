// kiln chain -emit: the generated pipelines run for real. GitLab: a 4-node diamond chain (a Packer
// node among Dockerfile nodes) emitted as a child pipeline and run by gitlab-ci-local (its shell
// executor, on this engine, with the harness's registry as the transfer and cache registry). It
// builds the same images as a local `kiln chain` of the same file, each job pushes its image by
// digest and records it as a dotenv report, and the dependents pull exactly those digests (shown
// again by a job run alone after its parents' images were removed from the engine). GitHub: the
// workflow passes GitHub's own workflow schema (@actions/workflow-parser) and its `run:` steps,
// run here in job order with the outputs passed as GitHub would, build the same chain.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { KILN_BIN, REPO_ROOT, runCommand, runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers, sweep } from "../harness/leaks.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import { BUSYBOX, describeRun, inImage, inspectImage } from "./support/build.js";
import { imageId, removeImages, writeTree } from "./support/chain.js";

const GITLAB_CI_LOCAL = path.join(REPO_ROOT, "node_modules", "gitlab-ci-local", "dist", "index.js");
const NODES = ["base", "left", "right", "top"] as const;

/** base ← left (Packer), base ← right, left + right ← top: a diamond. */
function diamond(prefix: string, token: string): Record<string, string | object> {
  return {
    "chain.json": {
      nodes: {
        base: { dockerfile: "Dockerfile.base", tags: [`${prefix}-base:1`], squash: false },
        left: { template: "left.json" },
        right: { dockerfile: "Dockerfile.right", tags: [`${prefix}-right:1`], squash: false },
        top: { dockerfile: "Dockerfile.top", tags: [`${prefix}-top:1`], squash: false },
      },
    },
    "Dockerfile.base": `FROM ${BUSYBOX}\nRUN echo base-${token} > /base\nENV KILN_EMIT=${token}\n`,
    "left.json": {
      builders: [{ type: "docker", image: `${prefix}-base:1`, commit: true, pull: true }],
      provisioners: [{ type: "shell", inline: ["echo left > /left"] }],
      "post-processors": [{ type: "docker-tag", repository: `${prefix}-left`, tags: ["1"] }],
    },
    "Dockerfile.right": `FROM ${prefix}-base:1\nRUN echo right > /right\n`,
    "Dockerfile.top": `FROM ${prefix}-left:1\nRUN echo top > /top\nCOPY --from=${prefix}-right:1 /right /right\nCMD ["cat", "/all"]\n`,
  };
}

const tagOf = (prefix: string, node: string): string => `${prefix}-${node}:1`;

/** What an image is, apart from times and IDs: its files' content, layer count and config. */
async function essence(ref: string): Promise<object> {
  const inspect = (await inspectImage(ref)) as unknown as {
    Config: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string };
    RootFS: { Layers: string[] };
  };
  const files = await inImage(
    ref,
    "for f in /base /left /right /top; do [ -f $f ] && echo \"$f: $(cat $f)\"; done; ls / | tr '\\n' ' '",
  );
  const { Env, Cmd, Entrypoint, WorkingDir } = inspect.Config;
  return { files, layers: inspect.RootFS.Layers.length, Env, Cmd, Entrypoint, WorkingDir };
}

async function essences(prefix: string): Promise<Record<string, object>> {
  const out: Record<string, object> = {};
  for (const n of NODES) out[n] = await essence(tagOf(prefix, n));
  return out;
}

async function gitRepo(dir: string): Promise<void> {
  const git = (...args: string[]) =>
    runCommand("git", ["-c", "user.name=kiln", "-c", "user.email=kiln@localhost", ...args], { cwd: dir });
  for (const args of [
    ["init", "-q", "-b", "main"],
    ["remote", "add", "origin", "https://gitlab.example.com/kiln/emit-test.git"],
    ["add", "-A"],
    ["commit", "-qm", "chain"],
  ]) {
    const r = await git(...args);
    assert.equal(r.code, 0, describeRun(r));
  }
}

describe("kiln chain -emit", () => {
  let registry: Registry;
  const token = randomBytes(4).toString("hex");

  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.close();
    await sweep();
    await assertNoKilnLeftovers({ context: "after the emitted pipeline tests" });
  });

  it("gitlab: the child pipeline, run by gitlab-ci-local, builds what kiln chain builds, passing digests", async () => {
    assert.ok(existsSync(GITLAB_CI_LOCAL), `gitlab-ci-local is not installed at ${GITLAB_CI_LOCAL} (npm ci)`);
    const prefix = `kiln-it/emit-gl-${token}`;
    const dir = tempDir();
    writeTree(dir, diamond(prefix, token));

    // The reference: a local kiln chain of the same file.
    const local = await runKiln(["chain", "-no-cache", "chain.json"], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(local.code, 0, describeRun(local));
    const expected = await essences(prefix);
    await removeImages(NODES.map((n) => tagOf(prefix, n)));

    const emitted = await runKiln(["chain", "chain.json", "-emit=gitlab", "-emit-file=.gitlab-ci.yml"], {
      cwd: dir,
    });
    assert.equal(emitted.code, 0, describeRun(emitted));
    await gitRepo(dir);
    const transfer = `${registry.host}/kiln-transfer`;
    const glci = (...jobs: string[]) =>
      runCommand(
        process.execPath,
        [
          GITLAB_CI_LOCAL,
          "--file",
          ".gitlab-ci.yml",
          "--no-color",
          "--variable",
          `KILN=${process.execPath} ${KILN_BIN}`,
          "--variable",
          `KILN_TRANSFER_REGISTRY=${transfer}`,
          "--variable",
          `KILN_CACHE_REPO=${registry.host}/kiln-cache`,
          ...jobs,
        ],
        { cwd: dir, timeoutMs: 600_000, env: { HOME: dir } },
      );
    const run = await glci();
    assert.equal(run.code, 0, describeRun(run));

    // Same images as the local run.
    assert.deepEqual(await essences(prefix), expected);

    // Each job recorded its image's digest (dotenv report), the registry serves that digest for
    // the image the job built, and every dependent pulled its parents' recorded digests.
    const logs = path.join(dir, ".gitlab-ci-local", "output");
    const log = (job: string) => readFileSync(path.join(logs, `${job}.log`), "utf8");
    const recorded: Record<string, string> = {};
    for (const n of NODES) {
      const m = new RegExp(`Pushed node ${n}'s image as (\\S+@sha256:[0-9a-f]{64}) \\(KILN_IMAGE_${n.toUpperCase()}\\)`).exec(log(n));
      assert.ok(m, `${n}'s job log says what it pushed:\n${log(n)}`);
      recorded[n] = m[1]!;
      assert.equal(recorded[n].split("@")[0], transfer);
      const id = await imageId(tagOf(prefix, n));
      assert.ok(id !== undefined);
      assert.equal(await registry.manifestDigest("kiln-transfer", `kiln-transfer-${id.slice(7, 39)}`), recorded[n].split("@")[1]);
    } // prettier-ignore
    const parents: Record<string, string[]> = {
      base: [],
      left: ["base"],
      right: ["base"],
      top: ["left", "right"],
    };
    for (const n of NODES) {
      const pulled = [...log(n).matchAll(/Pulled (\S+@sha256:[0-9a-f]{64}) for node (\S+),/g)].map(
        (m) => `${m[2]} ${m[1]}`,
      );
      assert.deepEqual(pulled.sort(), parents[n]!.map((p) => `${p} ${recorded[p]}`).sort(), log(n));
    }
    assert.match(log("left"), /Skipping the pull of \S+-base:1: node base's image, pulled as /);

    // top alone, its parents' images gone from the engine: it can only get them from the registry,
    // by the digests its needs recorded.
    const topBefore = await essence(tagOf(prefix, "top"));
    await removeImages(NODES.map((n) => tagOf(prefix, n)));
    assert.equal(await imageId(tagOf(prefix, "left")), undefined);
    const alone = await glci("top");
    assert.equal(alone.code, 0, describeRun(alone));
    assert.deepEqual(await essence(tagOf(prefix, "top")), topBefore);
    for (const p of ["left", "right"]) {
      assert.match(log("top"), new RegExp(`Pulled ${recorded[p]!.replace(/[.]/g, "\\.")} for node ${p}`));
      assert.ok(await imageId(tagOf(prefix, p)), `${p} is back, from the registry`);
    }
  });

  it("github: the workflow passes GitHub's workflow schema and its run steps, in job order, build the chain", async () => {
    const prefix = `kiln-it/emit-gh-${token}`;
    const dir = tempDir();
    // Its own content: nothing of the GitLab test's images or step cache applies here.
    writeTree(dir, diamond(prefix, `${token}-gh`));
    const emitted = await runKiln(["chain", "chain.json", "-emit=github"], { cwd: dir });
    assert.equal(emitted.code, 0, describeRun(emitted));
    const text = emitted.stdout;

    const parsed = parseWorkflow({ name: "kiln.yml", content: text }, new NoOperationTraceWriter());
    assert.deepEqual(parsed.context.errors.getErrors(), []);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
    assert.deepEqual(template.errors ?? [], []);
    // The schema check is real: a misspelt key fails it.
    const broken = parseWorkflow(
      { name: "kiln.yml", content: text.replace("runs-on", "runs_on") },
      new NoOperationTraceWriter(),
    );
    assert.notEqual(broken.context.errors.getErrors().length, 0);

    // Run the jobs' `run:` steps in job order (each after its needs), outputs passed as GitHub does.
    const wf = parse(text) as {
      env: Record<string, string>;
      jobs: Record<string, { needs?: string[]; env?: Record<string, string>; outputs: Record<string, string>; steps: { id?: string; run?: string; uses?: string }[] }>;
    }; // prettier-ignore
    const outputs = new Map<string, Record<string, string>>();
    const logs = new Map<string, string>();
    const done = new Set<string>();
    const order: string[] = [];
    const expr = (value: string): string =>
      value.replace(/\$\{\{\s*needs\.([\w-]+)\.outputs\.(\w+)\s*\}\}/g, (_, job: string, name: string) => {
        const v = outputs.get(job)?.[name];
        assert.ok(v !== undefined, `needs.${job}.outputs.${name} is set`);
        return v;
      });
    while (done.size < Object.keys(wf.jobs).length) {
      const ready = Object.entries(wf.jobs).filter(
        ([id, j]) => !done.has(id) && (j.needs ?? []).every((n) => done.has(n)),
      );
      assert.notEqual(ready.length, 0, "the needs form no cycle");
      for (const [id, job] of ready) {
        const stepOutputs: Record<string, Record<string, string>> = {};
        for (const step of job.steps) {
          if (step.run === undefined) continue;
          const outFile = path.join(dir, `github-output-${id}`);
          writeFileSync(outFile, "");
          const env: Record<string, string> = {
            ...wf.env,
            KILN: `${process.execPath} ${KILN_BIN}`,
            KILN_TRANSFER_REGISTRY: `${registry.host}/kiln-transfer`,
            KILN_CACHE_REPO: `${registry.host}/kiln-cache`,
            GITHUB_OUTPUT: outFile,
          };
          for (const [k, v] of Object.entries(job.env ?? {})) env[k] = expr(v);
          const r = await runCommand("sh", ["-e", "-c", step.run], { cwd: dir, env, timeoutMs: 300_000 });
          assert.equal(r.code, 0, `${id}: ${describeRun(r)}`);
          logs.set(id, (logs.get(id) ?? "") + r.stdout + r.stderr);
          if (step.id !== undefined)
            stepOutputs[step.id] = Object.fromEntries(
              readFileSync(outFile, "utf8").split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
            ); // prettier-ignore
        }
        outputs.set(
          id,
          Object.fromEntries(
            Object.entries(job.outputs).map(([k, v]) => {
              const m = /^\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}$/.exec(v);
              assert.ok(m, v);
              return [k, stepOutputs[m[1]!]?.[m[2]!] ?? ""];
            }),
          ),
        );
        done.add(id);
        order.push(id);
      }
    }
    assert.deepEqual(order, ["base", "left", "right", "top"]);
    for (const [job, o] of outputs) assert.match(Object.values(o)[0] ?? "", /@sha256:[0-9a-f]{64}$/, job);
    // Each job pulled the digests its needs recorded.
    for (const [id, job] of Object.entries(wf.jobs)) {
      for (const need of job.needs ?? []) {
        const ref = Object.values(outputs.get(need)!)[0]!;
        assert.ok(
          logs.get(id)!.includes(`Pulled ${ref} for node ${need}`),
          `${id} pulled ${ref}:\n${logs.get(id)}`,
        );
      }
    }
    const all = await inImage(tagOf(prefix, "top"), "cat /base /left /right /top");
    assert.equal(all, `base-${token}-gh\nleft\nright\ntop\n`);
  });
});
