// Build outputs and the docker-test post-processor against the real engine and a real registry:
// seed 000's case in one template (a version read inside the image becomes its tag, pushed under
// that tag), the same from the cache (local, and pulled with -cache-from), multi-line values, an
// output no step produced, and docker-test gating docker-tag / docker-push (and SIGINT in a test).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { build, BUSYBOX, describeRun, inspectImage, removeProduced, trackImage } from "./support/build.js";
import { runKiln, tempDir } from "../harness/kiln.js";
import { dockerJson, dockerRequest, removeContainer } from "../harness/docker-api.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { startRegistry, type Registry } from "../harness/registry.js";

const NONCE = randomUUID().slice(0, 8);
const stateDir = mkdtempSync(path.join(os.tmpdir(), "kiln-outputs-it-state-"));
let registry: Registry;
/** BusyBox's version as the image itself reports it (`busybox` prints "BusyBox v1.35.0 (…)"). */
let busyboxVersion = "";

const commit = { type: "docker", image: BUSYBOX, pull: false, commit: true };
/** Seed 000's step: read the version inside the image and publish it. */
const readVersion = {
  type: "shell",
  inline: [
    `echo ${NONCE} > /nonce.txt`,
    `echo "chrome_version=$(busybox | head -n 1 | sed 's/^BusyBox v\\([0-9.]*\\).*/\\1/')" >> "$KILN_OUTPUT"`,
  ],
};

