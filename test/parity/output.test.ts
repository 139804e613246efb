// Output and CLI parity with Packer 1.6.6: sensitive variables in human and machine-readable
// output, `kiln fix`, `kiln inspect`, and the -machine-readable line format, each run side by side
// with Packer on the same template.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../harness/kiln.js";
import { BUSYBOX } from "../integration/support/build.js";
import { parseMachine, type MachineLine } from "./support/machine.js";
import { compareProps, flattenRun, formatDifferences, normalizeText } from "./support/properties.js";
import { removeImages, tagsWithPrefix } from "./support/images.js";
import { containersLeftBy, runRaw, runTool, type Tool } from "./support/run-tool.js";

const SECRET = "hunter2-is-long";
const REPO = "kiln-it/parity-output";

function write(dir: string, name: string, content: object | string): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === "string" ? content : `${JSON.stringify(content, null, 2)}\n`);
  return file;
}

function describeRun(tool: Tool, r: { code: number | null; stdout: string; stderr: string }): string {
  return `${tool} exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

async function removeOurTags(): Promise<void> {
  await removeImages(await tagsWithPrefix(REPO));
}

/** Image ids a run printed (its builds' commits), to remove afterwards. */
function imageIds(stdout: string): string[] {
  return [...stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)].map((m) => m[1]!);
}

/** Builds with either tool; fails when the build's own container (named in its output) remains. */
async function build(tool: Tool, args: string[], cwd: string): Promise<Awaited<ReturnType<typeof runRaw>>> {
  // Output is compared line for line, so kiln runs without its per-step cache, which adds one line
  // per step saying whether it was cached (docs/compat.md); the image parity suite runs with it.
  const r = await runRaw(tool, ["build", ...(tool === "kiln" ? ["-no-cache"] : []), ...args], { cwd });
  await removeImages(imageIds(r.stdout));
  await removeOurTags();
  assert.deepEqual(await containersLeftBy(r.stdout), [], `${tool} left its build container behind`);
  return r;
}

describe("output and CLI parity with Packer 1.6.6", () => {
  after(async () => {
    const left = await tagsWithPrefix(REPO);
    await removeImages(left);
    assert.deepEqual(left, [], "images left behind");
  });

  it("a sensitive variable echoed by a provisioner is <sensitive> in kiln's human and machine-readable output (Packer 1.6.6 leaks it in machine-readable output)", async (t) => {
    const dir = tempDir(t);
    const json = write(dir, "sensitive.json", {
      variables: { password: SECRET, user: "admin" },
      "sensitive-variables": ["password"],
      builders: [{ type: "docker", name: "sens", image: BUSYBOX, pull: false, discard: true }],
      provisioners: [
        {
          type: "shell",
          environment_vars: ["PW={{user `password`}}"],
          inline: [
            'echo "inline={{user `password`}} user={{user `user`}}"',
            'echo "env=$PW"',
            'echo "stderr=$PW" >&2',
          ],
        },
      ],
    });
    const hcl = write(
      dir,
      "sensitive.pkr.hcl",
      [
        'variable "password" {',
        "  type      = string",
        `  default   = "${SECRET}"`,
        "  sensitive = true",
        "}",
        'source "docker" "sens" {',
        `  image   = "${BUSYBOX}"`,
        "  pull    = false",
        "  discard = true",
        "}",
        "build {",
        '  sources = ["source.docker.sens"]',
        '  provisioner "shell" {',
        '    environment_vars = ["PW=${var.password}"]',
        '    inline           = ["echo \\"inline=${var.password}\\"", "echo \\"env=$PW\\""]',
        "  }",
        "}",
        "",
      ].join("\n"),
    );

    for (const [template, format] of [
      [json, "JSON"],
      [hcl, "HCL2"],
    ] as const) {
      for (const mode of [["-color=false"], ["-machine-readable"]]) {
        const r = await build("kiln", [...mode, template], dir);
        const what = `kiln ${format} ${mode[0]}`;
        assert.equal(r.code, 0, describeRun("kiln", r));
        assert.ok(!r.output.includes(SECRET), `${what}: the secret appears:\n${r.output}`);
        const shown =
          mode[0] === "-machine-readable"
            ? parseMachine(r.stdout)
                .lines.map((l) => l.data.join(","))
                .join("\n")
            : r.stdout;
        assert.match(shown, /inline=<sensitive>/, `${what}: inline echo masked`);
        assert.match(shown, /env=<sensitive>/, `${what}: environment variable echo masked`);
        if (format === "JSON") assert.match(shown, /stderr=<sensitive>/, `${what}: stderr masked`);
      }
    }

    // Packer 1.6.6: masked in the human output, in clear in -machine-readable (docs/compat.md,
    // Output and CLI: "-machine-readable prints sensitive variables in clear").
    const human = await build("packer", ["-color=false", json], dir);
    assert.equal(human.code, 0, describeRun("packer", human));
    assert.match(human.stdout, /inline=<sensitive> user=admin/);
    assert.ok(!human.stdout.includes(SECRET), "Packer masks the secret in its human output");
    const machine = await build("packer", ["-machine-readable", json], dir);
    assert.equal(machine.code, 0, describeRun("packer", machine));
    assert.ok(
      machine.stdout.includes(`inline=${SECRET} user=admin`),
      "Packer 1.6.6 prints the secret in -machine-readable output (the documented bug kiln fixes)",
    );
  });

  it("kiln fix rewrites docker-tag `tag` as packer fix does (keeping the run-time tag order); its output validates and builds the same image", async (t) => {
    const dir = tempDir(t);
    const original = write(dir, "original.json", {
      builders: [{ type: "docker", name: "fixme", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [{ type: "shell", inline: ["echo fixed > /fixed.txt"] }],
      "post-processors": [
        [{ type: "docker-tag", repository: REPO, tags: ["a"], tag: ["b", "c"] }],
        { type: "docker-tag", repository: `${REPO}-solo`, tag: "solo" },
      ],
    });

    const kilnFix = await runRaw("kiln", ["fix", original], { cwd: dir });
    assert.equal(kilnFix.code, 0, describeRun("kiln", kilnFix));
    assert.match(kilnFix.stderr, /"tag" merged into "tags"/);
    const packerFix = await runRaw("packer", ["fix", original], { cwd: dir });
    assert.equal(packerFix.code, 0, describeRun("packer", packerFix));
    const kilnFixed = JSON.parse(kilnFix.stdout) as { "post-processors": unknown[] };
    const packerFixed = JSON.parse(packerFix.stdout) as { "post-processors": unknown[] };
    // Same template as packer fix's, but for one deliberate difference: Packer runs `tags` then
    // `tag`, and packer fix puts `tag` first, changing the artifact (its last tag); kiln fix keeps
    // the order the build used.
    const sortTags = (v: unknown): unknown =>
      JSON.parse(JSON.stringify(v), (k, x: unknown) =>
        k === "tags" && Array.isArray(x) ? [...(x as string[])].sort() : x,
      );
    assert.deepEqual(sortTags(kilnFixed), sortTags(packerFixed));
    assert.deepEqual((kilnFixed["post-processors"][0] as { tags: string[] }[])[0]!.tags, ["a", "b", "c"]);
    assert.deepEqual((packerFixed["post-processors"][0] as { tags: string[] }[])[0]!.tags, ["b", "c", "a"]);

    const fixed = write(dir, "fixed.json", kilnFix.stdout);
    const validate = await runRaw("kiln", ["validate", fixed], {
      cwd: dir,
      env: { DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    assert.equal(validate.code, 0, describeRun("kiln", validate));
    assert.match(validate.stdout, /The configuration is valid\./);
    assert.ok(!validate.output.includes("Deprecation"), validate.output);

    const work = tempDir(t);
    const run = (template: string) =>
      runTool({ tool: "kiln", template, args: [], env: {}, workDir: work, repoPrefix: REPO });
    const before = await run(original);
    const afterFix = await run(fixed);
    assert.equal(before.exitCode, 0, before.result.output);
    assert.equal(afterFix.exitCode, 0, afterFix.result.output);
    assert.match(before.result.stdout, /Deprecation warning: "tag" option has been replaced with "tags"/);
    assert.doesNotMatch(afterFix.result.stdout, /Deprecation warning/);
    const norm = { paths: [[work, "<work>"] as [string, string]] };
    const cmp = compareProps(
      flattenRun(before, { normalizer: norm }),
      flattenRun(afterFix, { normalizer: norm }),
      [],
      [],
    );
    assert.ok(
      cmp.full > 1000 && cmp.part === 0,
      `compared ${cmp.full} properties in full, ${cmp.part} in part`,
    );
    assert.deepEqual(cmp.differences, [], formatDifferences(cmp.differences, "original", "fixed"));
    assert.equal(before.builds.get("fixme")?.artifacts[1]?.id, `${REPO}:c`);

    // Packer builds the original the same way: its artifact is the last of tags + tag.
    const packer = await build("packer", ["-machine-readable", original], work);
    assert.equal(packer.code, 0, describeRun("packer", packer));
    assert.match(packer.stdout, new RegExp(`fixme,artifact,1,id,${REPO}:c\\n`));
  });

  it("kiln inspect shows Packer's sections, builders and provisioners, plus the post-processors", async (t) => {
    const dir = tempDir(t);
    const file = write(dir, "inspect.json", {
      description: "inspect, compared",
      variables: { repo: "kiln-it/x", token: "s3cr3t-value-long", plain: "a, b" },
      "sensitive-variables": ["token"],
      builders: [
        { type: "docker", image: BUSYBOX, commit: true },
        { type: "docker", name: "second", image: BUSYBOX, commit: true },
      ],
      provisioners: [
        { type: "shell", inline: ["true"] },
        { type: "file", source: "inspect.json", destination: "/tmp/" },
      ],
      "post-processors": [{ type: "docker-tag", repository: "{{user `repo`}}" }],
    });
    const kiln = await runRaw("kiln", ["inspect", file], {
      cwd: dir,
      env: { DOCKER_HOST: "unix:///nonexistent.sock" },
    });
    const packer = await runRaw("packer", ["inspect", file], { cwd: dir });
    assert.equal(kiln.code, 0, describeRun("kiln", kiln));
    assert.equal(packer.code, 0, describeRun("packer", packer));
    const sections = (text: string): Map<string, string[]> => {
      const out = new Map<string, string[]>();
      let current = "";
      for (const line of text.split("\n")) {
        if (line.startsWith("Note: ")) {
          current = "Note";
          out.set(current, [line]);
        } else if (/^\S.*:$/.test(line)) {
          current = line;
          out.set(current, []);
        } else if (line.trim() !== "") out.get(current)?.push(line);
      }
      return out;
    };
    const k = sections(kiln.stdout);
    const p = sections(packer.stdout);
    assert.equal(kiln.stdout.split("\n")[0], packer.stdout.split("\n")[0]); // Packer Inspect: JSON mode
    for (const header of ["Description:", "Builders:", "Provisioners:"]) {
      assert.deepEqual(k.get(header), p.get(header), header);
    }
    // The variables: same names and values, the sensitive one masked in both.
    const vars = (lines: string[] | undefined): string[] =>
      (lines ?? [])
        .map((l) =>
          l
            .trim()
            .replace(/\s+=\s+/, " = ")
            .replace(/ = "(.*)"$/, " = $1"),
        )
        .sort();
    assert.deepEqual(
      vars(k.get("Optional variables and their defaults:")),
      vars(p.get("Optional variables and their defaults:")),
    );
    assert.ok(!kiln.output.includes("s3cr3t-value-long"));
    // The closing note, word for word.
    const note = (text: string): string => text.slice(text.indexOf("Note: "));
    assert.equal(note(kiln.stdout), note(packer.stdout));
    // kiln adds what 1.6.6 leaves out (docs/compat.md lists no such difference: kiln only adds).
    assert.deepEqual(k.get("Post-processors:"), ["  0: docker-tag"]);
    assert.ok(k.has("Note") && p.has("Note"));
    assert.equal(p.get("Post-processors:"), undefined);
  });

  it("-machine-readable: Packer's line format, compared line type by line type (success and failure)", async (t) => {
    const dir = tempDir(t);
    const ok = write(dir, "ok.json", {
      variables: { greeting: "hello", repo: REPO },
      builders: [
        {
          type: "docker",
          image: BUSYBOX,
          pull: false,
          commit: true,
          changes: ["ENV FOO bar", "LABEL built-by=parity", "WORKDIR /srv", "EXPOSE 8080"],
        },
      ],
      provisioners: [
        {
          type: "shell",
          environment_vars: ["GREETING={{user `greeting`}}", "SPACEY=a b c"],
          inline: [
            'echo "$GREETING, from the build"',
            "echo SPACEY=$SPACEY",
            "echo to-stderr >&2",
            "echo built > /built.txt",
          ],
        },
      ],
      "post-processors": [{ type: "docker-tag", repository: "{{user `repo`}}", tags: ["1.0", "latest"] }],
    });
    const failing = write(dir, "failing.json", {
      builders: [{ type: "docker", name: "fails", image: BUSYBOX, pull: false, discard: true }],
      provisioners: [{ type: "shell", inline: ["echo about to fail", "exit 3"] }],
    });

    let compared = 0;
    for (const [template, exit] of [
      [ok, 0],
      [failing, 1],
    ] as const) {
      const packer = await build("packer", ["-machine-readable", template], dir);
      const kiln = await build("kiln", ["-machine-readable", template], dir);
      assert.equal(packer.code, exit, describeRun("packer", packer));
      assert.equal(kiln.code, exit, describeRun("kiln", kiln));
      const p = parseMachine(packer.stdout);
      const k = parseMachine(kiln.stdout);
      // kiln's one addition (docs/compat.md, Output and CLI): its first record names the engine.
      const engineLine = k.lines.shift();
      assert.match(
        engineLine?.raw ?? "",
        /^\d+,,ui,say,Using the (Docker|Podman) engine at \S+ \((Docker|Podman) /,
      );
      assert.deepEqual(k.other, [], "every kiln stdout line is a machine-readable record");
      assert.deepEqual(p.other, [], "every Packer stdout line is a machine-readable record");
      // Every line: `<unix seconds>,<target>,<type>,<data>` with no raw comma or newline in data.
      for (const line of k.lines) assert.match(line.raw, /^\d{10},[^,]*,[a-z-]+(,|$)/);
      // docs/compat.md: kiln does not print Packer's "Creating a temporary directory for sharing
      // data..." (it shares nothing through a host directory). Expected once on Packer's side only.
      const tempDirLine = /^,ui,say,==> [a-z]+: Creating a temporary directory for sharing data\.\.\.$/;
      const allPacker = segments(p.lines);
      const pSegments = allPacker.filter((seg) => !tempDirLine.test(seg[0]!));
      assert.equal(allPacker.length - pSegments.length, 1, "Packer prints its temp-dir line once");
      const kSegments = segments(k.lines);
      assert.ok(!kSegments.some((seg) => tempDirLine.test(seg[0]!)), "kiln does not print it");
      assert.deepEqual(
        kSegments,
        pSegments,
        `line types differ:\n${JSON.stringify({ kiln: kSegments, packer: pSegments }, null, 1)}`,
      );
      compared += k.lines.length;
    }
    assert.ok(compared > 40, `compared ${compared} lines`);

    // Packer's escaping, seen in kiln's raw output.
    const again = await build("kiln", ["-machine-readable", ok], dir);
    assert.match(again.stdout, /^\d+,,ui,message, {4}docker: hello%!\(PACKER_COMMA\) from the build$/m);
    assert.match(again.stdout, /^\d+,,ui,say,\\n==> Wait completed after /m);
    assert.match(
      again.stdout,
      /^\d+,docker,artifact,1,string,Imported Docker image: kiln-it\/parity-output:latest with tags /m,
    );
  });
});

/**
 * The records as comparable text, in segments that each start at a `say` line: within a segment,
 * a provisioner's stdout and stderr lines are sorted (neither tool keeps their relative order).
 * Run-specific text (ids, paths, durations) is normalized, and the two documented differences in
 * wording are undone: Packer's `-v <tmpdir>:/packer-files` in the Run command line and its
 * `3.Allowed` typo (docs/compat.md).
 */
function segments(lines: MachineLine[]): string[][] {
  const out: string[][] = [];
  for (const line of lines) {
    let text = normalizeText([line.target, line.type, ...line.data].join(","), { paths: [] })
      .replace(/ -v \S+:\/packer-files/, "")
      .replace(/\/\S*\/packer-shell<n>/g, "<tmp>/packer-shell<n>")
      .replace(/status: (\d+)\.Allowed/g, "status: $1. Allowed");
    if (/^,ui,say,/.test(text) || out.length === 0) out.push([]);
    text = text.replace(/ \d+\.\d+\.\d+\.\d+$/, " <ip>");
    out.at(-1)!.push(text);
  }
  return out.map((segment) => [segment[0]!, ...segment.slice(1).sort()]);
}
