import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkPushSequences } from "../../src/post-processors/sequence-check.js";
import { formatDiagnostic } from "../../src/template/diagnostic.js";
import type { BuildDef, PostProcessorDef, Template } from "../../src/template/types.js";
import { buildDataSentinel } from "../../src/template/types.js";

let line = 10;
function pp(
  type: string,
  config: Record<string, unknown> = {},
  keepInputArtifact?: boolean,
): PostProcessorDef {
  return {
    type,
    name: type,
    named: false,
    config,
    ...(keepInputArtifact !== undefined ? { keepInputArtifact } : {}),
    pos: { file: "t.json", line: line++, column: 7 },
  };
}

function template(
  postProcessors: PostProcessorDef[][],
  format: "json" | "hcl" = "json",
  sensitiveValues: string[] = [],
): Template {
  const build = {
    name: "docker",
    sourceName: "docker",
    type: "docker",
    builder: {},
    provisioners: [],
    postProcessors,
  } as unknown as BuildDef;
  return {
    format,
    path: "t.json",
    dir: "/t",
    variables: [],
    builds: [build],
    unsupportedBuilds: [],
    sensitiveValues,
    warnings: [],
    renderLate: (t) => t,
  };
}

const tag = (over: Record<string, unknown> = {}): PostProcessorDef =>
  pp("docker-tag", {
    repository: "127.0.0.1:5000/team/app",
    tags: ["1.0", "latest"],
    force: false,
    platform: "",
    docker_path: "docker",
    ...over,
  });
const push = (over: Record<string, unknown> = {}): PostProcessorDef =>
  pp("docker-push", {
    login: false,
    login_server: "",
    login_username: "",
    login_password: "",
    ecr_login: false,
    ...over,
  });

