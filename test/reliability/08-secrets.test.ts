// Secrets: sensitive variables (JSON `sensitive-variables`, HCL `sensitive = true`), registry
// passwords and ECR tokens are canaries, echoed by provisioners as is and encoded; none may reach
// stdout, stderr, machine-readable output, the debug log (KILN_LOG / KILN_LOG_PATH), error
// messages, the command line of any process (or the environment of kiln and its children) while
// kiln runs, the image's layers, config and history, ~/.docker/config.json or $DOCKER_CONFIG, or a
// file left anywhere kiln writes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe } from "node:test";
import { startEcrStandin, type EcrStandin } from "../harness/ecr-standin.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import {
  assertUserDockerConfigUnchanged,
  snapshotUserDockerConfig,
} from "../integration/registry-support.js";
import { canary, scan, scanFiles, scanImage, watchProcesses } from "./support/canary.js";
import type { KilnRun, KilnRunOptions } from "./support/kiln-process.js";
import { removeImage } from "./support/leftovers.js";
import { scenario, type ScenarioContext } from "./support/scenario.js";
import { BUSYBOX, writeTemplate } from "./support/templates.js";

const RUN = randomUUID().slice(0, 8);
const REDACTED = "<sensitive>";
const REGISTRY_USER = "kiln";
const REGISTRY_PASSWORD = canary("RegistryPw");
const ECR_PASSWORD = canary("EcrToken");
const AWS_SECRET = canary("AwsSecret");
const AWS_ACCESS_KEY = "AKIAKILNRELIABILITY0";
let registry: Registry;
let ecrRegistry: Registry;
let ecr: EcrStandin;

before(async () => {
  [registry, ecrRegistry] = await Promise.all([
    startRegistry({ tls: true, users: [{ username: REGISTRY_USER, password: REGISTRY_PASSWORD }] }),
    startRegistry({ tls: true, users: [{ username: "AWS", password: ECR_PASSWORD }] }),
  ]);
  ecr = await startEcrStandin({
    password: ECR_PASSWORD,
    proxyEndpoint: `https://${ecrRegistry.host}`,
    accessKeyId: AWS_ACCESS_KEY,
  });
});

after(async () => {
  await ecr?.close();
  await Promise.all([registry?.close(), ecrRegistry?.close()]);
});

/** Shell lines that print the secret in $CANARY as is, base64, hex, and to stderr. */
const ECHO_CANARY = [
  'echo "plain: $CANARY"',
  'echo "base64: $(printf %s "$CANARY" | base64)"',
  'echo "hex: $(printf %s "$CANARY" | hexdump -ve \'1/1 "%.2x"\')"',
  'echo "on stderr: $CANARY" >&2',
  'printf %s "$CANARY" > /tmp/secret-file && rm /tmp/secret-file',
  "echo built > /etc/marker",
];

interface Checked {
  sinks: string[];
  hits: string[];
}

/**
 * Runs kiln while watching /proc, then searches every sink for the secrets. `inputs` are files the
 * scenario wrote on purpose (a var-file holding the secret) and are not searched.
 */
