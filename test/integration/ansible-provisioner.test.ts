// The ansible provisioner on busybox (no Python: raw, debug, fail and controller-side tasks only):
// a failing task, the missing-Python hint, and secrets that never reach a command line.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build, BUSYBOX, describeRun, inImage, removeProduced } from "./support/build.js";
import {
  assertContainersGone,
  assertNoLeftovers,
  containerIds,
  sampleCommandLines,
} from "./provisioners-support.js";

const docker = { type: "docker", image: BUSYBOX, pull: false, commit: true };

const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");

describe("ansible provisioner (busybox)", () => {
  after(async () => {
    await removeProduced();
    await assertNoLeftovers("after ansible provisioner tests");
  });

  it("a failing task: exit 1, the task's name and message in the output, nothing left in the engine", async (t) => {
    const r = await build(
      t,
      { builders: [docker], provisioners: [{ type: "ansible", playbook_file: "fail.yml" }] },
      {
        files: {
          "fail.yml": [
            "- hosts: all",
            "  gather_facts: false",
            "  tasks:",
            "    - name: Touch a file",
            "      ansible.builtin.raw: touch /tmp/touched",
            "    - name: Fail on purpose",
            "      ansible.builtin.fail:",
            "        msg: the database is on fire",
            "",
          ].join("\n"),
        },
      },
    );
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stdout, /==> docker: Provisioning with Ansible\.\.\./);
    assert.match(
      r.stdout,
      /==> docker: Executing Ansible: ansible-playbook -e @\S+\.json -i \S+packer-provisioner-ansible\d+ \S+\/fail\.yml/,
    );
    assert.match(r.stdout, / {4}docker: TASK \[Fail on purpose\]/);
    assert.match(r.stdout, / {4}docker: fatal: \[default\]: FAILED! => .*the database is on fire/);
    assert.match(
      r.stdout,
      /Build 'docker' errored after .*: Error executing Ansible: Non-zero exit status: exit status 2 \(task "Fail on purpose" failed on default: the database is on fire\)/,
    );
    assert.deepEqual(r.imageIds, []);
    assert.equal(containerIds(r.stdout).length, 1);
    await assertContainersGone(containerIds(r.stdout));
  });

  it("an image without Python: the error says so and shows the raw bootstrap pattern", async (t) => {
    const r = await build(
      t,
      { builders: [docker], provisioners: [{ type: "ansible", playbook_file: "needs-python.yml" }] },
      { files: { "needs-python.yml": "- hosts: all\n  tasks:\n    - ansible.builtin.ping:\n" } },
    );
    assert.equal(r.code, 1, describeRun(r));
    assert.match(
      r.stdout,
      /the container has no Python, which Ansible's modules \(and fact gathering\) need/,
    );
    assert.match(r.stdout, /gather_facts: false/);
    assert.match(
      r.stdout,
      /raw: command -v python3 \|\| \(apt-get update && apt-get install -y --no-install-recommends python3\)/,
    );
  });

  it("extra vars, ansible_env_vars and sensitive values: masked in output, never in any command line; inventory options", async (t) => {
    const token = "tok-6c1f0b9e-envsecret";
    const password = "pw-1d2e3f4a-extravar";
    const jsonSecret = "js-77aa55cc-jsonvar";
    const plain = "plain-value-visible";
    const files = {
      "vars.yml": [
        "- hosts: web",
        "  gather_facts: false",
        "  tasks:",
        "    - name: Pause so that the process table can be sampled",
        "      ansible.builtin.pause:",
        "        seconds: 2",
        "    - ansible.builtin.debug:",
        "        msg: \"token={{ lookup('env', 'API_TOKEN') }} sha={{ lookup('env', 'API_TOKEN') | hash('sha1') }}\"",
        "    - ansible.builtin.debug:",
        "        msg: \"pw={{ db_password }} sha={{ db_password | hash('sha1') }} json={{ json_secret }} plain={{ plain }}\"",
        "    - ansible.builtin.debug:",
        "        msg: \"build={{ packer_build_name }} type={{ packer_builder_type }} host={{ inventory_hostname }} groups={{ group_names | join(',') }} empty={{ groups['spare'] | length }}\"",
        "    - name: Reach the container",
        "      ansible.builtin.raw: id -u > /tmp/ansible-user && echo reached",
        "      register: reach",
        "    - ansible.builtin.debug:",
        '        msg: "{{ reach.stdout | trim }}"',
        "",
      ].join("\n"),
    };
    const inventoryDir = "inv";
    const { result: r, cmdlines } = await sampleCommandLines(() =>
      build(
        t,
        {
          variables: { token },
          "sensitive-variables": ["token"],
          builders: [{ ...docker, name: "bb" }],
          provisioners: [
            {
              type: "ansible",
              playbook_file: "vars.yml",
              host_alias: "box",
              groups: ["web", "app"],
              empty_groups: ["spare"],
              user: "root",
              inventory_directory: inventoryDir,
              keep_inventory_file: true,
              ansible_env_vars: ["API_TOKEN={{user `token`}}"],
              extra_arguments: [
                "-e",
                `db_password=${password} plain=${plain}`,
                `--extra-vars={"json_secret": "${jsonSecret}"}`,
              ],
            },
          ],
        },
        { files, prepare: (dir) => mkdirSync(join(dir, inventoryDir)) },
      ),
    );
    assert.equal(r.code, 0, describeRun(r));
    // Reached Ansible: the hashes of the values match, the values themselves are masked.
    assert.match(r.stdout, new RegExp(`token=<sensitive> sha=${sha1(token)}`));
    assert.match(
      r.stdout,
      new RegExp(`pw=<sensitive> sha=${sha1(password)} json=<sensitive> plain=${plain}`),
    );
    assert.match(r.stdout, /build=bb type=docker host=box groups=app,web empty=0/);
    assert.match(r.stdout, / {4}bb: {5}"msg": "reached"/);
    for (const secret of [token, password, jsonSecret])
      assert.ok(!r.output.includes(secret), `${secret} printed`);
    // The process table was sampled while ansible-playbook and its docker CLI children ran.
    const ansibleLines = [...cmdlines].filter((c) => c.includes("ansible-playbook"));
    assert.ok(ansibleLines.length > 0, `ansible-playbook never seen in /proc:\n${[...cmdlines].join("\n")}`);
    assert.ok(
      [...cmdlines].some((c) => /docker exec/.test(c)),
      "the docker connection never seen",
    );
    for (const c of cmdlines) {
      for (const secret of [token, password, jsonSecret, plain])
        assert.ok(!c.includes(secret), `${secret} in argv: ${c}`);
    }
    // keep_inventory_file in inventory_directory: kept, with the generated content.
    const kept = readdirSync(join(r.dir, inventoryDir));
    assert.equal(kept.length, 1);
    const inventory = readFileSync(join(r.dir, inventoryDir, kept[0]!), "utf8");
    assert.match(
      inventory,
      /^box ansible_connection=community\.docker\.docker ansible_host=[0-9a-f]{64} ansible_user=root\n\[web\]\nbox .*\n\[app\]\nbox .*\n\[spare\]\n$/,
    );
    // The extra-vars files were in the build's temp dir, which is gone.
    const varsFile = /Executing Ansible: ansible-playbook -e @(\S+\.json)/.exec(r.stdout)![1]!;
    assert.ok(!existsSync(varsFile));
    assert.equal((await inImage(r.imageIds[0]!, "cat /tmp/ansible-user")).trim(), "0");
    const listing = await inImage(r.imageIds[0]!, "ls -a /tmp /root");
    assert.doesNotMatch(listing, /kiln-ansible|\.ansible/);
  });

  it("cancelled (SIGINT) while ansible-playbook runs: it and its children stop, the build cleans up", async (t) => {
    const r = await build(
      t,
      { builders: [docker], provisioners: [{ type: "ansible", playbook_file: "slow.yml" }] },
      {
        files: {
          "slow.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.raw: sleep 60\n",
        },
        signalAfter: { signal: "SIGINT", whenOutputMatches: /TASK \[ansible\.builtin\.raw\]/, delayMs: 1000 },
        timeoutMs: 60_000,
      },
    );
    assert.equal(r.code, 130, describeRun(r));
    assert.ok(r.durationMs < 30_000, `took ${r.durationMs} ms`);
    await assertContainersGone(containerIds(r.stdout));
    const still = readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p))
      .map((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ");
        } catch {
          return "";
        }
      })
      .filter((c) => c.includes(join(r.dir, "slow.yml")));
    assert.deepEqual(still, []);
  });

  it("inventory_file_template, inventory_file and galaxy_file (a role from a local archive)", async (t) => {
    const r = await build(
      t,
      {
        // Without `user`, Ansible runs as the Communicator's user, as through Packer's proxy.
        builders: [{ ...docker, exec_user: "app" }],
        provisioners: [
          {
            type: "ansible",
            playbook_file: "show.yml",
            host_alias: "tpl",
            inventory_file_template:
              "{{ .HostAlias }} ansible_connection=community.docker.docker ansible_host={{ .ID }} ansible_user={{ .User }} custom=from-template\n",
          },
          { type: "ansible", playbook_file: "show.yml", inventory_file: "hosts.ini" },
          {
            type: "ansible",
            playbook_file: "galaxy.yml",
            galaxy_file: "requirements.yml",
            roles_path: "roles",
            galaxy_force_install: true,
          },
        ],
      },
      {
        files: {
          "show.yml": [
            "- hosts: all",
            "  gather_facts: false",
            "  tasks:",
            "    - ansible.builtin.raw: id -un",
            "      register: h",
            "    - ansible.builtin.debug:",
            '        msg: "alias={{ inventory_hostname }} custom={{ custom }} user={{ h.stdout | trim }}"',
            "",
          ].join("\n"),
          "hosts.ini": "mine custom=from-user-inventory\n",
          "galaxy.yml": "- hosts: all\n  gather_facts: false\n  roles:\n    - greeter\n",
        },
        prepare: (dir) => {
          mkdirSync(join(dir, "src/greeter/tasks"), { recursive: true });
          mkdirSync(join(dir, "src/greeter/meta"), { recursive: true });
          writeFileSync(
            join(dir, "src/greeter/tasks/main.yml"),
            "- ansible.builtin.debug:\n    msg: hello from the galaxy role\n",
          );
          writeFileSync(
            join(dir, "src/greeter/meta/main.yml"),
            "galaxy_info:\n  author: kiln\n  license: MIT\ndependencies: []\n",
          );
          execFileSync("tar", ["-czf", join(dir, "greeter.tar.gz"), "-C", join(dir, "src"), "greeter"]);
          writeFileSync(
            join(dir, "requirements.yml"),
            `roles:\n  - src: file://${join(dir, "greeter.tar.gz")}\n    name: greeter\n`,
          );
        },
      },
    );
    assert.equal(r.code, 0, describeRun(r));
    assert.match(r.stdout, /"msg": "alias=tpl custom=from-template user=app"/);
    assert.match(r.stdout, /"msg": "alias=mine custom=from-user-inventory user=app"/);
    assert.match(
      r.stdout,
      / {4}docker: Executing Ansible Galaxy\n {4}docker: Starting galaxy role install process/,
    );
    assert.match(r.stdout, /greeter was installed successfully/);
    assert.match(r.stdout, /"msg": "hello from the galaxy role"/);
    assert.ok(existsSync(join(r.dir, "roles/greeter/tasks/main.yml")));
  });
});