describe("checkPushSequences", () => {
  it("accepts docker-tag then docker-push in one sequence (and docker-import then push)", () => {
    assert.deepEqual(checkPushSequences(template([[tag(), push()]])), []);
    assert.deepEqual(
      checkPushSequences(template([[pp("docker-import", { repository: "r/app", tag: "1" }), push()]])),
      [],
    );
    assert.deepEqual(
      checkPushSequences(template([[tag(), pp("docker-save", { path: "x.tar" }), push()]])),
      [],
    );
  });

  it("catches the split-sequence trap (Packer #4017/#5526) at the push, with the corrected JSON", () => {
    const t = tag();
    const p = push({
      login: true,
      login_server: "127.0.0.1:5000",
      login_username: "ci",
      login_password: "hunter2-secret",
    });
    const diags = checkPushSequences(template([[t], [p]]));
    assert.equal(diags.length, 1);
    const d = diags[0]!;
    assert.equal(d.severity, "error");
    assert.deepEqual(d.pos, p.pos);
    assert.match(d.summary, /docker-push \(sequence 2 of 2\) has no docker-tag or docker-import before it/);
    assert.match(d.detail!, /starts again from the builder's artifact/);
    assert.match(d.detail!, /An image does not exist locally with the tag: sha256/);
    assert.match(d.detail!, new RegExp(`docker-tag at line ${t.pos!.line} is in another sequence`));
    assert.ok(!d.detail!.includes("hunter2-secret"), "never shows the password");
    const fragment = d.detail!.slice(d.detail!.indexOf('  "post-processors"'));
    assert.equal(
      fragment,
      [
        '  "post-processors": [',
        "    [",
        '      { "type": "docker-tag", "repository": "127.0.0.1:5000/team/app", "tags": ["1.0", "latest"] },',
        '      { "type": "docker-push", "login": true, "login_server": "127.0.0.1:5000", "login_username": "ci", "login_password": "<as before>" }',
        "    ]",
        "  ]",
      ].join("\n"),
    );
    // The corrected fragment is valid JSON once wrapped.
    const parsed = JSON.parse(`{${fragment.replace('"<as before>"', '"x"')}}`) as {
      "post-processors": unknown[][];
    };
    assert.equal(parsed["post-processors"][0]?.length, 2);
    assert.ok(formatDiagnostic(d).startsWith(`t.json:${p.pos!.line}:7: error: build "docker": docker-push`));
  });

  it("explains HCL's one-block-one-sequence rule and shows a post-processors block", () => {
    const diags = checkPushSequences(template([[tag()], [push()]], "hcl"));
    assert.equal(diags.length, 1);
    const detail = diags[0]!.detail!;
    assert.match(detail, /a post-processor block directly inside build \{\} is a sequence of its own/);
    assert.ok(
      detail.includes(
        [
          "  post-processors {",
          '    post-processor "docker-tag" {',
          '      repository = "127.0.0.1:5000/team/app"',
          '      tags       = ["1.0", "latest"]',
          "    }",
          '    post-processor "docker-push" {',
          "    }",
          "  }",
        ].join("\n"),
      ),
      detail,
    );
  });

  it("a push with no tag anywhere gets a placeholder docker-tag", () => {
    const diags = checkPushSequences(template([[push()]]));
    assert.match(diags[0]!.detail!, /No sequence of this build tags the image/);
    assert.match(diags[0]!.detail!, /"repository": "<registry>\/<repository>", "tags": \["<tag>"\]/);
  });

  it("masks sensitive values and re-spells build data in the fragment", () => {
    const diags = checkPushSequences(
      template(
        [
          [tag({ repository: "r.example/team/app", tags: [`${buildDataSentinel("ID")}`] })],
          [push({ login_server: "r.example", login_username: "tok-user-1234" })],
        ],
        "json",
        ["tok-user-1234"],
      ),
    );
    const detail = diags[0]!.detail!;
    assert.ok(detail.includes('"tags": ["{{ build `ID` }}"]'), detail);
    assert.ok(detail.includes('"login_username": "<sensitive>"'), detail);
  });

  it("warns when a docker-tag sits in another sequence than a working push", () => {
    const lonely = tag({ repository: "127.0.0.1:5000/team/other" });
    const diags = checkPushSequences(template([[lonely], [tag(), push()]]));
    assert.equal(diags.length, 1);
    assert.equal(diags[0]!.severity, "warning");
    assert.deepEqual(diags[0]!.pos, lonely.pos);
    assert.match(diags[0]!.summary, /separate post-processor sequences, so its tags are not pushed/);
  });

  it("login without login_server: says it means Docker Hub and to set login_server, not to remove it", () => {
    const diags = checkPushSequences(template([[tag(), push({ login: true })]]));
    assert.equal(diags.length, 1);
    assert.equal(diags[0]!.severity, "warning");
    assert.match(
      diags[0]!.summary,
      /login_server is not set, so the login credentials are for docker\.io \(Docker Hub\), but the repository "127\.0\.0\.1:5000\/team\/app" points to 127\.0\.0\.1:5000/,
    );
    assert.match(
      diags[0]!.detail!,
      /Fix: set "login_server": "127\.0\.0\.1:5000" \(the repository's registry\)/,
    );
    assert.doesNotMatch(`${diags[0]!.summary} ${diags[0]!.detail}`, /[Rr]emove login_server/);
  });

  it("warns up front about a login_server that is not the repository's registry (seed 000)", () => {
    const diags = checkPushSequences(
      template([[tag(), push({ login: true, login_server: "127.0.0.1:5001" })]]),
    );
    assert.equal(diags.length, 1);
    assert.equal(diags[0]!.severity, "warning");
    assert.match(
      diags[0]!.summary,
      /login_server 127\.0\.0\.1:5001 is not the registry .* points to \(127\.0\.0\.1:5000\)/,
    );
    assert.match(diags[0]!.detail!, /make the repository 127\.0\.0\.1:5001\/team\/app/);
    // Same registry, other spelling: fine.
    assert.deepEqual(
      checkPushSequences(template([[tag(), push({ login: true, login_server: "http://127.0.0.1:5000/" })]])),
      [],
    );
    // Docker Hub: https://index.docker.io is docker.io.
    assert.deepEqual(
      checkPushSequences(
        template([
          [
            tag({ repository: "morawskim/node10-google-chrome" }),
            push({ login: true, login_server: "https://index.docker.io" }),
          ],
        ]),
      ),
      [],
    );
  });
});
