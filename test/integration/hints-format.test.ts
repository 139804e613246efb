// Hints that quote a template option are written in the syntax of the template being run
// (`"pull": false` in JSON, `pull = false` in HCL2), and login_server advice fits what the template
// says (issue 18.3, 18.4). Each case runs the same template in both formats through `kiln build`
// (or `kiln validate`) against the real engine.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUSYBOX, removeProduced, trackImage } from "./support/build.js";
import { runKiln, tempDir, type RunResult } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

interface Case {
  json: object;
  hcl: string;
}

const show = (r: RunResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

async function run(
  t: { after(fn: () => void): void },
  format: "json" | "hcl",
  c: Case,
  command = "build",
): Promise<RunResult> {
  const dir = tempDir(t);
  const name = format === "json" ? "template.json" : "template.pkr.hcl";
  writeFileSync(join(dir, name), format === "json" ? JSON.stringify(c.json, null, 2) : c.hcl);
  const r = await runKiln([command, ...(command === "build" ? ["-color=false"] : []), name], {
    cwd: dir,
    timeoutMs: 120_000,
  });
  for (const m of r.stdout.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
  for (const m of r.stdout.matchAll(/Pushing: (\S+)/g)) trackImage(m[1]!);
  return r;
}

function hcl(source: string, build = ""): string {
  return `source "docker" "app" {\n${source}\n}\n\nbuild {\n  sources = ["source.docker.app"]\n${build}\n}\n`;
}

const MISSING = "kiln-it/never-built:0";

const cases: Record<string, Case> = {
  absent: {
    json: { builders: [{ type: "docker", image: MISSING, pull: false, commit: true }] },
    hcl: hcl(`  image  = "${MISSING}"\n  pull   = false\n  commit = true`),
  },
  localOnly: {
    // kiln-test/busybox:1 exists only in this engine: the pull fails, the local image is used.
    json: { builders: [{ type: "docker", image: BUSYBOX, pull: true, discard: true }] },
    hcl: hcl(`  image   = "${BUSYBOX}"\n  pull    = true\n  discard = true`),
  },
  tagAfterExport: {
    json: {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, export_path: "image.tar" }],
      "post-processors": [{ type: "docker-tag", repository: "kiln-it/hint", tags: ["1"] }],
    },
    hcl: hcl(
      `  image       = "${BUSYBOX}"\n  pull        = false\n  export_path = "image.tar"`,
      `  post-processor "docker-tag" {\n    repository = "kiln-it/hint"\n    tags       = ["1"]\n  }`,
    ),
  },
  loginServerUnset: {
    // login without login_server means Docker Hub; the repository names another registry (.invalid
    // never resolves, so the push fails without any registry).
    json: {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      "post-processors": [
        [
          { type: "docker-tag", repository: "registry.invalid/team/app", tags: ["1"] },
          { type: "docker-push", login: true, login_username: "someone", login_password: "not-a-real-pass" },
        ],
      ],
    },
    hcl: hcl(
      `  image  = "${BUSYBOX}"\n  pull   = false\n  commit = true`,
      [
        "  post-processors {",
        '    post-processor "docker-tag" {',
        '      repository = "registry.invalid/team/app"',
        '      tags       = ["1"]',
        "    }",
        '    post-processor "docker-push" {',
        "      login          = true",
        '      login_username = "someone"',
        '      login_password = "not-a-real-pass"',
        "    }",
        "  }",
      ].join("\n"),
    ),
  },
};

const syntax = {
  json: { pullTrue: /set "pull": true/, pullFalse: /Set "pull": false/, commit: /set "commit": true/ },
  hcl: { pullTrue: /set pull = true/, pullFalse: /Set pull = false/, commit: /set commit = true/ },
};

describe("hints in the template's own syntax", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after hint tests" });
  });

  for (const format of ["json", "hcl"] as const) {
    const other = format === "json" ? "hcl" : "json";

    it(`${format}: an absent base image with pull off`, async (t) => {
      const r = await run(t, format, cases.absent!);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stdout, syntax[format].pullTrue, show(r));
      assert.doesNotMatch(r.stdout, syntax[other].pullTrue);
    });

    it(`${format}: a failed pull of a local-only image`, async (t) => {
      const r = await run(t, format, cases.localOnly!);
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, syntax[format].pullFalse, show(r));
      assert.doesNotMatch(r.stdout, syntax[other].pullFalse);
    });

    it(`${format}: docker-tag after export_path`, async (t) => {
      const r = await run(t, format, cases.tagAfterExport!);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stdout, syntax[format].commit, show(r));
      assert.doesNotMatch(r.stdout, syntax[other].commit);
    });

    it(`${format}: login without login_server, at validate and at build: no "remove login_server"`, async (t) => {
      const setIt =
        format === "json"
          ? /set "login_server": "registry\.invalid"/
          : /set login_server = "registry\.invalid"/;
      const v = await run(t, format, cases.loginServerUnset!, "validate");
      assert.equal(v.code, 0, show(v));
      assert.match(v.stderr, /login_server is not set, so the login credentials are for docker\.io/, show(v));
      assert.match(v.stderr, setIt, show(v));
      assert.doesNotMatch(v.stderr, /[Rr]emove login_server|login_server docker\.io/);

      const b = await run(t, format, cases.loginServerUnset!);
      assert.equal(b.code, 1, show(b));
      assert.match(b.stdout, /login_server is not set, so the login credentials are for docker\.io/, show(b));
      assert.match(b.stdout, setIt, show(b));
      assert.doesNotMatch(b.output, /[Rr]emove login_server/);
      assert.ok(!b.output.includes("not-a-real-pass"));
    });
  }
});
