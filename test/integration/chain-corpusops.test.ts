// corpusops' own layout and semantics, end to end on the real engine: a repository with
// docker/IMAGES.json (Packer entries under docker/packer/ generated from docker/packer.json,
// Dockerfile entries with {name}:{version} file names and extra_args with {tag}), driven the way
// the article drives it (bin/build.sh --generate-images, then bin/build.sh), and the original's
// filters: --list, --images, --skip-images, IMAGES, positional names, --dry-run, .docker/.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { KILN_BIN, runCommand, runKiln, tempDir } from "../harness/kiln.js";
import { assertNoKilnLeftovers, sweep, TEST_REPO_PREFIX } from "../harness/leaks.js";
import { BUSYBOX, describeRun, inImage, removeProduced } from "./support/build.js";
import { allContainerIds, imageId, writeTree } from "./support/chain.js";
import { ON_PODMAN } from "./support/engine.js";

const BASE = "kiln-it/cops-base:1";
const TOOLS = "kiln-it/cops-tools:2";
const APP = "kiln-it/cops-app:1.0";

/** What a corpusops setup repository holds (written here, following the original's rules). */
function corpusopsRepo(root: string, folder = "docker"): void {
  writeTree(root, {
    [`${folder}/IMAGES.json`]: {
      images: [
        { name: "cops-base", version: "1", tag: BASE },
        { name: "cops-tools", version: "2", tag: TOOLS, extra_args: "-var from=" + BASE },
        {
          tag: APP,
          dockerfile: `${folder}/corpusops/{name}:{version}`,
          extra_args:
            "--build-arg TAG={tag} --build-arg V={img_parts[tag]} --label org.corpusops.image={name}",
        },
      ],
    },
    // The template --generate-images fills for every Packer entry.
    [`${folder}/packer.json`]: {
      variables: { from: BUSYBOX },
      builders: [{ type: "docker", image: "{{user `from`}}", commit: true, pull: false }],
      provisioners: [
        {
          type: "shell",
          inline: [
            "mkdir -p /cops",
            "echo __NAME__ __VERSION__ __DOCKER_FOLDER __ANSIBLE_FOLDER > /cops/__NAME__",
          ],
        },
      ],
      "post-processors": [{ type: "docker-tag", repository: "kiln-it/__NAME__", tags: ["__VERSION__"] }],
    },
    [`${folder}/corpusops/cops-app:1.0`]: [
      `FROM ${TOOLS}`,
      "ARG TAG",
      "ARG V",
      "COPY app.txt /app.txt",
      'RUN echo "$TAG $V" > /cops/app && ls /cops > /cops/list',
      "",
    ].join("\n"),
    "app.txt": "the app\n",
    "secret.txt": "not in the context\n",
    ".dockerignore": "secret.txt\n",
    ".ansible/site.yml": "- hosts: all\n",
    // The article's wrapper: bin/build.sh hands its arguments to the chain builder.
    "bin/build.sh": `#!/bin/sh\nexec "${process.execPath}" "${KILN_BIN}" chain -color=false "$@"\n`,
  });
}

