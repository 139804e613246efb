// The ansible-local provisioner: the same seed 003 playbook, run inside the container by the
// Ansible that a shell step installs from Debian's packages (and a later one removes).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, DEBIAN, describeRun, inImage, removeProduced } from "./support/build.js";
import {
  assertContainersGone,
  assertNoLeftovers,
  assertOneLayerOver,
  containerIds,
  LEFTOVER_FIND,
  REDIS_CHANGES,
  REDIS_FIXTURE,
  redisPing,
  sampleCommandLines,
} from "./provisioners-support.js";

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

describe("ansible-local provisioner", () => {
  after(async () => {
    await removeProduced();
    await assertNoLeftovers("after the ansible-local tests");
  });

  it("builds seed 003's redis image from the same playbook; uploads cleaned; extra vars not in argv", async (t) => {
    const password = "pw-9a8b7c6d-local";
    const { result: r, cmdlines } = await sampleCommandLines(
      () =>
        build(
          t,
          {
            builders: [{ type: "docker", image: DEBIAN, pull: false, commit: true, changes: REDIS_CHANGES }],
            provisioners: [
              {
                type: "shell",
                inline: [
                  "apt-get update -qq",
                  "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ansible-core >/dev/null",
                ],
              },
              {
                type: "ansible-local",
                playbook_dir: "redis",
                playbook_files: ["redis/playbook.yml", "check.yml"],
                inventory_groups: ["redis_servers"],
                extra_arguments: ["--extra-vars", `"db_password=${password} who=local"`],
              },
              {
                type: "shell",
                inline: [
                  "DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --auto-remove ansible-core python3 python3-apt >/dev/null",
                  "apt-get clean",
                  "rm -rf /var/lib/apt/lists/*",
                ],
              },
            ],
          },
          {
            prepare: (dir) => {
              cpSync(REDIS_FIXTURE, join(dir, "redis"), { recursive: true });
              writeFileSync(
                join(dir, "check.yml"),
                [
                  "- hosts: redis_servers",
                  "  gather_facts: false",
                  "  tasks:",
                  "    - ansible.builtin.debug:",
                  "        msg: \"pw={{ db_password }} sha={{ db_password | hash('sha1') }} who={{ who }} build={{ packer_build_name }}/{{ packer_builder_type }}\"",
                  "",
                ].join("\n"),
              );
            },
            timeoutMs: 900_000,
          },
        ),
      20,
    );
    t.diagnostic(
      `redis build (ansible-local, including installing and removing ansible-core): ${(r.durationMs / 1000).toFixed(1)} s`,
    );
    assert.equal(r.code, 0, describeRun(r));
    const out = plain(r.stdout);
    assert.match(
      out,
      /==> docker: Provisioning with Ansible\.\.\.\n {4}docker: Uploading Playbook directory to Ansible staging directory\.\.\.\n {4}docker: Creating directory: \/tmp\/packer-provisioner-ansible-local\/[0-9a-f-]{36}\n/,
    );
    assert.match(out, / {4}docker: Uploading playbook file: \S+\/check\.yml/);
    assert.match(
      out,
      / {4}docker: Executing Ansible: cd \/tmp\/packer-provisioner-ansible-local\/\S+ && ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook \S+\/playbook\.yml -e @\S+packer-extra-vars\.json --extra-vars @\S+packer-extra-vars-1\.json -c local -i \S+/,
    );
    assert.match(out, / {4}docker: TASK \[redis : Install Redis from Debian's packages\]/);
    assert.match(out, /127\.0\.0\.1 +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0/);
    assert.match(out, new RegExp(`pw=<sensitive> sha=${sha1(password)} who=local build=docker/docker`));
    assert.match(out, / {4}docker: Removing staging directory\.\.\./);
    assert.ok(!r.output.includes(password));
    for (const c of cmdlines) assert.ok(!c.includes(password), `secret in argv: ${c}`);
    await assertContainersGone(containerIds(r.stdout));

    const image = r.imageIds[0]!;
    await assertOneLayerOver(image, DEBIAN);
    assert.equal(await redisPing(image), "PONG");
    const inside = await inImage(
      image,
      `command -v ansible-playbook python3 || echo gone; echo leftovers:; ${LEFTOVER_FIND}`,
      "0",
    );
    assert.match(inside, /^gone\n/);
    assert.equal(inside.split("leftovers:\n")[1], "", `left in the image:\n${inside}`);
  });

  it("without Ansible in the image: says where it must be installed", async (t) => {
    const r = await build(
      t,
      {
        builders: [{ type: "docker", image: BUSYBOX, pull: false, commit: true }],
        provisioners: [
          {
            type: "ansible-local",
            playbook_file: "p.yml",
            staging_directory: "/tmp/stage",
            clean_staging_directory: true,
          },
        ],
      },
      { files: { "p.yml": "- hosts: all\n  tasks: []\n" } },
    );
    assert.equal(r.code, 1, describeRun(r));
    assert.match(
      r.stdout,
      / {4}docker: Executing Ansible: cd \/tmp\/stage && ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook \/tmp\/stage\/p\.yml -e @\/tmp\/stage\/packer-extra-vars\.json -c local -i \/tmp\/stage\/packer-provisioner-ansible-local\d+/,
    );
    assert.match(
      r.stdout,
      /Error executing Ansible: ANSIBLE_FORCE_COLOR=1 PYTHONUNBUFFERED=1 ansible-playbook could not be found\. Verify that it is available on the\nPATH after connecting to the machine \(ansible-local runs Ansible inside the container: install it first/,
    );
    await assertContainersGone(containerIds(r.stdout));
  });
});
