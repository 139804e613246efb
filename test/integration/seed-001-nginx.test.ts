// Seed 001 ("Building Docker Images w/ Packer"): its template, with a Debian base instead of
// alpine, builds an image tagged as asked in which `nginx -v` runs. This is examples/nginx, built
// unchanged, and so is its HCL2 twin (produced by `kiln hcl2_upgrade`, checked in): both must give
// the same image.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { runKiln, tempDir, REPO_ROOT } from "../harness/kiln.js";
import { DEBIAN, describeRun, inImage, inspectImage, removeProduced, trackImage } from "./support/build.js";
import { dockerRequest } from "../harness/docker-api.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";

const TAG = "terraform-workshop/debian-nginx:0.0.1";
let taggedBase = false;

before(async () => {
  // The example names debian:bookworm (Docker Hub is unreachable here: kiln falls back to the
  // local image after the failed pull). Provide it from the harness's debootstrap image.
  if (!(await inspectImage("debian:bookworm"))) {
    const res = await dockerRequest("POST", `/images/${encodeURIComponent(DEBIAN)}/tag`, {
      query: { repo: "debian", tag: "bookworm" },
    });
    assert.ok(res.status < 300, `tag debian:bookworm: ${res.status}`);
    taggedBase = true;
  }
});

after(async () => {
  await removeProduced();
  if (taggedBase) await dockerRequest("DELETE", "/images/debian:bookworm", { query: { noprune: 1 } });
  await assertNoKilnLeftovers({ context: "after seed 001" });
});

interface Built {
  id: string;
  config: unknown;
  files: string;
}

async function buildExample(t: { after(fn: () => void): void }, file: string): Promise<Built> {
  const dir = tempDir(t);
  copyFileSync(join(REPO_ROOT, "examples/nginx", file), join(dir, file));
  const r = await runKiln(["build", "-color=false", file], { cwd: dir, timeoutMs: 600_000 });
  assert.equal(r.code, 0, describeRun(r));
  const id = /Image ID: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  trackImage(id);
  trackImage(TAG);
  assert.match(r.stdout, /\(docker-tag\): Repository: terraform-workshop\/debian-nginx:0\.0\.1/);
  assert.equal((await inspectImage(TAG))?.Id, id, "tagged as asked");
  assert.match(await inImage(TAG, "nginx -v 2>&1"), /nginx version: nginx\//);
  const img = (await inspectImage(id)) as unknown as { Config: Record<string, unknown> };
  const { Cmd, Entrypoint, Env, ExposedPorts, Labels, User, Volumes, WorkingDir, OnBuild } = img.Config;
  // Paths and the nginx binary (apt's logs and caches carry timestamps, so not every byte).
  const files = await inImage(
    id,
    "find / -xdev \\( -path /proc -o -path /sys -o -path /var/log -o -path /var/cache -o -path /var/lib/dpkg -o -path /etc/hostname -o -path /etc/hosts -o -path /etc/resolv.conf \\) -prune -o -print | sort | sha256sum; sha256sum /usr/sbin/nginx",
  );
  return {
    id,
    config: { Cmd, Entrypoint, Env, ExposedPorts, Labels, User, Volumes, WorkingDir, OnBuild },
    files,
  };
}

describe("seed 001: nginx image (examples/nginx)", () => {
  it("the JSON template and its HCL2 twin both build it, with the same config and files", async (t) => {
    const json = await buildExample(t, "template.json");
    const hcl = await buildExample(t, "template.pkr.hcl");
    assert.deepEqual(hcl.config, json.config);
    assert.equal(hcl.files, json.files);
    const base = (await inspectImage("debian:bookworm")) as unknown as { Config: { Cmd: string[] } };
    assert.deepEqual((json.config as { Cmd: string[] }).Cmd, base.Config.Cmd, "the base image's CMD is kept");
  });
});