async function registryTags(repo: string): Promise<string[]> {
  const res = await fetch(`http://${registry.host}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  const body = (await res.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

const tagAndPush = (repo: string, tag: string) => [
  { type: "docker-tag", repository: `${registry.host}/${repo}`, tags: [tag] },
  { type: "docker-push" },
];

/**
 * A build with the cache on: the step entries it makes (kiln-cache:<key>) are meant to stay, so
 * the run's leak check lists them; anything else left is a failure. They are removed in `after`.
 */
async function cachedBuild(...[t, template, opts]: Parameters<typeof build>) {
  const r = await build(t, template, { ...opts, cache: true, expectLeftovers: true });
  for (const l of r.leftovers) {
    assert.match(l.description, /^image kiln-cache:[0-9a-f]{64} /, describeRun(r));
    trackImage(l.id);
  }
  return r;
}

before(async () => {
  registry = await startRegistry();
  const created = await dockerJson<{ Id: string }>("POST", "/containers/create", {
    body: {
      Image: BUSYBOX,
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: ["busybox | head -n 1"],
      Labels: { "kiln.test": "1" },
    },
  });
  try {
    await dockerRequest("POST", `/containers/${created.Id}/start`);
    await dockerJson("POST", `/containers/${created.Id}/wait`);
    const logs = await dockerRequest("GET", `/containers/${created.Id}/logs`, { query: { stdout: 1 } });
    busyboxVersion = /BusyBox v([0-9.]+)/.exec(logs.body.toString("latin1"))?.[1] ?? "";
  } finally {
    await removeContainer(created.Id);
  }
  assert.match(busyboxVersion, /^\d+\.\d+/, "the busybox image reports its version");
});

after(async () => {
  await removeProduced();
  await registry?.close();
  await assertNoKilnLeftovers({ context: "after build outputs tests" });
  rmSync(stateDir, { recursive: true, force: true });
});

describe("build outputs (real engine, real registry)", () => {
  it("seed 000 in one template: the version read in the image is its tag, pushed; the same from the cache", async (t) => {
    const template = (repo: string) => ({
      builders: [commit],
      provisioners: [readVersion],
      "post-processors": [tagAndPush(repo, "{{ build `chrome_version` }}")],
    });
    const env = { KILN_STATE_DIR: stateDir };
    const repo1 = `kiln-it/chrome-${NONCE}`;
    trackImage(`${registry.host}/${repo1}:${busyboxVersion}`);
    const cold = await cachedBuild(t, template(repo1), { env });
    assert.equal(cold.code, 0, describeRun(cold));
    assert.match(
      cold.stdout,
      new RegExp(`docker: Output chrome_version=${busyboxVersion.replace(/\./g, "\\.")}\\n`),
    );
    assert.deepEqual(await registryTags(repo1), [busyboxVersion]);
    const local = await inspectImage(`${registry.host}/${repo1}:${busyboxVersion}`);
    assert.equal(local?.Id, cold.imageIds[0]);

    // Cached rebuild, pushing to another repository (the post-processors are not in the key).
    const repo2 = `kiln-it/chrome-cached-${NONCE}`;
    trackImage(`${registry.host}/${repo2}:${busyboxVersion}`);
    const warm = await cachedBuild(t, template(repo2), { env });
    assert.equal(warm.code, 0, describeRun(warm));
    assert.match(warm.stdout, /Provisioner 1 \(shell\) is cached/);
    assert.match(
      warm.stdout,
      new RegExp(`Output chrome_version=${busyboxVersion.replace(/\./g, "\\.")} \\(from the cache\\)`),
    );
    assert.deepEqual(await registryTags(repo2), [busyboxVersion]);
  });

  it("an entry pulled with -cache-from carries its outputs (they travel in the image's config)", async (t) => {
    const nonce = `${NONCE}-from`;
    const cacheRepo = `${registry.host}/kiln-it/cache-${NONCE}`;
    const template = {
      builders: [commit],
      provisioners: [{ type: "shell", inline: [`echo "pulled_value=${nonce}" >> "$KILN_OUTPUT"`] }],
      "post-processors": [{ type: "shell-local", inline: ["echo GOT-{{ build `pulled_value` }}"] }],
    };
    const first = await cachedBuild(t, template, {
      env: { KILN_STATE_DIR: stateDir },
      args: [`-cache-to=${cacheRepo}`],
    });
    assert.equal(first.code, 0, describeRun(first));
    assert.match(first.stdout, new RegExp(`GOT-${nonce}`));
    // Forget the entry locally: only the registry has it now.
    const entries = await dockerJson<{ Id: string; RepoTags: string[] | null }[]>("GET", "/images/json", {
      query: { filters: JSON.stringify({ reference: ["kiln-cache"] }) },
    });
    let removed = 0;
    for (const e of entries) {
      const info = await dockerJson<{ Comment?: string }>("GET", `/images/${e.Id}/json`);
      if (!info.Comment?.includes(nonce)) continue;
      for (const tag of e.RepoTags ?? [])
        await dockerRequest("DELETE", `/images/${encodeURIComponent(tag)}`, { query: { noprune: 1 } });
      removed++;
    }
    assert.equal(removed, 1, "the step's entry was found by its outputs in the commit comment");
    const other = mkdtempSync(path.join(os.tmpdir(), "kiln-outputs-it-state2-"));
    t.after(() => rmSync(other, { recursive: true, force: true }));
    const pulled = await cachedBuild(t, template, {
      env: { KILN_STATE_DIR: other },
      args: [`-cache-from=${cacheRepo}`],
    });
    assert.equal(pulled.code, 0, describeRun(pulled));
    assert.match(pulled.stdout, /is cached: key [0-9a-f]{12}, .* old, pulled from/);
    assert.match(pulled.stdout, new RegExp(`GOT-${nonce}`));
  });

  it("multi-line values (name<<EOF) reach a later provisioner", async (t) => {
    const r = await build(t, {
      builders: [commit],
      provisioners: [
        {
          type: "shell",
          inline: ['printf "notes<<EOF\\nfirst line\\nsecond = line\\nEOF\\n" >> "$KILN_OUTPUT"'],
        },
        { type: "shell", inline: ["cat <<'X'\n{{ build `notes` }}\nX"] },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /Output notes=first line… \(2 lines\)/);
    assert.match(r.stdout, /docker: first line\n.*docker: second = line\n/);
  });

  it("an output no step produced: validate names it (exit 2); at run time the build fails naming it and its user", async (t) => {
    const never = {
      builders: [commit],
      "post-processors": [
        { type: "docker-tag", repository: "kiln-it/never", tags: ["{{ build `version` }}"] },
      ],
    };
    const dir = tempDir(t);
    writeFileSync(path.join(dir, "template.json"), JSON.stringify(never, null, 2));
    const v = await runKiln(["validate", path.join(dir, "template.json")], { cwd: dir });
    assert.equal(v.code, 2, describeRun(v));
    assert.match(
      v.stderr + v.stdout,
      /template\.json:\d+:\d+: error: build "docker": post-processor "docker-tag" uses the build output "version", but no step before it can produce outputs/,
    );

    const r = await build(t, {
      builders: [commit],
      provisioners: [{ type: "shell", inline: ['echo "other=1" >> "$KILN_OUTPUT"'] }],
      "post-processors": [
        { type: "docker-tag", repository: `kiln-it/never-${NONCE}`, tags: ["{{ build `version` }}"] },
      ],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(
      r.stdout + r.stderr,
      /post-processor "docker-tag" uses the build output "version", which no step before it produced \(outputs so far: other\)/,
    );
    const tagged = await dockerJson<unknown[]>("GET", "/images/json", {
      query: { filters: JSON.stringify({ reference: [`kiln-it/never-${NONCE}`] }) },
    });
    assert.deepEqual(tagged, []);
  });
});

describe("docker-test post-processor (real engine, real registry)", () => {
  const mark = { type: "shell", inline: [`echo marked-${NONCE} > /mark.txt`] };

  it("a passing test lets docker-tag and docker-push run", async (t) => {
    const repo = `kiln-it/tested-${NONCE}`;
    trackImage(`${registry.host}/${repo}:ok`);
    const r = await build(t, {
      builders: [commit],
      provisioners: [mark],
      "post-processors": [
        [
          {
            type: "docker-test",
            inline: ["test -f /mark.txt", "cat /mark.txt", 'test "$GREETING" = hello', "exit 7"],
            valid_exit_codes: [0, 7],
            expect_stdout: `^marked-${NONCE}$`,
            env: { GREETING: "hello" },
          },
          ...tagAndPush(repo, "ok"),
        ],
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /docker \(docker-test\): Tests passed \(4 commands\)/);
    assert.deepEqual(await registryTags(repo), ["ok"]);
  });

  it("a failing test stops the sequence: nothing tagged, nothing pushed; the failure shows command, code and output", async (t) => {
    const repo = `kiln-it/untested-${NONCE}`;
    const r = await build(t, {
      builders: [commit],
      provisioners: [mark],
      "post-processors": [
        [
          {
            type: "docker-test",
            inline: ["echo first-ok", "echo about-to-fail; echo on-stderr >&2; exit 3", "echo never-run"],
          },
          ...tagAndPush(repo, "bad"),
        ],
      ],
    });
    assert.equal(r.code, 1, describeRun(r));
    const out = r.stdout + r.stderr;
    assert.match(out, /docker-test: "echo about-to-fail; echo on-stderr >&2; exit 3" exited with code 3/);
    // stdout and stderr arrive on separate streams: either order.
    assert.match(
      out,
      /Last lines of its output:\n\s+(?:about-to-fail\n\s+on-stderr|on-stderr\n\s+about-to-fail)\n/,
    );
    assert.doesNotMatch(r.stdout, /never-run/);
    assert.doesNotMatch(r.stdout, /Running post-processor: docker-tag/);
    assert.deepEqual(await registryTags(repo), []);
    const tagged = await dockerJson<unknown[]>("GET", "/images/json", {
      query: { filters: JSON.stringify({ reference: [`${registry.host}/${repo}`] }) },
    });
    assert.deepEqual(tagged, []);
  });

  it("expect_stdout that does not match fails the test", async (t) => {
    const r = await build(t, {
      builders: [commit],
      "post-processors": [
        [
          { type: "docker-test", inline: ["echo version 1.0"], expect_stdout: "version 2\\." },
          { type: "docker-tag", repository: `kiln-it/nomatch-${NONCE}` },
        ],
      ],
    });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout + r.stderr, /the output does not match expect_stdout "version 2\\\\."/);
  });

  it("SIGINT during a test removes the test container (the run's leak check sees none)", async (t) => {
    const r = await build(
      t,
      {
        builders: [commit],
        "post-processors": [[{ type: "docker-test", inline: ["echo testing-now; sleep 60"] }]],
      },
      { signalAfter: { signal: "SIGINT", whenOutputMatches: /testing-now/ }, timeoutMs: 60_000 },
    );
    assert.equal(r.code, 130, describeRun(r));
    assert.ok(r.durationMs < 40_000, `cancelled promptly (${r.durationMs} ms)`);
  });
});
