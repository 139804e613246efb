// One check per docker builder option, each against the resulting image's config or filesystem
// (or the build container, observed through provisioner output).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, describeRun, inImage, inspectImage, removeProduced } from "./support/build.js";
import { ON_PODMAN } from "./support/engine.js";
import { assertNoKilnLeftovers } from "../harness/leaks.js";
import { tempDir } from "../harness/kiln.js";

interface FullConfig {
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Env?: string[];
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  User?: string;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  OnBuild?: string[];
}
async function config(ref: string): Promise<FullConfig & { Author?: string; Comment?: string }> {
  const img = (await inspectImage(ref)) as unknown as {
    Config: FullConfig;
    Author?: string;
    Comment?: string;
  };
  assert.ok(img, `image ${ref} exists`);
  return { ...img.Config, Author: img.Author, Comment: img.Comment };
}

const shell = (...inline: string[]) => ({ type: "shell", inline });

describe("docker builder options", () => {
  after(async () => {
    await removeProduced();
    await assertNoKilnLeftovers({ context: "after builder option tests" });
  });

  it("image + commit: commits the provisioned container; keeps the base CMD/ENTRYPOINT; no stub dir", async (t) => {
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [shell("echo built > /built.txt")],
    });
    assert.equal(r.code, 0, describeRun(r));
    const id = r.imageIds[0]!;
    assert.equal((await inImage(id, "cat /built.txt")).trim(), "built");
    const c = await config(id);
    const base = await config(BUSYBOX);
    assert.deepEqual(c.Cmd, base.Cmd);
    // Podman commits "no entrypoint" as [] where Docker keeps null (docs/engines.md).
    assert.deepEqual(
      c.Entrypoint ?? null,
      ON_PODMAN && base.Entrypoint == null ? [] : (base.Entrypoint ?? null),
    );
    assert.equal((await inImage(id, "ls -d /packer-files 2>/dev/null || echo none")).trim(), "none");
    assert.match(r.stdout, /==> docker: Committing the container/);
    assert.match(r.stdout, /--> docker: Imported Docker image: sha256:[0-9a-f]{64}/);
  });

  it("changes: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR; author; message", async (t) => {
    const r = await build(t, {
      builders: [
        {
          type: "docker",
          image: BUSYBOX,
          pull: false,
          commit: true,
          author: "Kiln Tester <kiln@example.com>",
          message: "built by kiln",
          changes: [
            'CMD ["echo", "hi"]',
            'ENTRYPOINT ["/bin/sh", "-c"]',
            "ENV FOO bar",
            "ENV A=1 B=2",
            "EXPOSE 8080 53/udp",
            "LABEL built-by=kiln version=1",
            "ONBUILD RUN date",
            "USER 1000:1000",
            'VOLUME ["/data"]',
            "WORKDIR /srv",
          ],
        },
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    const c = await config(r.imageIds[0]!);
    assert.deepEqual(c.Cmd, ["echo", "hi"]);
    assert.deepEqual(c.Entrypoint, ["/bin/sh", "-c"]);
    assert.ok(c.Env?.includes("FOO=bar") && c.Env.includes("A=1") && c.Env.includes("B=2"), String(c.Env));
    assert.deepEqual(Object.keys(c.ExposedPorts ?? {}).sort(), ["53/udp", "8080/tcp"]);
    assert.equal(c.Labels?.["built-by"], "kiln");
    assert.equal(c.Labels?.version, "1");
    // Podman 4.3's commit ignores ONBUILD (docs/engines.md).
    assert.deepEqual(c.OnBuild, ON_PODMAN ? null : ["RUN date"]);
    assert.equal(c.User, "1000:1000");
    assert.deepEqual(Object.keys(c.Volumes ?? {}), ["/data"]);
    assert.equal(c.WorkingDir, "/srv");
    assert.equal(c.Author, "Kiln Tester <kiln@example.com>");
    assert.equal(c.Comment, "built by kiln");
  });

  it("discard: no image, artifact says so", async (t) => {
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, discard: true }],
      provisioners: [shell("true")],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.equal(r.imageIds.length, 0);
    assert.match(r.stdout, /--> docker: Exported Docker file: $/m);
  });

  it("export_path: writes the container filesystem as a tar (parent dirs created)", async (t) => {
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, export_path: "out/sub/image.tar" }],
      provisioners: [shell("echo exported > /exported.txt")],
    });
    assert.equal(r.code, 0, describeRun(r));
    const tar = join(r.dir, "out/sub/image.tar");
    assert.ok(existsSync(tar) && statSync(tar).size > 100_000, "export tar written");
    const { execFileSync } = await import("node:child_process");
    const list = execFileSync("tar", ["-tf", tar], { encoding: "utf8" });
    assert.match(list, /^(\.\/)?exported\.txt$/m);
    assert.match(r.stdout, /--> docker: Exported Docker file: out\/sub\/image\.tar/);
  });

  it("pull: true with a local-only image warns and uses the local image; pull: false with a missing image fails clearly", async (t) => {
    const ok = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, commit: true }],
      provisioners: [shell("true")],
    });
    assert.equal(ok.code, 0, describeRun(ok));
    assert.match(ok.stdout, /Pulling Docker image: kiln-test\/busybox:1/);
    assert.match(ok.stdout, /using the image already present in the engine/);
    const missing = await build(t, {
      builders: [{ type: "docker", image: "kiln-it/does-not-exist:1", pull: false, commit: true }],
    });
    assert.equal(missing.code, 1, describeRun(missing));
    assert.match(missing.stdout, /Base image kiln-it\/does-not-exist:1 is not present in the engine/);
    const unpullable = await build(t, {
      builders: [{ type: "docker", image: "kiln-it/not-anywhere:1", commit: true }],
    });
    assert.equal(unpullable.code, 1, describeRun(unpullable));
    assert.match(unpullable.stdout, /Error pulling Docker image kiln-it\/not-anywhere:1: .+/);
    assert.match(unpullable.stdout, /The image is not present in the engine either/);
    assert.ok(unpullable.durationMs < 30_000, `failed in ${unpullable.durationMs} ms`);
  });

  it("run_command: docker run flags mapped onto the API (env, hostname, user, workdir)", async (t) => {
    const r = await build(t, {
      builders: [
        {
          type: "docker",
          image: BUSYBOX,
          pull: false,
          discard: true,
          run_command: [
            "-d",
            "-i",
            "-t",
            "-e",
            "RUNENV=from-run-command",
            "--hostname",
            "kilnhost",
            "-w",
            "/tmp",
            "--entrypoint=/bin/sh",
            "--",
            "{{.Image}}",
          ],
        },
      ],
      provisioners: [shell('echo "env=$RUNENV host=$(hostname) pwd=$(pwd)"')],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /env=from-run-command host=kilnhost/);
    assert.match(r.stdout, /Run command: docker run -d -i -t -e RUNENV=from-run-command --hostname kilnhost/);
  });

  it("volumes: host directories are bind-mounted into the build container", async (t) => {
    const host = tempDir(t);
    writeFileSync(join(host, "from-host.txt"), "hello from host\n");
    const r = await build(t, {
      builders: [
        { type: "docker", image: BUSYBOX, pull: false, discard: true, volumes: { [host]: "/mnt/host" } },
      ],
      provisioners: [shell("cat /mnt/host/from-host.txt", "echo back > /mnt/host/from-container.txt")],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /docker: hello from host/);
    assert.ok(existsSync(join(host, "from-container.txt")));
  });

  it("privileged: the container runs privileged (or the engine's refusal is reported, nothing left)", async (t) => {
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, discard: true, privileged: true }],
      provisioners: [shell("grep CapEff /proc/self/status")],
    });
    assert.match(r.stdout, /Run command: docker run --privileged /);
    if (r.code === 0) {
      // Every capability this host can give: its bounding set. (Docker 20.10 refuses to start
      // when the host lacks one, below; Docker 26 and Podman clamp to the bounding set.)
      const caps = BigInt(`0x${/CapEff:\s+([0-9a-f]+)/.exec(r.stdout)?.[1] ?? "0"}`);
      const bounding = BigInt(
        `0x${/CapBnd:\s+([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? "0"}`,
      );
      assert.equal(caps.toString(16), bounding.toString(16), r.stdout);
      return;
    }
    // Some sandboxes (this machine kind among them: its capability bounding set lacks
    // CAP_SYS_RESOURCE) cannot start any privileged container, `docker run --privileged`
    // included. Then the daemon's own refusal must reach the user, and nothing may be left.
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /unable to apply caps: operation not permitted/);
    t.diagnostic("privileged containers cannot start on this engine; checked the refusal path instead");
  });

  it("cap_add / cap_drop: capabilities are added and dropped", async (t) => {
    const r = await build(t, {
      builders: [
        {
          type: "docker",
          image: BUSYBOX,
          pull: false,
          discard: true,
          cap_add: ["SYS_ADMIN"],
          cap_drop: ["CHOWN"],
        },
      ],
      provisioners: [shell("grep CapEff /proc/self/status")],
    });
    assert.equal(r.code, 0, describeRun(r));
    const hex = /CapEff:\s+([0-9a-f]+)/.exec(r.stdout)?.[1];
    assert.ok(hex, r.stdout);
    const caps = BigInt(`0x${hex}`);
    assert.equal(caps & (1n << 21n), 1n << 21n, "CAP_SYS_ADMIN (21) added");
    assert.equal(caps & 1n, 0n, "CAP_CHOWN (0) dropped");
  });

  it("tmpfs: mounts a tmpfs whose contents do not reach the image", async (t) => {
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true, tmpfs: ["/scratch:size=8m"] }],
      provisioners: [shell("grep ' /scratch tmpfs' /proc/mounts", "echo secret > /scratch/tmp.txt")],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /\/scratch tmpfs/);
    assert.equal((await inImage(r.imageIds[0]!, "ls /scratch 2>/dev/null | wc -l")).trim(), "0");
  });

  it("device: host devices appear in the build container", async (t) => {
    const r = await build(t, {
      builders: [
        { type: "docker", image: BUSYBOX, pull: false, discard: true, device: ["/dev/null:/dev/kilnnull"] },
      ],
      provisioners: [shell("test -c /dev/kilnnull && echo device-ok")],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /device-ok/);
  });

  it("exec_user: provisioner commands run as that user; uploads owned by it", async (t) => {
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true, exec_user: "1000" }],
      provisioners: [shell("id -u", "touch /tmp/made-by-exec-user")],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /docker: 1000$/m);
    assert.equal((await inImage(r.imageIds[0]!, "stat -c %u /tmp/made-by-exec-user")).trim(), "1000");
  });

  it("fix_upload_owner: uploads are owned by the image's USER (true) or root (false)", async (t) => {
    const base = tempDir(t);
    mkdirSync(join(base, "d"));
    writeFileSync(join(base, "d", "f.txt"), "x");
    const mk = (fix: boolean) => ({
      builders: [
        {
          type: "docker",
          image: BUSYBOX,
          pull: false,
          commit: true,
          fix_upload_owner: fix,
          run_command: ["-d", "-i", "-t", "-u", "1000", "--entrypoint=/bin/sh", "--", "{{.Image}}"],
        },
      ],
      provisioners: [{ type: "file", source: join(base, "d", "f.txt"), destination: "/tmp/f.txt" }],
    });
    const yes = await build(t, mk(true));
    assert.equal(yes.code, 0, describeRun(yes));
    assert.equal((await inImage(yes.imageIds[0]!, "stat -c %u:%g /tmp/f.txt")).trim(), "1000:1000");
    const no = await build(t, mk(false));
    assert.equal(no.code, 0, describeRun(no));
    assert.equal((await inImage(no.imageIds[0]!, "stat -c %u /tmp/f.txt")).trim(), "0");
  });

  it("container_dir: exists while the provisioners run; gone from the image, with what they put there", async (t) => {
    const r = await build(t, {
      builders: [
        { type: "docker", image: BUSYBOX, pull: false, commit: true, container_dir: "/kiln/share/in" },
        {
          type: "docker",
          name: "under-tmp",
          image: BUSYBOX,
          pull: false,
          commit: true,
          container_dir: "/tmp/kiln-share",
        },
      ],
      provisioners: [
        shell(
          "for d in /kiln/share/in /tmp/kiln-share /packer-files; do if [ -d $d ]; then echo present: $d; touch $d/left; fi; done",
        ),
      ],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /docker: present: \/kiln\/share\/in/);
    assert.match(r.stdout, /under-tmp: present: \/tmp\/kiln-share/);
    assert.doesNotMatch(r.stdout, /present: \/packer-files/);
    const imageOf = (build: string) =>
      new RegExp(`${build}: Image ID: (sha256:[0-9a-f]{64})`).exec(r.stdout)?.[1] ?? assert.fail(build);
    const nested = imageOf("docker");
    const underTmp = imageOf("under-tmp");
    // Everything kiln created is removed, and nothing it did not create (/tmp stays).
    assert.equal((await inImage(nested, "ls -d /kiln 2>/dev/null | wc -l")).trim(), "0");
    assert.equal((await inImage(underTmp, "ls -d /tmp /tmp/kiln-share 2>/dev/null; true")).trim(), "/tmp");
  });

  it("container_dir: an image without rm keeps the directory, with a warning", async (t) => {
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
      provisioners: [shell("test -d /packer-files", "rm /bin/rm")],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(
      r.stdout + r.stderr,
      /Could not remove \/packer-files \(made for container_dir\), so it stays in the result: /,
    );
    assert.equal((await inImage(r.imageIds[0]!, "ls -d /packer-files")).trim(), "/packer-files");
  });

  it("platform: the container runs for the requested platform", async (t) => {
    const arch = process.arch === "arm64" ? "arm64" : "amd64";
    const r = await build(t, {
      builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true, platform: `linux/${arch}` }],
      provisioners: [shell("uname -m")],
    });
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /Run command: docker run --platform linux\/(amd64|arm64)/);
  });
});