describe("kiln chain on corpusops' layout", () => {
  let root: string;
  let containersBefore: Set<string>;
  before(async () => {
    root = path.join(tempDir(), "setups.demo");
    corpusopsRepo(root);
    containersBefore = await allContainerIds();
  });
  after(async () => {
    const left = [...(await allContainerIds())].filter((id) => !containersBefore.has(id));
    await sweep({ repoPrefixes: ["kiln-cache:", TEST_REPO_PREFIX] });
    await removeProduced();
    assert.deepEqual(left, [], "no container of any kind is left");
    await assertNoKilnLeftovers({ context: "after the corpusops chain tests" });
  });

  it("--list names every entry as the original does (Dockerfile entries by tag), before anything exists", async () => {
    const r = await runKiln(["chain", "--list"], {
      cwd: root,
      env: { DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    assert.equal(r.code, 0, describeRun(r));
    const lines = r.stdout.trim().split("\n");
    assert.deepEqual(
      lines.map((l) => l.split(/\s+/)[0]),
      ["packer__cops-base-1.json", "packer__cops-tools-2.json", APP],
    );
    assert.match(lines[2]!, /dockerfile\s+docker\/corpusops\/cops-app:1\.0 -> kiln-it\/cops-app:1\.0/);
  });

  it("a missing Packer file: exit 2 at the entry, without the engine", async () => {
    const r = await runKiln(["chain", "--dry-run"], {
      cwd: root,
      env: { DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    assert.equal(r.code, 2, describeRun(r));
    assert.match(
      r.stderr,
      /docker\/IMAGES\.json:\d+:\d+: error: packer__cops-base-1\.json: template .*docker\/packer\/cops-base-1\.json does not exist/,
    );
    assert.match(r.stderr, /--generate-images writes them/);
    assert.doesNotMatch(r.stdout + r.stderr, /Cannot reach|engine at/);
  });

  it("bin/build.sh --generate-images writes docker/packer/<file> from docker/packer.json", async () => {
    const r = await runCommand(path.join(root, "bin/build.sh"), ["--generate-images"], { cwd: root });
    assert.equal(r.code, 0, describeRun(r));
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "Writing docker/packer/cops-base-1.json",
      "Writing docker/packer/cops-tools-2.json",
    ]);
    const base = readFileSync(path.join(root, "docker/packer/cops-base-1.json"), "utf8");
    assert.match(base, /echo cops-base 1 docker \.ansible > \/cops\/cops-base/);
    assert.match(base, /"repository": "kiln-it\/cops-base"/);
    assert.ok(
      !existsSync(path.join(root, "docker/packer/cops-app:1.0")),
      "Dockerfile entries are left alone",
    );
  });

  it("--dry-run plans everything in order and touches no engine", async () => {
    const r = await runKiln(["chain", "-color=false", "--dry-run"], {
      cwd: root,
      env: { DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /Dry run: 3 node\(s\) would be built/);
    const order = [...r.stdout.matchAll(/^\[([^\]]+)\] would run: /gm)].map((m) => m[1]);
    assert.deepEqual(order, ["packer__cops-base-1.json", "packer__cops-tools-2.json", `dockerfile__${APP}`]);
    assert.match(
      r.stdout,
      /docker build --build-arg TAG=kiln-it\/cops-app:1\.0 --build-arg V=1\.0 --label org\.corpusops\.image=cops-app --squash -f docker\/corpusops\/cops-app:1\.0 \./,
    );
    assert.match(r.stdout, /packer build -var from=kiln-it\/cops-base:1 docker\/packer\/cops-tools-2\.json/);
  });

  it("bin/build.sh builds the chain in order; the Dockerfile's context honours .dockerignore", async () => {
    const r = await runCommand(path.join(root, "bin/build.sh"), [], { cwd: root, timeoutMs: 300_000 });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /==> Chain finished after .*: 3 built, 0 cached, 0 failed, 0 skipped/);
    // Squash is the default, as in the original. Docker refuses it without experimental mode and
    // kiln says so once; Podman's build (buildah) squashes the image into one layer.
    if (ON_PODMAN) {
      assert.doesNotMatch(r.stdout, /cannot squash/);
      const layers = JSON.parse(
        (await runCommand("docker", ["image", "inspect", "-f", "{{json .RootFS.Layers}}", APP])).stdout,
      ) as string[];
      assert.equal(layers.length, 1, `squashed by Podman: ${layers.length} layers`);
    } else {
      assert.equal(r.stdout.match(/cannot squash/g)?.length ?? 0, 1, r.stdout);
    }
    assert.match(r.stdout, /\[packer__cops-tools-2\.json\] ==> docker: Starting docker container/);
    const app = await inImage(APP, "cat /cops/app /cops/list /app.txt; ls /secret.txt 2>&1 || true");
    assert.match(app, /^kiln-it\/cops-app:1\.0 1\.0\n/);
    assert.match(app, /app\ncops-base\ncops-tools\n/, "built on tools, itself built on base");
    assert.match(app, /the app/);
    assert.match(app, /No such file/);
    const labels = JSON.parse(
      (await runCommand("docker", ["image", "inspect", "-f", "{{json .Config.Labels}}", APP])).stdout,
    ) as Record<string, string>;
    assert.equal(labels["org.corpusops.image"], "cops-app");
  });

  it("--images, IMAGES, positional names and --skip-images choose what is built", async () => {
    const tools = await imageId(TOOLS);
    const base = await imageId(BASE);
    const onlyApp = await runKiln(["chain", "-color=false", "--no-squash", "--images", APP], { cwd: root });
    assert.equal(onlyApp.code, 0, describeRun(onlyApp));
    assert.match(
      onlyApp.stdout,
      /1 built, 0 cached, 0 failed, 2 skipped|0 built, 1 cached, 0 failed, 2 skipped/,
    );
    assert.equal(await imageId(TOOLS), tools, "tools was not rebuilt");

    const env = await runKiln(["chain", "-color=false"], {
      cwd: root,
      env: { IMAGES: "packer__cops-tools-2.json" },
    });
    assert.equal(env.code, 0, describeRun(env));
    assert.match(env.stdout, /--> packer__cops-base-1\.json: not selected/);
    assert.notEqual(await imageId(TOOLS), tools, "tools was rebuilt");
    assert.equal(await imageId(BASE), base, "base was not");

    const skip = await runKiln(
      [
        "chain",
        "-color=false",
        "--no-squash",
        "--skip-images",
        "packer__cops-base-1.json",
        "packer__cops-tools-2.json",
      ],
      { cwd: root },
    );
    assert.equal(skip.code, 0, describeRun(skip));
    assert.match(skip.stdout, /: 1 built|: 0 built, 1 cached/);
    assert.equal(await imageId(BASE), base);

    const positional = await runKiln(["chain", "-color=false", "packer__cops-base-1.json"], { cwd: root });
    assert.equal(positional.code, 0, describeRun(positional));
    assert.notEqual(await imageId(BASE), base, "base was rebuilt");

    const typo = await runKiln(["chain", "--images", "kiln-it/cops-ap:1.0"], { cwd: root });
    assert.equal(typo.code, 2, describeRun(typo));
    assert.match(typo.stderr, /no node of the chain has that name; did you mean "kiln-it\/cops-app:1\.0"/);
  });

  it("finds .docker/ when there is no docker/ (and fills __DOCKER_FOLDER with it)", async () => {
    const dotted = path.join(tempDir(), "setups.dotted");
    corpusopsRepo(dotted, ".docker");
    const list = await runKiln(["chain", "--list"], { cwd: dotted });
    assert.equal(list.code, 0, describeRun(list));
    assert.match(list.stdout, /\.docker\/packer\/cops-base-1\.json/);
    const gen = await runKiln(["chain", "--generate-images"], { cwd: dotted });
    assert.equal(gen.code, 0, describeRun(gen));
    assert.match(
      readFileSync(path.join(dotted, ".docker/packer/cops-base-1.json"), "utf8"),
      /echo cops-base 1 \.docker \.ansible/,
    );
    const dry = await runKiln(["chain", "--dry-run"], {
      cwd: dotted,
      env: { DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    assert.equal(dry.code, 0, describeRun(dry));
  });
});