async function runWatched(
  s: ScenarioContext,
  secrets: string[],
  args: string[],
  opts: KilnRunOptions & {
    inputs: string[];
    image?: (r: KilnRun) => string | undefined;
    /** A non-secret value the build prints and bakes into the image: each scanner must find it. */
    control?: string;
  },
): Promise<{ run: KilnRun; checked: Checked }> {
  const userConfig = snapshotUserDockerConfig();
  const dockerConfig = path.join(s.dir, "docker-config");
  mkdirSync(dockerConfig, { recursive: true });
  const logFile = path.join(s.dir, "debug.log");
  const pids: number[] = [];
  const watched = opts.control === undefined ? secrets : [...secrets, opts.control];
  const isControl = (hit: string): boolean => hit.includes(`secret #${secrets.length} `);
  const watcher = watchProcesses(watched, () => pids);
  const p = s.start(args, {
    ...opts,
    env: { KILN_LOG: "1", KILN_LOG_PATH: logFile, DOCKER_CONFIG: dockerConfig, ...opts.env },
  });
  p.onPid((pid) => pids.push(pid));
  // The watcher's own proof of sight: a process with the control value on its command line.
  const controlProcess =
    opts.control === undefined ? undefined : spawn("sh", ["-c", "sleep 2", opts.control]);
  const run = await p.result();
  await new Promise((r) =>
    controlProcess && controlProcess.exitCode === null ? controlProcess.on("exit", r) : r(0),
  );
  const proc = await watcher.stop();
  const found = [...proc.hits];
  const sinks = [`/proc of every process (${proc.samples} samples)`];
  found.push(...scan("stdout", run.stdout, watched), ...scan("stderr", run.stderr, watched));
  sinks.push("stdout", "stderr");
  const log = readFileSync(logFile, "utf8");
  assert.match(log, /ui/, "KILN_LOG wrote a debug log");
  found.push(...scan("debug log", log, watched));
  sinks.push(`debug log (${log.split("\n").length} lines)`);
  const image = opts.image?.(run);
  if (image !== undefined) {
    found.push(...(await scanImage(s.endpoint, image, watched)));
    sinks.push("image layers+config+history");
  }
  if (opts.control !== undefined) {
    // Each scanner can see: the control value shows up wherever it was put.
    const seen = found.filter(isControl).join("\n");
    for (const where of ["/proc/", "stdout", "debug log", ...(image ? ["docker save"] : [])])
      assert.ok(seen.includes(where), `the scanner sees the control value in ${where}:\n${seen}`);
  }
  const hits = found.filter((h) => !isControl(h));
  assert.deepEqual(readdirSync(dockerConfig), [], "nothing written to $DOCKER_CONFIG");
  assertUserDockerConfigUnchanged(userConfig);
  sinks.push("config.json");
  const exclude = new Set([...opts.inputs, logFile]);
  hits.push(...scanFiles([s.dir], secrets, exclude));
  assert.ok(
    scanFiles(opts.inputs, secrets).length > 0 ||
      secrets.every((x) => !opts.inputs.some((f) => readFileSync(f, "utf8").includes(x))),
    "the file scanner sees a secret in the inputs that hold one",
  );
  sinks.push("files under TMPDIR, state dir, work dir");
  return { run, checked: { sinks, hits } };
}

const imageIdOf = (r: KilnRun): string | undefined => /Image ID: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];

function sensitiveJsonTemplate(extra: { fail?: boolean } = {}): object {
  return {
    variables: { canary: null },
    "sensitive-variables": ["canary"],
    builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
    provisioners: [
      { type: "file", content: "{{user `canary`}}", destination: "/tmp/uploaded-secret" },
      {
        type: "shell",
        environment_vars: ["CANARY={{user `canary`}}"],
        inline: [
          "rm /tmp/uploaded-secret",
          // Literally in the script too: the rendered script file must not outlive the build.
          "echo 'literal: {{user `canary`}}'",
          ...ECHO_CANARY,
          ...(extra.fail ? ['echo "failing because of $CANARY" >&2', "exit 3"] : []),
        ],
      },
    ],
  };
}

function finish(s: ScenarioContext, run: KilnRun, checked: Checked, expectMasked = true): void {
  if (expectMasked) assert.ok(run.output.includes(REDACTED), "the echoed secret shows as <sensitive>");
  assert.deepEqual(checked.hits, [], `secret found in: ${checked.hits.join("; ")}`);
  s.observe(`0 hits in ${checked.sinks.length} sinks (${checked.sinks.join(", ")})`);
}

