// examples/ci/gitlab (the pipeline a user copies) run as GitLab would run it, by gitlab-ci-local
// (its jobs have no `image:`, so they run in its shell executor on this host, against the test
// engine through DOCKER_HOST). Only CI variables differ from the file: the base image the harness
// built, the harness's registry, no login. The pushed tag must be the version read in the image,
// and a second pipeline on a "fresh runner" (no local cache entries, a new state dir) must take
// every step from the registry's cache.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { KILN_BIN, REPO_ROOT } from "../harness/kiln.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { startRegistry, type Registry } from "../harness/registry.js";
import { DEBIAN, inImage, removeProduced, trackImage } from "./support/build.js";

const NONCE = randomUUID().slice(0, 8);
const GCL = path.join(REPO_ROOT, "node_modules/.bin/gitlab-ci-local");
const work = mkdtempSync(path.join(os.tmpdir(), "kiln-ci-gitlab-"));
const project = path.join(work, "project");
const bin = path.join(work, "bin");
let registry: Registry;
let repo = "";
let cache = "";

/** Runs the whole pipeline with a state dir of its own (a runner's), returns gitlab-ci-local's output. */
function pipeline(stateDir: string) {
  const r = spawnSync(
    GCL,
    [
      "--variable",
      `BASE_IMAGE=${DEBIAN}`,
      "--variable",
      "PULL_BASE_IMAGE=false",
      "--variable",
      `IMAGE_REPOSITORY=${repo}`,
      "--variable",
      `CACHE_REPOSITORY=${cache}`,
      "--variable",
      "REGISTRY_LOGIN=false",
    ],
    {
      cwd: project,
      encoding: "utf8",
      timeout: 300_000,
      // `kiln` on PATH is this checkout's (the example's `npm install --global` is then skipped).
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KILN_STATE_DIR: stateDir, NO_COLOR: "1" },
    },
  );
  const out = `${r.stdout}${r.stderr}`;
  for (const m of out.matchAll(/Image ID: (sha256:[0-9a-f]{64})/g)) trackImage(m[1]!);
  return { status: r.status, out };
}

async function tags(repoPath: string): Promise<string[]> {
  const res = await fetch(`${registry.url}/v2/${repoPath}/tags/list`);
  if (res.status === 404) return [];
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

describe("examples/ci/gitlab under gitlab-ci-local", () => {
  before(async () => {
    registry = await startRegistry();
    repo = `${registry.host}/kiln-it/box-${NONCE}`;
    cache = `${registry.host}/kiln-it/box-cache-${NONCE}`;
    // gitlab-ci-local needs a git repository: the example, copied as a user would, committed.
    cpSync(path.join(REPO_ROOT, "examples/ci/gitlab"), project, { recursive: true });
    const git = (...args: string[]) =>
      spawnSync("git", ["-c", "user.name=ci", "-c", "user.email=ci@localhost", ...args], { cwd: project });
    git("init", "-q", "-b", "main");
    git("remote", "add", "origin", "https://gitlab.example.com/team/box.git");
    git("add", "-A");
    git("commit", "-qm", "box");
    mkdirSync(bin);
    symlinkSync(KILN_BIN, path.join(bin, "kiln"));
  });
  after(async () => {
    await registry?.close();
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after the GitLab CI example" });
    rmSync(work, { recursive: true, force: true });
  });

  it("builds, tests, tags with the version read in the image, pushes; the report is the job's artifact", async () => {
    const r = pipeline(path.join(work, "state-1"));
    trackImage(`${repo}:latest`);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /PASS {2}validate/);
    assert.match(r.out, /PASS {2}box/);
    const version = (await inImage(`${repo}:latest`, "cat /etc/debian_version")).trim();
    assert.match(version, /^\d+\.\d+$/);
    trackImage(`${repo}:${version}`);
    assert.deepEqual((await tags(`kiln-it/box-${NONCE}`)).sort(), [version, "latest"].sort());
    // The tagged image is the one the image test ran against: its CMD prints the release line.
    assert.equal(
      (await inImage(`${repo}:${version}`, "cat /etc/box-release")).trim(),
      `box built on Debian ${version}`,
    );
    assert.match(r.out, /Provisioner 1 \(shell\) runs: no cache entry/);
    assert.ok((await tags(`kiln-it/box-cache-${NONCE}`)).length >= 1, "no step was pushed to the cache");
    for (const f of ["kiln-report.json", "kiln-report.html"])
      assert.ok(
        existsSync(path.join(project, ".gitlab-ci-local/artifacts/box", f)),
        `${f} is not an artifact`,
      );
  });

  it("a second pipeline on a fresh runner takes every step from the registry's cache", async () => {
    // A fresh runner: no local cache entry, no tagged image, its own state dir.
    await removeProduced();
    const r = pipeline(path.join(work, "state-2"));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /Provisioner 1 \(shell\) is cached: key [0-9a-f]{12}, .* old, pulled from /);
    assert.doesNotMatch(r.out, /runs: no cache entry/);
    const version = (await inImage(`${repo}:latest`, "cat /etc/debian_version")).trim();
    trackImage(`${repo}:latest`);
    trackImage(`${repo}:${version}`);
    assert.match(r.out, new RegExp(`Output version=${version.replace(".", "\\.")} \\(from the cache\\)`));
    assert.deepEqual((await tags(`kiln-it/box-${NONCE}`)).sort(), [version, "latest"].sort());
  });
});
