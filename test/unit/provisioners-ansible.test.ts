// Pure parts of the ansible provisioners: extra vars moved out of argv (parsed as ansible-playbook
// parses them), shell-word splitting for ansible-local, and reading failures from the output.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseKv, rewriteExtraVars, splitArgs } from "../../src/provisioners/ansible/extra-vars.js";
import { AnsibleOutput, failureMessage } from "../../src/provisioners/ansible/output.js";
import { shellWords } from "../../src/provisioners/ansible-local/ansible-local.js";

describe("parseKv (ansible's -e key=value)", () => {
  const cases: [string, Record<string, string>][] = [
    ["a=1 b=two", { a: "1", b: "two" }],
    [`msg="hello world" x='y z'`, { msg: "hello world", x: "y z" }],
    ["url=http://h/?q=1", { url: "http://h/?q=1" }],
    ["pw=s3cr3t!", { pw: "s3cr3t!" }],
    [`greeting="{{ a }} b" n=1`, { greeting: "{{ a }} b", n: "1" }],
    ["x={{ foo | default('a b') }}", { x: "{{ foo | default('a b') }}" }],
    [`tab=a\\tb`, { tab: "a\tb" }],
    ["a\\=b=c", { "a\\=b": "c" }],
    ["free words a=1", { a: "1", _raw_params: "free words" }],
    ["  a=1   ", { a: "1" }],
    ["empty=", { empty: "" }],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => assert.deepEqual(parseKv(input), want));
  }
  it("an open quote or Jinja block is not guessed at", () => {
    assert.equal(parseKv(`a="open`), undefined);
    assert.equal(splitArgs("a={{ b"), undefined);
  });
});

describe("rewriteExtraVars", () => {
  const path = (i: number, ext: string) => `/t/ev-${i}.${ext}`;
  it("moves every -e / --extra-vars value to a file, in place, and keeps @files and other arguments", () => {
    const r = rewriteExtraVars(
      [
        "-v",
        "-e",
        "a=1 db_password=hunter2",
        "--extra-vars",
        "@vars.yml",
        '--extra-vars={"api_token": "tok-123"}',
        "-eb=2",
        "--tags",
        "x",
      ],
      path,
    );
    assert.deepEqual(r.args, [
      "-v",
      "-e",
      "@/t/ev-0.json",
      "--extra-vars",
      "@vars.yml",
      "--extra-vars=@/t/ev-1.yml",
      "-e@/t/ev-2.json",
      "--tags",
      "x",
    ]);
    assert.deepEqual(JSON.parse(r.files[0]!.content), { a: "1", db_password: "hunter2" });
    assert.equal(r.files[1]!.content, '{"api_token": "tok-123"}');
    assert.deepEqual(JSON.parse(r.files[2]!.content), { b: "2" });
    assert.deepEqual(r.secrets.sort(), ["hunter2", "tok-123"]);
    assert.ok(!r.args.join(" ").includes("hunter2"));
  });
  it("a trailing -e without a value is left for ansible-playbook to reject", () => {
    assert.deepEqual(rewriteExtraVars(["-e"], path).args, ["-e"]);
  });
});

describe("shellWords (ansible-local extra_arguments)", () => {
  it("splits quotes and backslashes like sh", () => {
    assert.deepEqual(shellWords(`--extra-vars "pizza=pepperoni x='a b'" -e k=v\\ w --tags 'a b'`), [
      "--extra-vars",
      "pizza=pepperoni x='a b'",
      "-e",
      "k=v w",
      "--tags",
      "a b",
    ]);
  });
  it("gives up on expansions and operators, so the text is passed on as Packer does", () => {
    for (const s of ["-e home=$HOME", '-e "h=$HOME"', "-e x=`id`", "-e a=1; rm -rf /", "-e a=*"]) {
      assert.equal(shellWords(s), undefined, s);
    }
  });
});

describe("AnsibleOutput", () => {
  it("names the failing task and its message", () => {
    const o = new AnsibleOutput();
    for (const l of [
      "PLAY [x] ****",
      "TASK [Gathering Facts] *********",
      "ok: [default]",
      "TASK [redis : Fail on purpose] ******************",
      'fatal: [default]: FAILED! => {"changed": false, "msg": "the database is on fire"}',
    ]) {
      o.line(l);
    }
    assert.equal(o.summary(), 'task "redis : Fail on purpose" failed on default: the database is on fire');
    assert.equal(o.pythonMissing, false);
  });
  it("recognises a target without Python", () => {
    const o = new AnsibleOutput();
    o.line(
      'fatal: [default]: FAILED! => {"ansible_facts": {}, "failed_modules": {"ansible.legacy.setup": {"failed": true, "module_stderr": "/bin/sh: 1: /usr/bin/python: not found\\n", "msg": "The module failed to execute correctly, you probably need to set the interpreter.\\nSee stdout/stderr for the exact error", "rc": 127}}, "msg": "The following modules failed to execute: ansible.legacy.setup\\n"}',
    );
    assert.equal(o.pythonMissing, true);
    assert.match(o.summary()!, /you probably need to set the interpreter.*python: not found/);
  });
  it("reads coloured lines, item failures and unreachable hosts", () => {
    const o = new AnsibleOutput();
    o.line("\x1b[0;31mTASK [loop] ***\x1b[0m");
    o.line('\x1b[0;31mfailed: [web] (item=a) => {"msg": "bad item"}\x1b[0m');
    o.line('fatal: [db]: UNREACHABLE! => {"msg": "Failed to create temporary directory"}');
    assert.equal(o.summary(), 'task "loop" failed on web: bad item');
    assert.equal(o.failures[1]!.kind, "UNREACHABLE");
  });
  it("failureMessage falls back to the raw text", () => {
    assert.equal(failureMessage("not json"), "not json");
    assert.equal(failureMessage('{"rc": 1, "stderr": "boom\\nmore"}'), "boom");
  });
});