describe("secrets never escape", () => {
  scenario(
    "JSON sensitive variable echoed plain/base64/hex, human output + KILN_LOG",
    "masked on screen; absent from every sink incl. /proc, log, image, files",
    async (s) => {
      const secret = canary("Sensitive");
      const vars = path.join(s.dir, "vars.json");
      writeFileSync(vars, JSON.stringify({ canary: secret }));
      const control = canary("Control");
      const template = sensitiveJsonTemplate() as {
        provisioners: { environment_vars?: string[]; inline?: string[] }[];
      };
      template.provisioners[1]!.environment_vars!.push(`CONTROL=${control}`);
      template.provisioners[1]!.inline!.push('echo "control: $CONTROL"', 'echo "$CONTROL" > /etc/control');
      const file = writeTemplate(s.dir, template);
      const { run, checked } = await runWatched(
        s,
        [secret],
        ["build", "-color=false", `-var-file=${vars}`, file],
        {
          inputs: [vars],
          image: imageIdOf,
          control,
        },
      );
      const id = imageIdOf(run);
      if (id) await removeImage(s.endpoint, id);
      assert.equal(run.code, 0, run.output);
      finish(s, run, checked);
    },
  );

  scenario(
    "JSON sensitive variable, -machine-readable output",
    "machine-readable records masked (Packer 1.6.6 printed them in clear)",
    async (s) => {
      const secret = canary("Machine");
      const vars = path.join(s.dir, "vars.json");
      writeFileSync(vars, JSON.stringify({ canary: secret }));
      const file = writeTemplate(s.dir, sensitiveJsonTemplate());
      const { run, checked } = await runWatched(
        s,
        [secret],
        ["build", "-machine-readable", `-var-file=${vars}`, file],
        { inputs: [vars] },
      );
      const id = /artifact,0,id,(sha256:[0-9a-f]{64})/.exec(run.stdout)?.[1];
      if (id) await removeImage(s.endpoint, id);
      assert.equal(run.code, 0, run.output);
      assert.match(run.stdout, /^\d+,,ui,/m, "machine-readable records");
      finish(s, run, checked);
    },
  );

  scenario(
    "HCL2 `sensitive = true` variable, -machine-readable + KILN_LOG",
    "masked; absent from every sink incl. image",
    async (s) => {
      const secret = canary("Hcl");
      const vars = path.join(s.dir, "vars.pkrvars.hcl");
      writeFileSync(vars, `canary = "${secret}"\n`);
      const hcl = `variable "canary" {
  type      = string
  sensitive = true
}

source "docker" "bb" {
  image  = "${BUSYBOX}"
  pull   = false
  commit = true
}

build {
  sources = ["source.docker.bb"]

  provisioner "shell" {
    environment_vars = ["CANARY=\${var.canary}"]
    inline           = ${JSON.stringify(ECHO_CANARY)}
  }
}
`;
      const file = writeTemplate(s.dir, hcl, "template.pkr.hcl");
      const { run, checked } = await runWatched(
        s,
        [secret],
        ["build", "-machine-readable", `-var-file=${vars}`, file],
        { inputs: [vars], image: (r) => /artifact,0,id,(sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1] },
      );
      const id = /artifact,0,id,(sha256:[0-9a-f]{64})/.exec(run.stdout)?.[1];
      if (id) await removeImage(s.endpoint, id);
      assert.equal(run.code, 0, run.output);
      finish(s, run, checked);
    },
  );

  scenario(
    "a failing provisioner whose error output carries the secret",
    "exit 1; the error messages and summary are masked",
    async (s) => {
      const secret = canary("Failing");
      const vars = path.join(s.dir, "vars.json");
      writeFileSync(vars, JSON.stringify({ canary: secret }));
      const file = writeTemplate(s.dir, sensitiveJsonTemplate({ fail: true }));
      const { run, checked } = await runWatched(
        s,
        [secret],
        ["build", "-color=false", `-var-file=${vars}`, file],
        {
          inputs: [vars],
        },
      );
      assert.equal(run.code, 1, run.output);
      assert.match(run.output, /failing because of <sensitive>/);
      assert.match(run.output, /Script exited with non-zero exit status: 3/);
      finish(s, run, checked);
    },
  );

  scenario(
    "a sensitive value written into image metadata (changes: ENV X=…)",
    "validate and build refuse it: exit 2, positioned, value not printed",
    async (s) => {
      const secret = canary("Changes");
      const vars = path.join(s.dir, "vars.json");
      writeFileSync(vars, JSON.stringify({ canary: secret }));
      const file = writeTemplate(s.dir, {
        variables: { canary: null },
        "sensitive-variables": ["canary"],
        builders: [
          { type: "docker", image: BUSYBOX, pull: false, commit: true, changes: ["ENV X={{user `canary`}}"] },
        ],
      });
      const validate = await s.kiln(["validate", `-var-file=${vars}`, file]);
      const build = await s.kiln(["build", "-color=false", `-var-file=${vars}`, file]);
      for (const r of [validate, build]) {
        assert.equal(r.code, 2, r.output);
        assert.match(
          r.stderr,
          /template\.json:\d+:\d+: error: build docker: changes\[0\] would write a sensitive value/,
        );
        assert.deepEqual(scan("output", r.output, [secret]), []);
      }
      assert.equal(s.containerIds.size, 0, "nothing was built");
      s.observe("validate rc 2, build rc 2 (no container): 'changes[0] would write a sensitive value…'");
    },
  );

  scenario(
    "registry password (docker-push login to htpasswd+TLS registry)",
    "push succeeds; the password is in no sink; config.json and $DOCKER_CONFIG untouched",
    async (s) => {
      const repo = `${registry.host}/kiln-rel/secret-${RUN}`;
      const vars = path.join(s.dir, "vars.json");
      // Not declared sensitive: kiln must treat a registry password as a secret by itself.
      writeFileSync(vars, JSON.stringify({ registry_password: REGISTRY_PASSWORD }));
      const file = writeTemplate(s.dir, {
        variables: { registry_password: null },
        builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
        provisioners: [{ type: "shell", inline: ["echo pushed > /etc/marker"] }],
        "post-processors": [
          [
            { type: "docker-tag", repository: repo, tags: ["1"] },
            {
              type: "docker-push",
              login: true,
              login_server: registry.host,
              login_username: REGISTRY_USER,
              login_password: "{{user `registry_password`}}",
            },
          ],
        ],
      });
      const { run, checked } = await runWatched(
        s,
        [REGISTRY_PASSWORD],
        ["build", "-color=false", `-var-file=${vars}`, file],
        {
          inputs: [vars],
          image: imageIdOf,
        },
      );
      await removeImage(s.endpoint, `${repo}:1`);
      const id = imageIdOf(run);
      if (id) await removeImage(s.endpoint, id);
      assert.equal(run.code, 0, run.output);
      assert.ok(await registry.manifestDigest(`kiln-rel/secret-${RUN}`, "1"), "the image is in the registry");
      finish(s, run, checked, false);
    },
  );

  scenario(
    "wrong registry password",
    "exit 1 naming the registry and the refusal; the wrong password is in no sink",
    async (s) => {
      const wrong = canary("WrongPw");
      const repo = `${registry.host}/kiln-rel/secret-${RUN}`;
      const vars = path.join(s.dir, "vars.json");
      writeFileSync(vars, JSON.stringify({ registry_password: wrong }));
      const file = writeTemplate(s.dir, {
        variables: { registry_password: null },
        builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
        "post-processors": [
          [
            { type: "docker-tag", repository: repo, tags: ["wrong"] },
            {
              type: "docker-push",
              login: true,
              login_server: registry.host,
              login_username: REGISTRY_USER,
              login_password: "{{user `registry_password`}}",
            },
          ],
        ],
      });
      const { run, checked } = await runWatched(
        s,
        [wrong],
        ["build", "-color=false", `-var-file=${vars}`, file],
        {
          inputs: [vars],
        },
      );
      await removeImage(s.endpoint, `${repo}:wrong`);
      const id = imageIdOf(run);
      if (id) await removeImage(s.endpoint, id);
      assert.equal(run.code, 1, run.output);
      assert.ok(run.output.includes(registry.host), "the error names the registry");
      assert.match(run.output, /401|unauthorized|authentication/i);
      assert.deepEqual(checked.hits, [], `secret found in: ${checked.hits.join("; ")}`);
      s.observe(`rc 1, names ${registry.host} and the refusal; 0 hits in ${checked.sinks.length} sinks`);
    },
  );

  scenario(
    "ECR login (token from a GetAuthorizationToken stand-in) and AWS secret key",
    "push succeeds; token, its password and the AWS secret key are in no sink",
    async (s) => {
      const repo = `${ecrRegistry.host}/kiln-rel/ecr-${RUN}`;
      const token = Buffer.from(`AWS:${ECR_PASSWORD}`).toString("base64");
      const vars = path.join(s.dir, "vars.json");
      writeFileSync(vars, JSON.stringify({ aws_secret_key: AWS_SECRET }));
      const file = writeTemplate(s.dir, {
        variables: { aws_secret_key: null },
        builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
        "post-processors": [
          [
            { type: "docker-tag", repository: repo, tags: ["1"] },
            {
              type: "docker-push",
              ecr_login: true,
              login_server: ecrRegistry.host,
              aws_access_key: AWS_ACCESS_KEY,
              aws_secret_key: "{{user `aws_secret_key`}}",
            },
          ],
        ],
      });
      const secrets = [ECR_PASSWORD, token, AWS_SECRET];
      const { run, checked } = await runWatched(
        s,
        secrets,
        ["build", "-color=false", `-var-file=${vars}`, file],
        {
          inputs: [vars],
          image: imageIdOf,
          env: {
            AWS_ENDPOINT_URL_ECR: ecr.endpoint,
            AWS_REGION: "eu-west-1",
            AWS_EC2_METADATA_DISABLED: "true",
          },
        },
      );
      await removeImage(s.endpoint, `${repo}:1`);
      const id = imageIdOf(run);
      if (id) await removeImage(s.endpoint, id);
      assert.equal(run.code, 0, run.output);
      assert.ok(ecr.calls.length > 0, "the token came from the stand-in");
      assert.ok(await ecrRegistry.manifestDigest(`kiln-rel/ecr-${RUN}`, "1"), "the image is in the registry");
      finish(s, run, checked, false);
    },
  );
});
